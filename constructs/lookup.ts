/**
 * Lookups by definition name that fail with the names that exist (`app.dict('summries')` names `summaries`), where a
 * record's missing key would just be `undefined`.
 */
import type { IConstruct } from 'constructs';
import { closest } from '../lib/format.js';
import { SynthError } from './errors.js';

/**
 * `items[name]`, or a SynthError naming what the app has. `what` is the kind of thing (`dict`, `Lambda function`);
 * `elsewhere` explains a name that exists as something else (a definition placed on Batch, say).
 */
export function lookUp<T>(scope: IConstruct, what: string, items: Readonly<Record<string, T>>, name: string, elsewhere?: string): T {
  if (Object.hasOwn(items, name)) return items[name]!;
  const names = Object.keys(items);
  const suggestion = closest(name, names);
  const hint = elsewhere ?? (suggestion ? `did you mean "${suggestion}"? ` : '');
  throw new SynthError(`the app has no ${what} "${name}"; ${hint}its ${what}s are: ${names.join(', ') || '(none)'}.`, scope);
}
