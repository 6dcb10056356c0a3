import type { ValueInput } from '../runtime/local/settings/manage.js';

/** Where a CLI command writes, and where it runs: injectable so commands run in-process in tests. */
export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  /** Stops long-running commands (`dev`) when aborted (Ctrl-C in a terminal). */
  readonly signal?: AbortSignal;
  /** Standard input: where `multinode secrets set` reads a value from (never from an argument). */
  readonly stdin?: ValueInput;
}

export function processIO(signal?: AbortSignal): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    stdin: process.stdin,
    ...(signal ? { signal } : {}),
  };
}

/** A wrong command line: exit code 2 and the command's usage. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
