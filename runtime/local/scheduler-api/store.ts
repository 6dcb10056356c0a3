/**
 * The schedules and schedule groups of the local EventBridge Scheduler (server.ts serves them), with the service's
 * rules where the runtime and its tools can tell: names of 1 to 64 of `[0-9a-zA-Z-_.]`, a group that must exist (the
 * `default` group always does), cron and rate expressions by AWS's rules (lib/schedule/expression.ts), IANA time
 * zones, a flexible time window and a target with an ARN and a role, a StartDate no more than 5 minutes in the past,
 * UpdateSchedule as a full replace (an optional field left out goes back to its default), and the errors
 * (ValidationException, ResourceNotFoundException, ConflictException).
 *
 * `deploy` is what a deploy of the app's stack does to its schedules: CloudFormation creates the missing ones, updates
 * a schedule only when its definition in the template changed (a hand edit outlives other deploys), and deletes those
 * it made that the template no longer has. Listeners hear of every change, so the local clock fires from what is
 * stored.
 */
import { MultinodeError } from '../../../lib/errors.js';
import { parseScheduleExpression } from '../../../lib/schedule/expression.js';
import { resolveTimeZone } from '../../../lib/schedule/zone.js';

/** An error of the Scheduler API: its type (`x-amzn-errortype`) and HTTP status. */
export class SchedulerApiError extends MultinodeError {
  constructor(
    readonly type: 'ValidationException' | 'ResourceNotFoundException' | 'ConflictException',
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return this.type === 'ResourceNotFoundException' ? 404 : this.type === 'ConflictException' ? 409 : 400;
  }
}

export const DEFAULT_GROUP = 'default';
/** EventBridge Scheduler refuses a StartDate further in the past than this, on create and update. */
export const START_DATE_GRACE_MS = 5 * 60_000;
const NAME = /^[0-9a-zA-Z-_.]{1,64}$/;

/** A schedule's target, as the API carries it. */
export interface ScheduleTarget {
  readonly Arn: string;
  readonly RoleArn: string;
  readonly Input?: string;
  readonly RetryPolicy?: { readonly MaximumEventAgeInSeconds?: number; readonly MaximumRetryAttempts?: number };
  readonly DeadLetterConfig?: { readonly Arn?: string };
}

/** What CreateSchedule and UpdateSchedule take (besides the name), with dates as Dates. */
export interface ScheduleDefinition {
  readonly group: string;
  readonly expression: string;
  readonly timezone?: string;
  readonly startDate?: Date;
  readonly endDate?: Date;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly description?: string;
  readonly flexibleTimeWindow: { readonly Mode: 'OFF' | 'FLEXIBLE'; readonly MaximumWindowInMinutes?: number };
  readonly target: ScheduleTarget;
}

export interface StoredSchedule extends ScheduleDefinition {
  readonly name: string;
  readonly arn: string;
  readonly createdAt: Date;
  readonly modifiedAt: Date;
}

export interface StoredGroup {
  readonly name: string;
  readonly arn: string;
  readonly createdAt: Date;
  readonly modifiedAt: Date;
}

export interface ListOptions {
  readonly group?: string;
  readonly namePrefix?: string;
  readonly state?: string;
  readonly maxResults?: number;
  readonly nextToken?: string;
}

export class LocalScheduleStore {
  readonly #groups = new Map<string, StoredGroup>();
  /** By `<group>/<name>`. */
  readonly #schedules = new Map<string, StoredSchedule>();
  /** What the last deploy set each schedule it made to, by `<group>/<name>`. */
  readonly #deployed = new Map<string, string>();
  readonly #listeners = new Set<() => void>();

  constructor(
    readonly region: string,
    readonly account: string,
    readonly clock: () => number = Date.now,
  ) {
    this.#groups.set(DEFAULT_GROUP, this.#group(DEFAULT_GROUP));
  }

  /** Calls `listener` after each change (create, update, delete, deploy); returns the function that stops it. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  #group(name: string): StoredGroup {
    const now = new Date(this.clock());
    return { name, arn: `arn:aws:scheduler:${this.region}:${this.account}:schedule-group/${name}`, createdAt: now, modifiedAt: now };
  }

  createGroup(name: string): StoredGroup {
    checkName(name, 'Name');
    if (this.#groups.has(name)) throw new SchedulerApiError('ConflictException', `Schedule group ${name} already exists.`);
    const group = this.#group(name);
    this.#groups.set(name, group);
    return group;
  }

  getGroup(name: string): StoredGroup {
    const group = this.#groups.get(name);
    if (!group) throw new SchedulerApiError('ResourceNotFoundException', `Schedule group ${name} does not exist.`);
    return group;
  }

  listGroups(namePrefix?: string): StoredGroup[] {
    return [...this.#groups.values()].filter((g) => !namePrefix || g.name.startsWith(namePrefix)).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Deletes a group and its schedules (the default group cannot be deleted). */
  deleteGroup(name: string): void {
    this.getGroup(name);
    if (name === DEFAULT_GROUP) throw new SchedulerApiError('ValidationException', 'The default schedule group cannot be deleted.');
    this.#groups.delete(name);
    for (const key of [...this.#schedules.keys()]) if (key.startsWith(`${name}/`)) this.#schedules.delete(key);
    this.#changed();
  }

  create(name: string, definition: ScheduleDefinition): StoredSchedule {
    checkName(name, 'Name');
    this.getGroup(definition.group);
    const key = `${definition.group}/${name}`;
    if (this.#schedules.has(key)) throw new SchedulerApiError('ConflictException', `Schedule ${name} already exists.`);
    const checked = this.#check(definition);
    const now = new Date(this.clock());
    const schedule: StoredSchedule = { ...checked, name, arn: this.#arn(definition.group, name), createdAt: now, modifiedAt: now };
    this.#schedules.set(key, schedule);
    this.#changed();
    return schedule;
  }

  /** A full replace: what `definition` leaves out goes back to its default. */
  update(name: string, definition: ScheduleDefinition): StoredSchedule {
    const current = this.get(name, definition.group);
    const checked = this.#check(definition);
    const schedule: StoredSchedule = { ...checked, name, arn: current.arn, createdAt: current.createdAt, modifiedAt: new Date(this.clock()) };
    this.#schedules.set(`${definition.group}/${name}`, schedule);
    this.#changed();
    return schedule;
  }

  get(name: string, group = DEFAULT_GROUP): StoredSchedule {
    const schedule = this.#schedules.get(`${group}/${name}`);
    if (!schedule) throw new SchedulerApiError('ResourceNotFoundException', `Schedule ${name} does not exist.`);
    return schedule;
  }

  delete(name: string, group = DEFAULT_GROUP): void {
    this.get(name, group);
    this.#schedules.delete(`${group}/${name}`);
    this.#deployed.delete(`${group}/${name}`);
    this.#changed();
  }

  /** A page of schedules, by name; `nextToken` is the last name returned. */
  list(options: ListOptions = {}): { schedules: StoredSchedule[]; nextToken?: string } {
    const max = options.maxResults ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 100) throw new SchedulerApiError('ValidationException', 'MaxResults must be from 1 to 100.');
    if (options.state !== undefined && options.state !== 'ENABLED' && options.state !== 'DISABLED') {
      throw new SchedulerApiError('ValidationException', `State must be ENABLED or DISABLED, got ${options.state}.`);
    }
    const all = [...this.#schedules.values()]
      .filter((s) => options.group === undefined || s.group === options.group)
      .filter((s) => !options.namePrefix || s.name.startsWith(options.namePrefix))
      .filter((s) => options.state === undefined || s.state === options.state)
      .sort((a, b) => `${a.group}/${a.name}`.localeCompare(`${b.group}/${b.name}`))
      .filter((s) => options.nextToken === undefined || `${s.group}/${s.name}` > options.nextToken);
    const page = all.slice(0, max);
    const last = page[page.length - 1];
    return { schedules: page, ...(all.length > max && last ? { nextToken: `${last.group}/${last.name}` } : {}) };
  }

  /** The schedules of `group`, by name. */
  inGroup(group: string): StoredSchedule[] {
    return [...this.#schedules.values()].filter((s) => s.group === group).sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * What a deploy of the stack does to `group`: makes it if missing; creates each schedule of `desired` it lacks;
   * updates one only when its definition differs from what the last deploy set (a hand edit outlives other deploys);
   * deletes the schedules an earlier deploy made that `desired` no longer has. Refuses nothing a deploy would not.
   */
  deploy(group: string, desired: ReadonlyArray<{ readonly name: string; readonly definition: ScheduleDefinition }>): void {
    if (!this.#groups.has(group)) this.#groups.set(group, this.#group(group));
    const wanted = new Set(desired.map((d) => `${group}/${d.name}`));
    for (const key of [...this.#deployed.keys()]) {
      if (key.startsWith(`${group}/`) && !wanted.has(key)) {
        this.#schedules.delete(key);
        this.#deployed.delete(key);
      }
    }
    for (const { name, definition } of desired) {
      const key = `${group}/${name}`;
      const text = JSON.stringify(definition);
      if (this.#schedules.has(key) && this.#deployed.get(key) === text) continue;
      const now = new Date(this.clock());
      const current = this.#schedules.get(key);
      this.#schedules.set(key, { ...definition, group, name, arn: this.#arn(group, name), createdAt: current?.createdAt ?? now, modifiedAt: now });
      this.#deployed.set(key, text);
    }
    this.#changed();
  }

  #arn(group: string, name: string): string {
    return `arn:aws:scheduler:${this.region}:${this.account}:schedule/${group}/${name}`;
  }

  #check(definition: ScheduleDefinition): ScheduleDefinition {
    this.getGroup(definition.group);
    if (typeof definition.expression !== 'string' || definition.expression === '') {
      throw new SchedulerApiError('ValidationException', 'ScheduleExpression is required.');
    }
    try {
      parseScheduleExpression(definition.expression);
    } catch (error) {
      throw new SchedulerApiError('ValidationException', `Invalid Schedule Expression ${definition.expression}: ${(error as Error).message}`);
    }
    if (definition.timezone !== undefined && resolveTimeZone(definition.timezone) === undefined) {
      throw new SchedulerApiError('ValidationException', `Invalid ScheduleExpressionTimezone ${definition.timezone}: not an IANA time zone.`);
    }
    if (definition.state !== 'ENABLED' && definition.state !== 'DISABLED') {
      throw new SchedulerApiError('ValidationException', `State must be ENABLED or DISABLED, got ${String(definition.state)}.`);
    }
    const mode = definition.flexibleTimeWindow?.Mode;
    if (mode !== 'OFF' && mode !== 'FLEXIBLE') throw new SchedulerApiError('ValidationException', 'FlexibleTimeWindow.Mode must be OFF or FLEXIBLE.');
    if (typeof definition.target?.Arn !== 'string' || typeof definition.target.RoleArn !== 'string') {
      throw new SchedulerApiError('ValidationException', 'Target needs Arn and RoleArn.');
    }
    if (definition.startDate !== undefined && definition.startDate.getTime() < this.clock() - START_DATE_GRACE_MS) {
      throw new SchedulerApiError('ValidationException', 'The StartDate you specify cannot be earlier than 5 minutes ago.');
    }
    if (definition.startDate !== undefined && definition.endDate !== undefined && definition.endDate <= definition.startDate) {
      throw new SchedulerApiError('ValidationException', 'The EndDate must be after the StartDate.');
    }
    return definition;
  }
}

function checkName(name: string, field: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new SchedulerApiError('ValidationException', `${field} must be 1 to 64 characters of 0-9, a-z, A-Z, -, _ and ., got ${JSON.stringify(name)}.`);
  }
}
