import { startDashboard } from '../../runtime/dashboard/index.js';
import { findTarget, withAwsProfile } from '../app-target.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../io.js';
import type { Command } from './types.js';

export const dashboardCommand: Command = {
  summary: 'serve the web dashboard of a deployed app on 127.0.0.1 (multinode dev serves its own)',
  usage: `Usage: multinode dashboard --stack NAME [--app PREFIX] [--region REGION] [--profile NAME] [--port N]

Finds the app deployed in the CloudFormation stack NAME and serves its dashboard on 127.0.0.1:
runs and jobs, scheduled tasks, dicts and logs, with cancel, retry, run now, pause and resume and
dict edits. Prints "dashboard: <url>"; the URL holds a token made for this start, which every
request needs. Stops on Ctrl-C.

AWS credentials come from the SDK's usual chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, a role) and
stay in this process's memory: the dashboard writes nothing. Reading needs the permissions of
MultinodeApp's grantRead; actions need grantOperate.

Options:
  --stack NAME      the stack's name or ARN
  --app PREFIX      the app's prefix, when the stack holds several apps
  --region REGION   the stack's region; default the SDK's (AWS_REGION or the profile's)
  --profile NAME    the AWS profile to use (default: AWS_PROFILE)
  --port N          port on 127.0.0.1; default any free port
  --help            show this help`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('dashboard', argv, {
      stack: { type: 'string' },
      app: { type: 'string' },
      region: { type: 'string' },
      profile: { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(`${this.usage}\n`);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}: name the app's stack with --stack NAME.`, 'dashboard');
    if (!values.stack) throw new UsageError('missing --stack NAME: the CloudFormation stack that holds the app.', 'dashboard');
    const port = values.port === undefined ? 0 : Number(values.port);
    if (values.port !== undefined && (!/^\d+$/.test(values.port) || port > 65535)) {
      throw new UsageError(`--port must be a port number from 0 to 65535 (0: any free port), got "${values.port}".`, 'dashboard');
    }
    io.stdout(`multinode dashboard: finding the app in stack ${values.stack} ...\n`);
    // The profile stays in effect for the whole session: the SDK clients resolve credentials at their first calls.
    return withAwsProfile(values.profile, async () => {
      const target = await findTarget('dashboard', { flags: values, cwd: io.cwd });
      if (target.kind !== 'stack') throw new UsageError('missing --stack NAME: the CloudFormation stack that holds the app.', 'dashboard');
      const dashboard = await startDashboard({ target, mode: 'deployed', where: target.stack.name, port });
      try {
        io.stdout(
          `multinode dashboard: ${target.config.app} (prefix ${target.config.prefix}, region ${target.config.region})\n` +
            `  dashboard: ${dashboard.url}\nPress Ctrl-C to stop.\n`,
        );
        await aborted(io.signal);
        io.stdout('\nmultinode dashboard: stopping ...\n');
        return 0;
      } finally {
        await dashboard.close();
      }
    });
  },
};

function aborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
