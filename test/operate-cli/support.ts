/** Test support for the operating commands: a copy of the ops app in a temporary package, and runs of the CLI in it. */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { until } from '../helpers/poll.js';
import { runCli } from '../helpers/cli.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export const OPS_APP = path.join(import.meta.dirname, 'fixtures/ops-app');

export interface OpsApp {
  /** The package folder (its package.json, src/app.ts). */
  readonly dir: string;
  readonly entry: string;
  /** Runs the CLI in `cwd` (default the package folder); `stdin` is what it reads as standard input. */
  cli(argv: string[], options?: { cwd?: string; stdin?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The CLI with --json, parsed (a failure throws with the output). */
  json<T = any>(argv: string[], options?: { cwd?: string }): Promise<T>;
  cleanup(): void;
}

/** A copy of the ops app in a fresh package folder, with more files when given. */
export function opsApp(files: Record<string, string> = {}): OpsApp {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'multinode-ops-'));
  cpSync(OPS_APP, dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  const cli: OpsApp['cli'] = (argv, options = {}) =>
    runCli(argv, options.cwd ?? dir, options.stdin !== undefined ? { stdin: Readable.from([Buffer.from(options.stdin)]) } : {});
  return {
    dir,
    entry: path.join(dir, 'src/app.ts'),
    cli,
    async json(argv, options) {
      const result = await cli([...argv, '--json'], options);
      if (result.code !== 0) throw new Error(`multinode ${argv.join(' ')} --json exited ${result.code}:\n${result.stderr}${result.stdout}`);
      return JSON.parse(result.stdout);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Polls `multinode runs <id> --json` until the run's status is one of `statuses`. */
export async function runReaches(app: OpsApp, id: string, statuses: string[], extra: string[] = []): Promise<any> {
  return until(
    async () => {
      const result = await app.cli(['runs', id, '--json', ...extra]);
      return result.code === 0 ? JSON.parse(result.stdout).run : { status: `(exit ${result.code}) ${result.stderr.trim()}` };
    },
    (run) => statuses.includes(run.status),
    `run ${id} to be ${statuses.join(' or ')}`,
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}
