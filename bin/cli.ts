/**
 * The `multinode` CLI: dispatches to one command module each. `main` is pure (argv and io in, exit code out) so
 * tests run it in-process; bin/multinode.ts wires it to the real process.
 */
import { readFileSync } from 'node:fs';
import { closest } from '../lib/format.js';
import { MultinodeError } from '../lib/errors.js';
import { PACKAGE_ROOT } from '../runtime/build/package-paths.js';
import { COMMANDS } from './commands/index.js';
import { type CliIO, UsageError } from './io.js';
import path from 'node:path';
import { existsSync } from 'node:fs';

export function version(): string {
  // Sources: <repo>/package.json; installed: <package>/dist/../package.json.
  for (const candidate of [path.join(PACKAGE_ROOT, 'package.json'), path.join(PACKAGE_ROOT, '..', 'package.json')]) {
    if (!existsSync(candidate)) continue;
    const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'multinode' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

export function helpText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `multinode ${version()}: one TypeScript module of functions, jobs, schedules, services and dicts, on your own AWS.

Usage: multinode <command> [<entry>] [arguments] [options]

Commands:
${lines.join('\n')}

<entry> is the app's module (src/app.ts); without it, the app is the one whose multinode dev runs in
this folder's package (or the package's only app). Commands that operate an app (status, runs,
logs, cancel, retry, schedules pause|resume|trigger|backfill, dict, secrets) reach its running
multinode dev, or with --stack <name> the app deployed in that CloudFormation stack. Every command
takes --json.

Options:
  --help      show help (also: multinode <command> --help)
  --version   print the version

Exit codes: 0 done, 1 a failure (the message says what and what to do), 2 a wrong command line.
`;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout(helpText());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-v') {
    io.stdout(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS[first];
  try {
    if (!command) {
      const suggestion = closest(first, Object.keys(COMMANDS));
      throw new UsageError(`unknown command "${first}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}. Commands: ${Object.keys(COMMANDS).join(', ')}.`);
    }
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const help = error.command ? `multinode ${error.command} --help` : 'multinode --help';
      io.stderr(`multinode: ${error.message}\nSee "${help}".\n`);
      return 2;
    }
    if (error instanceof MultinodeError) {
      io.stderr(`multinode: ${error.message}\n`);
      return 1;
    }
    io.stderr(`multinode: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
