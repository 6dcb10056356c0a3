/** Runs CLI commands in-process with captured output, and waits for lines to appear. */
import { main } from '../../bin/cli.js';
import type { CliIO } from '../../bin/io.js';

export interface RunningCli {
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the first match of `pattern` in stdout, waiting for it to be printed. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Ctrl-C. */
  stop(): void;
  readonly exit: Promise<number>;
}

/** `stdin`: what the command reads as standard input (`multinode secrets set`). */
export function startCli(argv: string[], cwd: string, options: { stdin?: CliIO['stdin'] } = {}): RunningCli {
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const controller = new AbortController();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const io: CliIO = {
    stdout: (text) => {
      out += text;
      notify();
    },
    stderr: (text) => {
      err += text;
      notify();
    },
    cwd,
    signal: controller.signal,
    ...(options.stdin ? { stdin: options.stdin } : {}),
  };
  const exit = main(argv, io);
  let finished = false;
  void exit.finally(() => {
    finished = true;
    notify();
  });
  return {
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = out.match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          } else if (finished) {
            cleanup();
            reject(new Error(`the command ended before printing ${pattern}.\nstdout:\n${out}\nstderr:\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}.\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    stop: () => controller.abort(),
    exit,
  };
}

/** Runs a command to completion. */
export async function runCli(
  argv: string[],
  cwd: string = process.cwd(),
  options: { stdin?: CliIO['stdin'] } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = startCli(argv, cwd, options);
  const code = await cli.exit;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}
