/**
 * A scheduled task's EventBridge Scheduler schedules: one per compiled expression, each with its IANA time zone
 * and optional start, the flexible window off, an explicit retry policy and a dead-letter queue. The target is a
 * Lambda function invoked asynchronously with the scheduled-event template as input; the event carries
 * `<aws.scheduler.scheduled-time>` so the runtime de-duplicates Scheduler's at-least-once deliveries.
 *
 * A rate schedule's StartDate must not be more than 5 minutes in the past when it is created or updated. With
 * `startProvider`, each rate schedule takes it from a custom resource computed at deploy time (see
 * runtime/handler/schedule-start-kind.ts); without, from the compiled expression (fixed at synth time).
 */
import { CustomResource, Duration, Stack, TimeZone, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { shortHash } from '../lib/naming.js';
import type { CompiledExpression } from '../lib/schedule/spec.js';
import { SCHEDULE_START_RESOURCE_TYPE, type ScheduleStartProperties } from '../runtime/schedules/start-date-event.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import { SynthError } from './errors.js';

export interface AppScheduleProps {
  /** The scheduled task's definition name; it goes into the description and errors. Required. */
  readonly definition: string;
  /** The task's compiled expressions, one schedule each (at least one). Required. */
  readonly expressions: readonly CompiledExpression[];
  /** The `Input` template of every schedule (the scheduled event with Scheduler's placeholders). Required. */
  readonly input: string;
  /** The Lambda function the schedules invoke (asynchronously). Required. */
  readonly target: lambda.IFunction;
  /**
   * Assumed by Scheduler; it must already be allowed to invoke the target and send to the dead-letter queue.
   *
   * @default - a new role allowed exactly that
   */
  readonly role?: iam.IRole;
  /**
   * Where events go once the retry policy gives up.
   *
   * @default - a new encrypted queue
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * The schedule group of the schedules.
   *
   * @default - the account's `default` group
   */
  readonly group?: scheduler.IScheduleGroup;
  /**
   * Physical name of the i-th schedule (unique within the account and region's group, 1 to 64 of `[0-9a-zA-Z-_.]`).
   *
   * @default - names CloudFormation makes
   */
  readonly scheduleName?: (index: number) => string;
  /**
   * Attempts to deliver an event after a failed one, 0 to 185.
   *
   * @default 5
   */
  readonly retryAttempts?: number;
  /**
   * How long Scheduler keeps trying to deliver an event, whole seconds from 1 minute to 24 hours.
   *
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
  /**
   * Whether the schedules are enabled.
   *
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * A Lambda function running the app bundle's handler (the app's dispatcher) that computes each rate schedule's
   * StartDate at deploy time.
   *
   * @default - none: the StartDate compiled at synth time is used, so a deploy more than about 20 minutes after synth
   * fails ("The StartDate you specify cannot be earlier than 5 minutes ago")
   */
  readonly startProvider?: lambda.IFunction;
}

/** How long CloudFormation waits for a rate schedule's start date. */
const START_ANSWER_TIMEOUT = Duration.minutes(5);

export const SCHEDULE_RETRY_DEFAULTS = { retryAttempts: 5, maxEventAge: Duration.hours(1) } as const;

export class AppSchedule extends Construct {
  readonly schedules: scheduler.Schedule[] = [];
  /** The deploy-time StartDate resources of the rate schedules (with `startProvider`). */
  readonly starts: CustomResource[] = [];
  readonly role: iam.IRole;
  readonly deadLetterQueue: sqs.IQueue;

  constructor(scope: Construct, id: string, props: AppScheduleProps) {
    super(scope, id);
    const retry = this.checkProps(props);
    this.deadLetterQueue = props.deadLetterQueue ?? deadLetterQueue(this, 'DeadLetters');
    this.role = props.role ?? this.createRole(props.target, props.group);
    const target = this.target(props, retry);
    const requestedAt = new Date().toISOString();
    props.expressions.forEach((compiled, index) => {
      this.schedules.push(this.createSchedule(props, target, compiled, index, requestedAt));
    });
  }

  /** The expressions and retry policy, checked against what EventBridge Scheduler accepts. */
  private checkProps(props: AppScheduleProps): { retryAttempts: number; ageSeconds: number } {
    if (props.expressions.length === 0) {
      throw new SynthError('the scheduled task has no compiled schedule expressions, so it would never run.', this, props.definition);
    }
    const retryAttempts = props.retryAttempts ?? SCHEDULE_RETRY_DEFAULTS.retryAttempts;
    const maxEventAge = props.maxEventAge ?? SCHEDULE_RETRY_DEFAULTS.maxEventAge;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 185) {
      throw new SynthError(
        `scheduleRetry.retryAttempts must be a whole number from 0 to 185 (EventBridge Scheduler's range), got ${retryAttempts}.`,
        this,
        props.definition,
      );
    }
    const ageSeconds = maxEventAge.toSeconds({ integral: false });
    if (!Number.isInteger(ageSeconds) || ageSeconds < 60 || ageSeconds > 86400) {
      throw new SynthError(
        `scheduleRetry.maxEventAge must be whole seconds from 1 minute to 24 hours, got ${maxEventAge.toHumanString()}.`,
        this,
        props.definition,
      );
    }
    return { retryAttempts, ageSeconds };
  }

  /** A role of its own: allowed to invoke the target and send to the dead-letter queue, nothing else. */
  private createRole(target: lambda.IFunction, group: scheduler.IScheduleGroup | undefined): iam.IRole {
    const role = schedulerRole(this, 'Role', group);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [target.functionArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));
    return role;
  }

  /** The target every schedule shares: the function, the input template, the retry policy and the dead-letter queue. */
  private target(props: AppScheduleProps, retry: { retryAttempts: number; ageSeconds: number }): scheduler.IScheduleTarget {
    const role = this.role;
    const deadLetterArn = this.deadLetterQueue.queueArn;
    return {
      bind: () => ({
        arn: props.target.functionArn,
        role,
        input: scheduler.ScheduleTargetInput.fromText(props.input),
        deadLetterConfig: { arn: deadLetterArn },
        retryPolicy: { maximumRetryAttempts: retry.retryAttempts, maximumEventAgeInSeconds: retry.ageSeconds },
      }),
    };
  }

  /** The schedule of compiled expression `index`, with its start (at deploy time when there is a start provider). */
  private createSchedule(
    props: AppScheduleProps,
    target: scheduler.IScheduleTarget,
    compiled: CompiledExpression,
    index: number,
    requestedAt: string,
  ): scheduler.Schedule {
    const start = compiled.startDate === undefined ? undefined : new Date(compiled.startDate);
    if (start && Number.isNaN(start.getTime())) {
      throw new SynthError(`schedule expression ${index} has an invalid start date "${compiled.startDate}".`, this, props.definition);
    }
    const deployTimeStart = start && props.startProvider ? this.deployTimeStart(props, index, compiled, requestedAt, props.startProvider) : undefined;
    const schedule = new scheduler.Schedule(this, `Schedule${index}`, {
      schedule: scheduler.ScheduleExpression.expression(compiled.expression, TimeZone.of(compiled.timezone)),
      target,
      timeWindow: scheduler.TimeWindow.off(),
      enabled: props.enabled ?? true,
      description: `multinode scheduled task ${props.definition}`,
      ...(props.scheduleName ? { scheduleName: props.scheduleName(index) } : {}),
      ...(props.group ? { scheduleGroup: props.group } : {}),
      ...(start && !deployTimeStart ? { start } : {}),
    });
    if (deployTimeStart) (schedule.node.defaultChild as scheduler.CfnSchedule).startDate = deployTimeStart.getAttString('StartDate');
    // The group is named by a plain string, which makes no dependency: without one, CloudFormation may create the
    // schedule before its group.
    if (props.group) schedule.node.addDependency(props.group);
    return schedule;
  }

  /** The custom resource that answers the StartDate of rate schedule `index` when the stack deploys. */
  private deployTimeStart(
    props: AppScheduleProps,
    index: number,
    compiled: CompiledExpression,
    requestedAt: string,
    provider: lambda.IFunction,
  ): CustomResource {
    const properties: ScheduleStartProperties = {
      Definition: props.definition,
      Index: String(index),
      Expression: compiled.expression,
      RequestedAt: requestedAt,
    };
    // CloudFormation refuses to change a custom resource's ServiceToken: a provider of another name (another prefix)
    // makes a new resource, under another id.
    const physicalName = (provider.node.defaultChild as lambda.CfnFunction | undefined)?.functionName;
    const providerName = physicalName === undefined || Token.isUnresolved(physicalName) ? '' : `-${shortHash(physicalName)}`;
    const resource = new CustomResource(this, `Start${index}${providerName}`, {
      serviceToken: provider.functionArn,
      resourceType: SCHEDULE_START_RESOURCE_TYPE,
      properties: { ...properties },
      // An answer that never comes (the function crashed before answering) fails the deploy in minutes, not an hour.
      serviceTimeout: START_ANSWER_TIMEOUT,
    });
    this.starts.push(resource);
    return resource;
  }
}

/**
 * The role EventBridge Scheduler assumes for an app's schedules: only Scheduler acting for this account and for the
 * schedules of `group` (the account's `default` group when none is given), so no other group's schedule can use it.
 */
export function schedulerRole(scope: Construct, id: string, group?: scheduler.IScheduleGroup): iam.Role {
  const stack = Stack.of(scope);
  const groupArn = group?.scheduleGroupArn ?? stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' });
  return new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': groupArn } },
    }),
    description: "EventBridge Scheduler invokes the app's scheduled tasks",
  });
}
