/**
 * The Unix 5-field cron users write: `minute hour day-of-month month day-of-week`, with lists, ranges, steps, month
 * and weekday names (JAN-DEC, SUN-SAT), day-of-week 0 and 7 both Sunday, and the macros @hourly ... @yearly.
 *
 * Semantics are Vixie cron's (the cron of Linux and macOS): when a day field starts with "*" the two day fields must
 * both match; otherwise (both restricted) a day matches when either does.
 */
import { listWords } from '../format.js';
import { MONTH_NAMES, WEEKDAY_NAMES } from './calendar.js';
import { ScheduleError } from './errors.js';

/** A problem with the cron text; parseUnixCron attaches the text. */
class CronProblem extends Error {}

export interface UnixCron {
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  /** 0 = Sunday ... 6 = Saturday (a written 7 is folded into 0). */
  readonly daysOfWeek: readonly number[];
  /** The day-of-month field starts with "*" (Vixie's DOM_STAR). */
  readonly dayOfMonthStar: boolean;
  /** The day-of-week field starts with "*" (Vixie's DOW_STAR). */
  readonly dayOfWeekStar: boolean;
  /** The five fields as written (a macro expanded). */
  readonly fields: readonly string[];
}

export const CRON_MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface FieldRule {
  readonly label: string;
  /** The span within which a step of this field repeats (for error messages). */
  readonly cycle: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** The value of names[0]. */
  readonly nameBase?: number;
  readonly allowed: string;
}

const FIELDS: readonly FieldRule[] = [
  { label: 'minute', cycle: 'hour', min: 0, max: 59, allowed: '0-59' },
  { label: 'hour', cycle: 'day', min: 0, max: 23, allowed: '0-23' },
  { label: 'day-of-month', cycle: 'month', min: 1, max: 31, allowed: '1-31' },
  { label: 'month', cycle: 'year', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1, allowed: '1-12 or JAN-DEC' },
  { label: 'day-of-week', cycle: 'week', min: 0, max: 7, names: WEEKDAY_NAMES, nameBase: 0, allowed: '0-7 or SUN-SAT (0 and 7 are both Sunday)' },
];

const FORMS = '5 fields "minute hour day-of-month month day-of-week" such as "0 23 * * 1-5", or one of @hourly, @daily, @weekly, @monthly, @yearly';

/** Parses a Unix cron expression; throws ScheduleError('cron', ...) naming the field and what it allows. */
export function parseUnixCron(text: string): UnixCron {
  try {
    return parseText(text);
  } catch (error) {
    if (error instanceof CronProblem) throw new ScheduleError('cron', text, error.message);
    throw error;
  }
}

function parseText(text: string): UnixCron {
  const trimmed = text.trim();
  if (trimmed === '') throw cronError(`it is empty; allowed: ${FORMS}`);
  if (/^(cron|rate|at)\s*\(/i.test(trimmed)) {
    throw cronError(
      'this is an EventBridge Scheduler expression; write the 5-field Unix form (minute hour day-of-month month day-of-week) ' +
        'such as "0 23 * * 1-5", which multinode compiles to EventBridge for you',
    );
  }
  if (trimmed.startsWith('@')) return parseFields(expandMacro(trimmed));
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5) {
    const extra = fields.length > 5 ? '; seconds and year fields are not supported (EventBridge Scheduler fires at minute precision)' : '';
    throw cronError(
      `it has ${fields.length} field${fields.length === 1 ? '' : 's'}, but a Unix cron has 5: minute hour day-of-month month day-of-week${extra}`,
    );
  }
  return parseFields(fields);
}

function expandMacro(text: string): string[] {
  const macro = text.toLowerCase();
  const expansion = CRON_MACROS[macro];
  if (expansion) return expansion.split(' ');
  const allowed = listWords(Object.keys(CRON_MACROS));
  if (macro === '@reboot') throw cronError(`@reboot is not a schedule; allowed macros: ${allowed}`);
  throw cronError(
    `unknown macro ${JSON.stringify(text.split(/\s/)[0])}; allowed macros: ${allowed} (for "every N minutes/hours/days" use the "interval" option)`,
  );
}

function parseFields(fields: readonly string[]): UnixCron {
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = FIELDS.map((rule, i) => parseField(rule, fields[i]!)) as [
    number[],
    number[],
    number[],
    number[],
    number[],
  ];
  return {
    minutes,
    hours,
    daysOfMonth,
    months,
    daysOfWeek: [...new Set(daysOfWeek.map((d) => d % 7))].sort((a, b) => a - b),
    dayOfMonthStar: fields[2]!.startsWith('*'),
    dayOfWeekStar: fields[4]!.startsWith('*'),
    fields,
  };
}

function parseField(rule: FieldRule, field: string): number[] {
  const where = `the ${rule.label} field ${JSON.stringify(field)}`;
  const extension = /[?LW#]/i.exec(field.replace(/[A-Z]{3}/gi, (word) => (isName(rule, word) ? '' : word)));
  if (extension) {
    throw cronError(
      `${where} uses "${extension[0]}", an EventBridge/Quartz extension; a Unix cron field allows numbers${rule.names ? ', names' : ''}, "*", ",", "-" and "/"`,
    );
  }
  const values = new Set<number>();
  for (const part of field.split(',')) {
    if (part === '') throw cronError(`${where} has an empty list item; allowed: ${rule.allowed}, "*", lists "a,b", ranges "a-b" and steps "*/n" or "a-b/n"`);
    for (const value of parsePart(rule, part, where)) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

/** One list item: `*`, `v`, `a-b`, each optionally `/step` (`v/step` runs from v to the field's maximum). */
function parsePart(rule: FieldRule, part: string, where: string): number[] {
  const match = /^([^/]+)(?:\/(.*))?$/.exec(part);
  if (!match) throw notUnderstood(rule, part, where);
  const [, base, stepText] = match as unknown as [string, string, string | undefined];
  let low: number;
  let high: number;
  if (base === '*') {
    low = rule.min;
    high = rule.max;
  } else if (base.includes('-')) {
    const [from, to, ...rest] = base.split('-');
    if (rest.length > 0 || from === '' || to === '') throw notUnderstood(rule, part, where);
    low = parseValue(rule, from!, where);
    high = parseValue(rule, to!, where);
    if (low > high) {
      throw cronError(`${where} has the range ${base}, which runs backwards; write the smaller value first (a cron range cannot wrap around)`);
    }
  } else {
    low = parseValue(rule, base, where);
    high = stepText === undefined ? low : rule.max;
  }
  let step = 1;
  if (stepText !== undefined) {
    const span = rule.max - rule.min + 1;
    if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
      throw cronError(`${where} has the step "/${stepText}"; a step is a whole number from 1 to ${span - 1}`);
    }
    step = Number(stepText);
    if (step >= span) {
      throw cronError(
        `${where} steps by ${step}, but the field has only ${span} values (${rule.min}-${rule.max}), so it would match only ${low}; ` +
          `a step repeats within one ${rule.cycle} ` +
          `(for "every N minutes/hours/days" use the "interval" option, e.g. "90m")`,
      );
    }
  }
  const values: number[] = [];
  for (let value = low; value <= high; value += step) values.push(value);
  return values;
}

function parseValue(rule: FieldRule, text: string, where: string): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < rule.min || value > rule.max) throw cronError(`${where} has ${text}, outside ${rule.min}-${rule.max}; allowed: ${rule.allowed}`);
    return value;
  }
  if (isName(rule, text)) return rule.names!.indexOf(text.toUpperCase()) + rule.nameBase!;
  if (/^[A-Za-z]+$/.test(text)) {
    throw cronError(
      `${where} has ${JSON.stringify(text)}, which is not a ${rule.names ? `${rule.label === 'month' ? 'month' : 'weekday'} name` : 'number'}; ` +
        `allowed: ${rule.allowed}`,
    );
  }
  throw cronError(`${where} has ${JSON.stringify(text)}, which is not a whole number; allowed: ${rule.allowed}`);
}

function isName(rule: FieldRule, word: string): boolean {
  return rule.names?.includes(word.toUpperCase()) ?? false;
}

function notUnderstood(rule: FieldRule, part: string, where: string): CronProblem {
  return cronError(
    `${where} has ${JSON.stringify(part)}, which is not a value, range or step; allowed: ${rule.allowed}, "*", lists "a,b", ranges "a-b" and steps ` +
      `"*/n" or "a-b/n"`,
  );
}

function cronError(problem: string): CronProblem {
  return new CronProblem(problem);
}
