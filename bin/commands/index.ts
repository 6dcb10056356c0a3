/** The CLI's commands, one module each. */
import { cdkCommand } from './cdk.js';
import { manifestCommand } from './manifest.js';
import { schedulesCommand } from './schedules.js';
import type { Command } from './types.js';

export const COMMANDS: Readonly<Record<string, Command>> = {
  manifest: manifestCommand,
  schedules: schedulesCommand,
  cdk: cdkCommand,
};
