/**
 * The local EventBridge Scheduler endpoint: the Scheduler REST API (restJson1, the protocol `@aws-sdk/client-scheduler`
 * speaks) on 127.0.0.1 over a LocalScheduleStore, so the real SDK client lists, reads, creates, updates and deletes
 * schedules and schedule groups with nothing but another endpoint:
 *
 *   POST/PUT/GET/DELETE /schedules/{Name} (groupName in the query for GET and DELETE), GET /schedules
 *   (ScheduleGroup, NamePrefix, State, NextToken, MaxResults), POST/GET/DELETE /schedule-groups/{Name},
 *   GET /schedule-groups.
 *
 * Timestamps travel as epoch seconds in JSON bodies; errors are their HTTP status with the error type in
 * `x-amzn-errortype` and `{ "Message" }`. Credentials are not checked (as elsewhere in the local cloud); tags are not
 * kept.
 */
import type http from 'node:http';
import { readBody, startLocalServer } from '../http-server.js';
import { DEFAULT_GROUP, type LocalScheduleStore, SchedulerApiError, type ScheduleDefinition, type StoredGroup, type StoredSchedule } from './store.js';

export interface LocalSchedulerApi {
  /** For `new SchedulerClient({ endpoint })` (and `AWS_ENDPOINT_URL_SCHEDULER`). */
  readonly endpoint: string;
  close(): Promise<void>;
}

/** A request body is a schedule definition (its input at most 256 KB) as JSON. */
const BODY_LIMIT = 512 * 1024;

export async function startLocalSchedulerApi(store: LocalScheduleStore, options: { port?: number } = {}): Promise<LocalSchedulerApi> {
  const server = await startLocalServer((req, res) => void serve(store, req, res), { name: 'the local EventBridge Scheduler endpoint', ...options });
  return { endpoint: server.url, close: () => server.close() };
}

async function serve(store: LocalScheduleStore, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = req.method === 'POST' || req.method === 'PUT' ? await jsonBody(req) : {};
    answer(res, 200, route(store, req.method ?? 'GET', url, body));
  } catch (error) {
    if (error instanceof SchedulerApiError) {
      answer(res, error.status, { Message: error.message, message: error.message }, error.type);
      return;
    }
    answer(res, 500, { Message: (error as Error).message }, 'InternalServerException');
  }
}

function route(store: LocalScheduleStore, method: string, url: URL, body: Record<string, unknown>): unknown {
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const query = url.searchParams;
  const [collection, name] = parts;
  if (collection === 'schedules' && parts.length === 1 && method === 'GET') {
    const max = query.get('MaxResults');
    const page = store.list({
      ...(query.get('ScheduleGroup') ? { group: query.get('ScheduleGroup')! } : {}),
      ...(query.get('NamePrefix') ? { namePrefix: query.get('NamePrefix')! } : {}),
      ...(query.get('State') ? { state: query.get('State')! } : {}),
      ...(query.get('NextToken') ? { nextToken: query.get('NextToken')! } : {}),
      ...(max ? { maxResults: Number(max) } : {}),
    });
    return { Schedules: page.schedules.map(summary), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
  }
  if (collection === 'schedules' && parts.length === 2 && name) {
    const group = query.get('groupName') ?? (typeof body.GroupName === 'string' ? body.GroupName : DEFAULT_GROUP);
    switch (method) {
      case 'GET':
        return detail(store.get(name, group));
      case 'POST':
        return { ScheduleArn: store.create(name, definitionOf(body)).arn };
      case 'PUT':
        return { ScheduleArn: store.update(name, definitionOf(body)).arn };
      case 'DELETE':
        store.delete(name, group);
        return {};
    }
  }
  if (collection === 'schedule-groups' && parts.length === 1 && method === 'GET') {
    return { ScheduleGroups: store.listGroups(query.get('NamePrefix') ?? undefined).map(groupOf) };
  }
  if (collection === 'schedule-groups' && parts.length === 2 && name) {
    switch (method) {
      case 'GET':
        return groupOf(store.getGroup(name));
      case 'POST':
        return { ScheduleGroupArn: store.createGroup(name).arn };
      case 'DELETE':
        store.deleteGroup(name);
        return {};
    }
  }
  throw new SchedulerApiError('ValidationException', `The local EventBridge Scheduler does not serve ${method} ${url.pathname}.`);
}

function definitionOf(body: Record<string, unknown>): ScheduleDefinition {
  const date = (field: string): Date | undefined => {
    const value = body[field];
    if (value === undefined || value === null) return undefined;
    const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (!Number.isFinite(ms)) throw new SchedulerApiError('ValidationException', `${field} must be a timestamp.`);
    return new Date(ms);
  };
  const startDate = date('StartDate');
  const endDate = date('EndDate');
  return {
    group: typeof body.GroupName === 'string' ? body.GroupName : DEFAULT_GROUP,
    expression: body.ScheduleExpression as string,
    ...(typeof body.ScheduleExpressionTimezone === 'string' ? { timezone: body.ScheduleExpressionTimezone } : {}),
    ...(startDate ? { startDate } : {}),
    ...(endDate ? { endDate } : {}),
    // UpdateSchedule is a full replace: a State left out is the default, ENABLED.
    state: (body.State ?? 'ENABLED') as ScheduleDefinition['state'],
    ...(typeof body.Description === 'string' ? { description: body.Description } : {}),
    flexibleTimeWindow: body.FlexibleTimeWindow as ScheduleDefinition['flexibleTimeWindow'],
    target: body.Target as ScheduleDefinition['target'],
  };
}

function seconds(date: Date): number {
  return date.getTime() / 1000;
}

function summary(schedule: StoredSchedule) {
  return {
    Arn: schedule.arn,
    Name: schedule.name,
    GroupName: schedule.group,
    State: schedule.state,
    CreationDate: seconds(schedule.createdAt),
    LastModificationDate: seconds(schedule.modifiedAt),
    Target: { Arn: schedule.target.Arn },
  };
}

function detail(schedule: StoredSchedule) {
  return {
    Arn: schedule.arn,
    Name: schedule.name,
    GroupName: schedule.group,
    ScheduleExpression: schedule.expression,
    ...(schedule.timezone !== undefined ? { ScheduleExpressionTimezone: schedule.timezone } : {}),
    ...(schedule.startDate ? { StartDate: seconds(schedule.startDate) } : {}),
    ...(schedule.endDate ? { EndDate: seconds(schedule.endDate) } : {}),
    ...(schedule.description !== undefined ? { Description: schedule.description } : {}),
    State: schedule.state,
    CreationDate: seconds(schedule.createdAt),
    LastModificationDate: seconds(schedule.modifiedAt),
    FlexibleTimeWindow: schedule.flexibleTimeWindow,
    Target: schedule.target,
  };
}

function groupOf(group: StoredGroup) {
  return { Arn: group.arn, Name: group.name, State: 'ACTIVE', CreationDate: seconds(group.createdAt), LastModificationDate: seconds(group.modifiedAt) };
}

async function jsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const { bytes, overLimit } = await readBody(req, { limit: BODY_LIMIT });
  if (overLimit) throw new SchedulerApiError('ValidationException', 'The request body is too large.');
  if (bytes.length === 0) return {};
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new SchedulerApiError('ValidationException', 'The request body is not a JSON object.');
  }
}

function answer(res: http.ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(text);
}
