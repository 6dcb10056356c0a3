/** The CLI's commands, one module each. */
import { cancelCommand } from './cancel.js';
import { cdkCommand } from './cdk.js';
import { dashboardCommand } from './dashboard.js';
import { devCommand } from './dev.js';
import { dictCommand } from './dict.js';
import { logsCommand } from './logs.js';
import { manifestCommand } from './manifest.js';
import { retryCommand } from './retry.js';
import { runCommand } from './run.js';
import { runsCommand } from './runs.js';
import { schedulesCommand } from './schedules.js';
import { secretsCommand } from './secrets.js';
import { statusCommand } from './status.js';
import { tokenCommand } from './token.js';
import type { Command } from './types.js';

export const COMMANDS: Readonly<Record<string, Command>> = {
  dev: devCommand,
  run: runCommand,
  status: statusCommand,
  runs: runsCommand,
  logs: logsCommand,
  cancel: cancelCommand,
  retry: retryCommand,
  schedules: schedulesCommand,
  dict: dictCommand,
  secrets: secretsCommand,
  manifest: manifestCommand,
  cdk: cdkCommand,
  token: tokenCommand,
  dashboard: dashboardCommand,
};
