import type { CliIO } from '../io.js';

export interface Command {
  /** One line for `multinode --help`. */
  readonly summary: string;
  /** Full usage text for `multinode <command> --help`. */
  readonly usage: string;
  /** Runs the command; resolves to the exit code. */
  run(argv: string[], io: CliIO): Promise<number>;
}
