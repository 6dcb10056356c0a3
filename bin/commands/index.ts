/** The CLI's commands, one module each. */
import { cdkCommand } from './cdk.js';
import { dashboardCommand } from './dashboard.js';
import { devCommand } from './dev.js';
import { manifestCommand } from './manifest.js';
import { runCommand } from './run.js';
import { schedulesCommand } from './schedules.js';
import { tokenCommand } from './token.js';
import type { Command } from './types.js';

export const COMMANDS: Readonly<Record<string, Command>> = {
  dev: devCommand,
  run: runCommand,
  manifest: manifestCommand,
  schedules: schedulesCommand,
  cdk: cdkCommand,
  token: tokenCommand,
  dashboard: dashboardCommand,
};
