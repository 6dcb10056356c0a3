/**
 * The frame of every command that operates a running app (`status`, `runs`, `logs`, `cancel`, `retry`, `dict`,
 * `schedules pause|resume|trigger|backfill`): its flags plus the target flags and `--json`, the entry argument, the app found by
 * the one rule (bin/app-target.ts), a control plane over it for the command's run, closed after. Arguments and flags
 * are checked before anything is reached, so a wrong command line fails fast with exit code 2.
 */
import type { ParseArgsConfig } from 'node:util';
import { MultinodeError } from '../lib/errors.js';
import type { ControlPlane } from '../runtime/control/control-plane.js';
import type { LogEntry } from '../runtime/logs/entries.js';
import {
  type AppTarget,
  checkTargetFlags,
  findTarget,
  meantAsEntry,
  openControlPlane,
  splitEntry,
  TARGET_OPTIONS,
  type TargetFlags,
  withAwsProfile,
} from './app-target.js';
import { type FlagValues, parseCommandArgs } from './args.js';
import type { CliIO } from './io.js';
import type { Command } from './commands/types.js';

type Options = NonNullable<ParseArgsConfig['options']>;
const COMMON = { ...TARGET_OPTIONS, json: { type: 'boolean' }, help: { type: 'boolean' } } as const;

/** The flags an operating command receives: its own, the target's, `--json`. */
export type OperateFlags<O extends Options> = FlagValues<O> & TargetFlags & { readonly json?: boolean; readonly help?: boolean };

export interface OperateContext<O extends Options, P> {
  readonly io: CliIO;
  readonly flags: OperateFlags<O>;
  /** What `parse` made of the arguments and flags. */
  readonly request: P;
  readonly target: AppTarget;
  readonly plane: ControlPlane<LogEntry>;
  readonly json: boolean;
}

export interface OperatingCommandSpec<O extends Options, P> {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** The command's own flags (the target flags, `--json` and `--help` are added). */
  readonly options: O;
  /** Checks the arguments after the entry and the flags (UsageError), before the app is reached. */
  parse(args: string[], flags: OperateFlags<O>): P;
  /** Does the work; resolves to the exit code. */
  run(context: OperateContext<O, P>): Promise<number>;
}

export function operatingCommand<O extends Options, P>(spec: OperatingCommandSpec<O, P>): Command {
  return {
    summary: spec.summary,
    usage: spec.usage,
    async run(argv, io) {
      const { values, positionals } = parseCommandArgs(spec.name, argv, { ...spec.options, ...COMMON });
      const flags = values as unknown as OperateFlags<O>;
      if (flags.help) {
        io.stdout(`${spec.usage}\n`);
        return 0;
      }
      checkTargetFlags(spec.name, flags);
      // The count and form of the arguments first (exit 2), then the entry's existence (exit 1).
      const [first] = positionals;
      const rest = first !== undefined && meantAsEntry(first, io.cwd) ? positionals.slice(1) : positionals;
      const request = spec.parse(rest, flags);
      const { entry } = splitEntry(positionals, io.cwd);
      return withAwsProfile(flags.profile, async () => {
        const target = await findTarget(spec.name, { ...(entry !== undefined ? { entry } : {}), flags, cwd: io.cwd });
        const plane = openControlPlane(target);
        try {
          return await spec.run({ io, flags, request, target, plane, json: flags.json === true });
        } catch (error) {
          throw withoutMethod(error);
        } finally {
          plane.close();
        }
      });
    },
  };
}

/**
 * The control plane names its method in its messages (`runs(): ...`, `dict("x").list(): ...`), which a command line
 * does not need: the message says the rest.
 */
export function withoutMethod(error: unknown): unknown {
  if (error instanceof MultinodeError) error.message = error.message.replace(/^(?:[A-Za-z]+(?:\("[^"]*"\))?\.)?[A-Za-z]+\(\): /, '');
  return error;
}
