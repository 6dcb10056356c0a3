import { recordProblem } from '../collect.js';
import { DefinitionError } from '../errors.js';
import { closest, listWords, showValue } from '../format.js';
import { assignedName, formatSite, type SourceSite } from '../site.js';

/** The kinds of definition an app can declare. */
export type DefinitionKind = 'function' | 'job' | 'schedule' | 'service' | 'dict' | 'lock';

/** The API call that declares each kind, as users write it. */
export const DECLARING_CALL: Record<DefinitionKind, string> = {
  function: 'fn',
  job: 'job',
  schedule: 'schedule',
  service: 'service',
  dict: 'dict',
  lock: 'lock',
};

/**
 * Names the definition being parsed in error messages. The export name is not known while the module loads, so
 * the label uses the explicit `name` when given, else the variable the call is assigned to, plus the call site.
 */
export class OptionContext {
  constructor(
    readonly kind: DefinitionKind,
    readonly site: SourceSite | undefined,
    private readonly explicitName?: string,
  ) {}

  /** Computed only when an error needs it: it reads the stack and the source line. */
  get label(): string {
    const name = this.explicitName ?? assignedName(this.site);
    return `${DECLARING_CALL[this.kind]}${name ? ` "${name}"` : ''} at ${formatSite(this.site)}`;
  }

  /** Throws: `fn "x" at src/app.ts:3:5: option "cpu" is 32; allowed: ...`. */
  invalid(option: string, value: unknown, allowed: string): never {
    throw new DefinitionError(`${this.label}: option "${option}" is ${showValue(value)}; allowed: ${allowed}.`);
  }

  /** Throws a message about the definition as a whole. */
  fail(message: string): never {
    throw new DefinitionError(`${this.label}: ${message}`);
  }

  /**
   * Runs one check of the definition (an option's parser, the handler, the placement). While an app's module loads
   * (lib/collect.ts), a problem is recorded and `fallback` stands in, so the definition's other options are still
   * checked and every problem is reported at once; otherwise the problem is thrown.
   */
  check<T>(run: () => T, fallback: T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof DefinitionError && recordProblem(error.message)) return fallback;
      throw error;
    }
  }

  /** Rejects keys outside `allowed`, suggesting the closest allowed key (or a known alias). */
  checkKeys(options: object, allowed: readonly string[], hints: Record<string, string> = {}): void {
    for (const key of Object.keys(options)) {
      if (allowed.includes(key)) continue;
      const suggestion = hints[key] ?? closest(key, allowed);
      const accepted = allowed.length > 0 ? `accepts ${listWords(allowed.map((k) => `"${k}"`))}` : 'takes no options';
      this.check(
        () => this.fail(`unknown option "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; ${DECLARING_CALL[this.kind]}() ${accepted}.`),
        undefined,
      );
    }
  }
}
