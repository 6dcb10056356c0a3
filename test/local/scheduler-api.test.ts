/**
 * The local EventBridge Scheduler through the real `@aws-sdk/client-scheduler`: it holds the schedules the CDK
 * constructs create for the app (names, group, expressions, time zones, state, target and input, compared with a
 * synthesized template), answers the API's calls and errors, fires from what it holds (an edit through the API
 * changes when the clock fires), and the control plane's deployed-versus-code comparison reports a hand edit, a
 * deletion, a schedule made by hand and a change of the code not yet deployed. The store's deploy behaves as
 * CloudFormation does with hand edits.
 */
import path from 'node:path';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../lib/manifest.js';
import { scheduleTargetInput } from '../../lib/schedule/event.js';
import { type ControlPlane, createControlPlane } from '../../runtime/control/control-plane.js';
import { LOCAL_CREDENTIALS } from '../../runtime/local/cloud.js';
import { LocalScheduleStore } from '../../runtime/local/scheduler-api/index.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import { resourcesOf, synthApp } from '../constructs/helpers.js';
import { until } from '../helpers/poll.js';
import { TestClock } from '../helpers/test-clock.js';
import * as app from '../control/fixtures/overlap-app/src/app.js';

const entry = path.join(import.meta.dirname, '../control/fixtures/overlap-app/src/app.ts');
const clock = new TestClock('2031-07-01T00:00:30Z');
let t: TestCloud;
let scheduler: SchedulerClient;
let plane: ControlPlane;
let group: string;

beforeAll(async () => {
  t = await startTestCloud(entry, { module: app, schedules: { clock } });
  scheduler = new SchedulerClient({ region: t.cloud.config.region, endpoint: t.cloud.config.endpoints!.scheduler!, credentials: LOCAL_CREDENTIALS });
  plane = createControlPlane(t.cloud.connection());
  group = t.cloud.names.scheduleGroup;
}, 120_000);
afterAll(async () => {
  scheduler?.destroy();
  plane?.close();
  await t?.stop();
});

/** Every schedule of the app's group as GetSchedule answers it, by name. */
async function readAll() {
  const { Schedules } = await scheduler.send(new ListSchedulesCommand({ GroupName: group }));
  const details = await Promise.all((Schedules ?? []).map((s) => scheduler.send(new GetScheduleCommand({ Name: s.Name!, GroupName: group }))));
  return new Map(details.map((d) => [d.Name!, d]));
}

describe('the schedules a deploy of the app creates', () => {
  it('are those of the synthesized template: names, group, expressions, zones, state, target and input', async () => {
    const { template } = synthApp(entry, { prefix: t.cloud.config.prefix });
    const functionNames = new Map(resourcesOf(template, 'AWS::Lambda::Function').map(([id, props]) => [id, props.FunctionName as string]));
    const synthesized = resourcesOf(template, 'AWS::Scheduler::Schedule').map(([, props]) => ({
      name: props.Name as string,
      group: props.GroupName as string,
      expression: props.ScheduleExpression as string,
      timezone: props.ScheduleExpressionTimezone as string,
      state: props.State as string,
      window: props.FlexibleTimeWindow.Mode as string,
      target: functionNames.get(props.Target.Arn['Fn::GetAtt'][0] as string),
      input: props.Target.Input as string,
      hasStart: props.StartDate !== undefined,
    }));
    const local = [...(await readAll()).values()].map((s) => ({
      name: s.Name!,
      group: s.GroupName!,
      expression: s.ScheduleExpression!,
      timezone: s.ScheduleExpressionTimezone!,
      state: s.State!,
      window: s.FlexibleTimeWindow!.Mode!,
      target: s.Target!.Arn!.split(':function:')[1],
      input: s.Target!.Input!,
      hasStart: s.StartDate !== undefined,
    }));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(local.sort(byName)).toEqual(synthesized.sort(byName));
    expect(local.find((s) => s.name === t.cloud.names.schedule('every36h', 0))).toMatchObject({ expression: 'rate(36 hours)', hasStart: true });
    expect(local.find((s) => s.name === t.cloud.names.schedule('heavyCancelling', 0))).toMatchObject({
      target: t.cloud.names.lambdaFunction('multinode-dispatcher'),
      input: scheduleTargetInput('heavyCancelling'),
    });
  }, 120_000);

  it('are in step with the code: nothing differs', async () => {
    const report = await plane.deployedSchedules();
    expect(report).toMatchObject({ group, inSync: true, unknown: [] });
    expect(report.tasks.find((task) => task.name === 'skipping')).toMatchObject({
      state: 'ENABLED',
      differences: [],
      code: [{ expression: 'cron(0 * * * ? *)' }],
    });
  });
});

describe('the Scheduler API', () => {
  it('answers with the errors of EventBridge Scheduler', async () => {
    const error = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (e: Error) => ({ name: e.name, message: e.message }),
      );
    expect(await error(scheduler.send(new GetScheduleCommand({ Name: 'nope', GroupName: group })))).toEqual({
      name: 'ResourceNotFoundException',
      message: 'Schedule nope does not exist.',
    });
    const base = {
      GroupName: group,
      FlexibleTimeWindow: { Mode: 'OFF' as const },
      Target: { Arn: 'arn:aws:lambda:us-east-1:000000000000:function:x', RoleArn: 'arn:aws:iam::000000000000:role/x' },
    };
    const existing = t.cloud.names.schedule('skipping', 0);
    expect(await error(scheduler.send(new CreateScheduleCommand({ ...base, Name: existing, ScheduleExpression: 'cron(0 * * * ? *)' })))).toMatchObject({
      name: 'ConflictException',
    });
    expect(await error(scheduler.send(new CreateScheduleCommand({ ...base, Name: 'bad', ScheduleExpression: 'cron(0 * * * * *)' })))).toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/Invalid Schedule Expression cron\(0 \* \* \* \* \*\)/),
    });
    expect(
      await error(
        scheduler.send(new CreateScheduleCommand({ ...base, Name: 'old', ScheduleExpression: 'rate(1 hour)', StartDate: new Date(Date.now() - 3_600_000) })),
      ),
    ).toMatchObject({ name: 'ValidationException', message: 'The StartDate you specify cannot be earlier than 5 minutes ago.' });
    expect(
      await error(scheduler.send(new CreateScheduleCommand({ ...base, Name: 'x', GroupName: 'nogroup', ScheduleExpression: 'rate(1 hour)' }))),
    ).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('fires from what it holds: an edited expression, a disabled schedule', async () => {
    const name = t.cloud.names.schedule('skipping', 0);
    const current = await scheduler.send(new GetScheduleCommand({ Name: name, GroupName: group }));
    // UpdateSchedule is a full replace: every field is sent again.
    await scheduler.send(
      new UpdateScheduleCommand({
        Name: name,
        GroupName: group,
        ScheduleExpression: 'cron(30 * * * ? *)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: current.Target!,
        State: 'ENABLED',
      }),
    );
    const every = (task: string) =>
      t.cloud
        .upcoming(50)
        .filter((r) => r.name === task)
        .map((r) => r.scheduledTime.toISOString());
    await until(
      () => every('skipping'),
      (times) => times[0] === '2031-07-01T00:30:00.000Z',
      'the clock to fire the edited expression',
    );
    for (const key of ['skipping/2031-07-01T00:30', 'overlapping/2031-07-01T00:15', 'overlapping/2031-07-01T00:30'])
      await app.marks.set(`gate/${key}:00.000Z`, 1);
    clock.advanceTo('2031-07-01T00:30:30Z');
    await until(
      () => app.marks.get('ended/skipping/2031-07-01T00:30:00.000Z'),
      (v) => v === 'done',
      'the run at :30',
    );
    const overlapping = await scheduler.send(new GetScheduleCommand({ Name: t.cloud.names.schedule('overlapping', 0), GroupName: group }));
    await scheduler.send(
      new UpdateScheduleCommand({
        Name: overlapping.Name!,
        GroupName: group,
        ScheduleExpression: overlapping.ScheduleExpression!,
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: overlapping.Target!,
        State: 'DISABLED',
      }),
    );
    await until(
      () => every('overlapping'),
      (times) => times.length === 0,
      'the disabled schedule to stop firing',
    );
  });

  it('reports hand edits, deletions and schedules made by hand as differences from the code', async () => {
    const report = await plane.deployedSchedules();
    expect(report.inSync).toBe(false);
    const skipping = report.tasks.find((task) => task.name === 'skipping')!;
    expect(skipping.differences).toEqual([expect.objectContaining({ field: 'expression', deployed: 'cron(30 * * * ? *)', code: 'cron(0 * * * ? *)' })]);
    expect(report.tasks.find((task) => task.name === 'overlapping')).toMatchObject({ state: 'DISABLED', differences: [] });
    await scheduler.send(new DeleteScheduleCommand({ Name: t.cloud.names.schedule('brief', 0), GroupName: group }));
    const every36h = await scheduler.send(new GetScheduleCommand({ Name: t.cloud.names.schedule('every36h', 0), GroupName: group }));
    await scheduler.send(
      new UpdateScheduleCommand({
        Name: every36h.Name!,
        GroupName: group,
        ScheduleExpression: every36h.ScheduleExpression!,
        ScheduleExpressionTimezone: 'Europe/London',
        // Not on the 36-hour grid, and after the local Scheduler's (test) clock, as EventBridge requires.
        StartDate: new Date(clock.now() + 60_000),
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { ...every36h.Target!, Input: '{"hello":1}' },
        State: 'ENABLED',
      }),
    );
    await scheduler.send(
      new CreateScheduleCommand({
        Name: 'made-by-hand',
        GroupName: group,
        ScheduleExpression: 'rate(5 minutes)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: 'arn:aws:lambda:us-east-1:000000000000:function:other', RoleArn: 'arn:aws:iam::000000000000:role/x' },
      }),
    );
    const after = await plane.deployedSchedules();
    expect(after.tasks.find((task) => task.name === 'brief')).toMatchObject({
      state: 'NOT_DEPLOYED',
      differences: [
        expect.objectContaining({ field: 'schedule', code: 'cron(0 5 * * ? *) in UTC', message: expect.stringMatching(/in the code but not deployed/) }),
      ],
    });
    const rate = after.tasks.find((task) => task.name === 'every36h')!;
    expect(rate.differences.map((d) => d.field).sort()).toEqual(['input', 'startDate', 'timezone']);
    expect(rate.differences.find((d) => d.field === 'startDate')?.message).toMatch(/not a fire time of every36h/);
    expect(after.unknown.map((s) => s.name)).toEqual(['made-by-hand']);
  });

  it('reports a change of the code not yet deployed', async () => {
    const code = structuredClone(t.cloud.manifest) as Manifest;
    const cancelling = code.definitions.find((d) => d.name === 'cancelling');
    if (cancelling?.kind !== 'schedule') throw new Error('no cancelling task');
    Object.assign(cancelling.schedule, { expressions: [{ expression: 'cron(0 12 1 1 ? *)', timezone: 'UTC' }] });
    const report = await plane.deployedSchedules({ code });
    expect(report.tasks.find((task) => task.name === 'cancelling')?.differences).toEqual([
      expect.objectContaining({ field: 'expression', deployed: 'cron(0 0 1 1 ? *)', code: 'cron(0 12 1 1 ? *)' }),
    ]);
    await expect(plane.deployedSchedules({ code: {} as never })).rejects.toThrow(/code must be an app manifest/);
  });
});

describe('a deploy, as CloudFormation makes it', () => {
  const definition = (expression: string) => ({
    group: 'g',
    expression,
    state: 'ENABLED' as const,
    flexibleTimeWindow: { Mode: 'OFF' as const },
    target: { Arn: 'arn:aws:lambda:us-east-1:000000000000:function:f', RoleArn: 'arn:aws:iam::000000000000:role/r' },
  });

  it('creates what is missing, keeps a hand edit of a schedule it does not change, updates one it changes, deletes what it made and no longer has', () => {
    const store = new LocalScheduleStore('us-east-1', '000000000000');
    const changes: number[] = [];
    store.onChange(() => changes.push(1));
    store.deploy('g', [
      { name: 'a', definition: definition('rate(1 hour)') },
      { name: 'b', definition: definition('rate(2 hours)') },
      { name: 'c', definition: definition('rate(3 hours)') },
    ]);
    store.update('a', { ...definition('rate(5 hours)') });
    store.create('byHand', definition('rate(9 hours)'));
    store.deploy('g', [
      { name: 'a', definition: definition('rate(1 hour)') },
      { name: 'b', definition: definition('rate(20 hours)') },
    ]);
    expect(store.inGroup('g').map((s) => [s.name, s.expression])).toEqual([
      ['a', 'rate(5 hours)'],
      ['b', 'rate(20 hours)'],
      ['byHand', 'rate(9 hours)'],
    ]);
    expect(changes.length).toBe(4);
  });
});
