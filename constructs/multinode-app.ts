/**
 * MultinodeApp: a whole multinode app in any CDK stack. It bundles the app once, reads its manifest, and creates
 * every resource the manifest asks for: a table per dict and the state table, the payload bucket, a Lambda function
 * per Lambda-placed definition, Batch compute and a job definition per heavy definition, EventBridge Scheduler
 * schedules for scheduled tasks, an HTTP API per service, and least-privilege roles.
 */
import os from 'node:os';
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import type * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ServiceAuth } from '../lib/definitions/service.js';
import { definitionsOf, type Manifest, type ManifestDefinition, type ScheduledTaskManifest } from '../lib/manifest.js';
import { prefixFrom, PREFIX_PATTERN, resourceNames, type ResourceNames } from '../lib/naming.js';
import type { LambdaCompute } from '../lib/placement.js';
import { scheduleTargetInput } from '../lib/schedule/event.js';
import { DISPATCHER_COMPUTE, DISPATCHER_DEFINITION } from '../runtime/core/config.js';
import { lambdaFunctionTimeoutSeconds } from '../runtime/jobs/tuning.js';
import { acknowledgeStatements, appAccessStatements, type ExplainedStatement, grantStatements } from './app-access.js';
import { AppBatch, needsGpu } from './app-batch.js';
import { AppFunction } from './app-function.js';
import { AppSchedule, schedulerRole } from './app-schedule.js';
import { AppService } from './app-service.js';
import { buildApp, bundleRootIn } from './build.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import { SynthError } from './errors.js';
import { checkStackLimits } from './limits.js';
import { acknowledgeWildcards } from './nag.js';
import { checkOverrides, type DefinitionOverrides } from './overrides.js';
import { PayloadBucket } from './payload-bucket.js';
import { type AppLocation, connectionEnvironment, lambdaEnvironment } from './runtime-env.js';
import { DictTable, StateTable } from './tables.js';

/** The per-app Lambda that starts heavy scheduled tasks on Batch and records Batch job state changes. */
export { DISPATCHER_DEFINITION };

export interface MultinodeAppProps {
  /** The app module (`src/app.ts`), relative to the working directory or absolute. */
  readonly entry: string;
  /** The app's name; default the `name` of its package.json. */
  readonly appName?: string;
  /**
   * Prefix of every physical resource name (`<prefix>-<definition>`, `<prefix>-dict-<dict>`, ...); the runtime
   * finds resources through it. Default: made from the stack name. Two apps in one stack need different prefixes.
   */
  readonly prefix?: string;
  /** Where Batch jobs run; default a new VPC with public subnets and no NAT gateway. */
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Retention of every log group the app creates; default one month. */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to dict tables, the state table and the payload bucket when the stack goes; default RETAIN. */
  readonly removalPolicy?: RemovalPolicy;
  /** Default ARM_64 (the bundle is plain JavaScript). */
  readonly lambdaArchitecture?: lambda.Architecture;
  /**
   * Stack traces of the app's Lambdas point at the TypeScript sources (NODE_OPTIONS=--enable-source-maps); default
   * true. Node reads the bundle's source map when the first stack trace is made, which costs cold-start time.
   */
  readonly sourceMaps?: boolean;
  /** Settings of the Batch side (heavy definitions). */
  readonly batch?: {
    /** vCPUs running at once per compute environment; default 256. Your account's Fargate quota applies as well. */
    readonly maxvCpus?: number;
    /** How long a job may wait for capacity in RUNNABLE before it is cancelled; default 30 minutes. */
    readonly runnableTimeout?: Duration;
  };
  /** Retry policy of every schedule's delivery to its Lambda target; default 5 attempts within 1 hour. */
  readonly scheduleRetry?: { readonly retryAttempts?: number; readonly maxEventAge?: Duration };
  /** When given, an alarm tells this topic as soon as anything lands in the dead-letter queue. */
  readonly alarmTopic?: sns.ITopic;
  /** How long payloads stay in the payload bucket; default 7 days. */
  readonly payloadExpiration?: Duration;
  /** Server access logs of the payload bucket; default none. */
  readonly payloadAccessLogsBucket?: s3.IBucket;
  /** Deployment settings per definition, by definition name. */
  readonly overrides?: Readonly<Record<string, DefinitionOverrides>>;
  /** Where bundles are written; default `multinode-bundles` in the CDK output folder (`cdk.out`). */
  readonly bundleRoot?: string;
}

export interface MultinodeService {
  readonly service: AppService;
  readonly url: string;
}

export class MultinodeApp extends Construct {
  readonly manifest: Manifest;
  readonly prefix: string;
  readonly names: ResourceNames;
  /** The bundle (`app.mjs`) every Lambda and Batch container runs. */
  readonly bundleDir: string;
  readonly stateTable: StateTable;
  readonly dicts: Readonly<Record<string, DictTable>>;
  readonly payloadBucket: PayloadBucket;
  readonly deadLetterQueue: sqs.Queue;
  /** The app's permissions (tables, bucket, functions, Batch), attached to its Lambda and Batch roles. */
  readonly accessPolicy: iam.ManagedPolicy;
  readonly lambdaRole: iam.Role;
  /** Lambda functions by definition name (Lambda-placed functions, jobs, scheduled tasks and services). */
  readonly functions: Readonly<Record<string, lambda.Function>>;
  /** Batch job definitions by definition name (heavy functions, jobs and scheduled tasks). */
  readonly jobDefinitions: Readonly<Record<string, batch.EcsJobDefinition>>;
  readonly schedules: Readonly<Record<string, AppSchedule>>;
  readonly services: Readonly<Record<string, MultinodeService>>;
  /** The Batch side (compute, job definitions, job role), when the app has heavy definitions. */
  readonly batch?: AppBatch;
  /**
   * The app's own function: starts heavy scheduled tasks on Batch, records Batch job state changes, and computes
   * rate schedules' StartDates at deploy time. Only with heavy definitions or rate schedules.
   */
  readonly dispatcher?: lambda.Function;
  readonly scheduleGroup?: scheduler.ScheduleGroup;
  /** Environment variables that connect runtime code outside the app to it (with `grantAccess`). */
  readonly connectionEnvironment: Readonly<Record<string, string>>;

  private readonly props: MultinodeAppProps;
  private readonly overrides: ReadonlyMap<string, DefinitionOverrides>;
  private readonly accessStatements: ExplainedStatement[];
  private readonly code: lambda.Code;
  private readonly location: AppLocation;

  constructor(scope: Construct, id: string, props: MultinodeAppProps) {
    super(scope, id);
    this.props = props;
    const bundleRoot = props.bundleRoot ?? bundleRootIn(Stage.of(this)?.outdir ?? os.tmpdir());
    const build = buildApp(props.entry, { bundleRoot, ...(props.appName ? { appName: props.appName } : {}) });
    this.manifest = build.manifest;
    this.bundleDir = build.dir;
    this.prefix = resolvePrefix(this, props.prefix);
    this.names = resourceNames(this.prefix);
    const definitions = this.manifest.definitions;
    checkNames(definitions, this.names);
    this.overrides = checkOverrides(definitions, props.overrides ?? {});
    const placed = (placement: 'lambda' | 'batch') => definitions.filter((d) => d.placement === placement);

    // Data.
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.stateTable = new StateTable(this, 'State', { tableName: this.names.stateTable, removalPolicy });
    this.dicts = Object.fromEntries(
      definitions
        .filter((d) => d.kind === 'dict')
        .map((d) => [d.name, new DictTable(this, `Dict-${d.name}`, { tableName: this.names.dictTable(d.name), removalPolicy })]),
    );
    this.payloadBucket = new PayloadBucket(this, 'Payloads', {
      removalPolicy,
      ...(props.payloadExpiration ? { expiration: props.payloadExpiration } : {}),
      ...(props.payloadAccessLogsBucket ? { serverAccessLogsBucket: props.payloadAccessLogsBucket } : {}),
    });
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetters');
    if (props.alarmTopic) this.alarmOnDeadLetters(props.alarmTopic);

    // Permissions and the runtime's environment.
    this.accessStatements = this.appAccess(placed('lambda'), placed('batch'));
    this.accessPolicy = new iam.ManagedPolicy(this, 'AccessPolicy', {
      description: `What the multinode app ${this.manifest.app.name} may do: its tables, payloads, functions and Batch jobs`,
      statements: this.accessStatements.map((s) => s.statement),
    });
    acknowledgeStatements(this.accessPolicy, this.accessStatements);
    this.lambdaRole = this.createLambdaRole();
    this.location = { app: this.manifest.app.name, prefix: this.prefix, bucket: this.payloadBucket.bucket.bucketName };
    this.connectionEnvironment = connectionEnvironment(this.location);

    // Compute.
    this.code = lambda.Code.fromAsset(build.dir);
    this.functions = Object.fromEntries(placed('lambda').map((d) => [d.name, this.createFunction(d.name, d.kind, d.compute as LambdaCompute)]));
    const hasRateSchedules = definitionsOf(this.manifest, 'schedule').some((d) => d.schedule.expressions.some((e) => e.startDate !== undefined));
    if (placed('batch').length > 0 || hasRateSchedules) this.dispatcher = this.createFunction(DISPATCHER_DEFINITION, 'dispatcher', DISPATCHER_COMPUTE);
    if (placed('batch').length > 0) {
      this.batch = new AppBatch(this, 'Batch', {
        appName: this.manifest.app.name,
        names: this.names,
        definitions: placed('batch'),
        bundleFile: build.file,
        accessPolicy: this.accessPolicy,
        environment: this.connectionEnvironment,
        extraEnvironment: (name) => this.overrides.get(name)?.environment,
        stateChangeTarget: this.dispatcher!,
        deadLetterQueue: this.deadLetterQueue,
        maxvCpus: props.batch?.maxvCpus ?? 256,
        logRetention: this.logRetention,
        ...(props.batch?.runnableTimeout ? { runnableTimeout: props.batch.runnableTimeout } : {}),
        ...(props.vpc ? { vpc: props.vpc } : {}),
        ...(props.vpcSubnets ? { vpcSubnets: props.vpcSubnets } : {}),
      });
    }
    this.jobDefinitions = this.batch?.jobDefinitions ?? {};

    // Entry points.
    const scheduled = definitionsOf(this.manifest, 'schedule');
    if (scheduled.length > 0) {
      this.scheduleGroup = new scheduler.ScheduleGroup(this, 'ScheduleGroup', {
        scheduleGroupName: this.names.scheduleGroup,
        removalPolicy: RemovalPolicy.DESTROY,
      });
    }
    this.schedules = this.createSchedules(scheduled);
    this.services = Object.fromEntries(definitions.filter((d) => d.kind === 'service').map((d) => [d.name, this.createService(d)]));

    checkStackLimits(this);
  }

  /**
   * Lets compute outside the app (a Lambda, a container, a user) use the app as its own code does: call its
   * functions, start its jobs, use its dicts. Pair with `connectionEnvironment`, or use `connect`.
   */
  grantAccess(grantee: iam.IGrantable): void {
    grantStatements(grantee.grantPrincipal, this.accessStatements);
  }

  /** `grantAccess` plus the connection environment, for a Lambda function outside the app. */
  connect(fn: lambda.Function): void {
    this.grantAccess(fn);
    for (const [key, value] of Object.entries(this.connectionEnvironment)) fn.addEnvironment(key, value);
  }

  /** Read and write access to the named dicts only. */
  grantDictReadWrite(grantee: iam.IGrantable, ...dictNames: string[]): iam.Grant[] {
    return dictNames.map((name) => this.dict(name).table.grantReadWriteData(grantee));
  }

  /** Read access to the named dicts only. */
  grantDictRead(grantee: iam.IGrantable, ...dictNames: string[]): iam.Grant[] {
    return dictNames.map((name) => this.dict(name).table.grantReadData(grantee));
  }

  /** Lets `grantee` invoke the named Lambda functions only. */
  grantInvoke(grantee: iam.IGrantable, ...definitionNames: string[]): iam.Grant[] {
    return definitionNames.map((name) => {
      const fn = this.functions[name];
      if (!fn) throw new SynthError(`no Lambda function is named "${name}"; the app's functions are: ${Object.keys(this.functions).join(', ') || '(none)'}.`);
      return fn.grantInvoke(grantee);
    });
  }

  private dict(name: string): DictTable {
    const dict = this.dicts[name];
    if (!dict) throw new SynthError(`the app has no dict "${name}"; its dicts are: ${Object.keys(this.dicts).join(', ') || '(none)'}.`);
    return dict;
  }

  private get logRetention(): logs.RetentionDays {
    return this.props.logRetention ?? logs.RetentionDays.ONE_MONTH;
  }

  /** The statements of the app's access policy, from what the manifest declares. */
  private appAccess(lambdaPlaced: readonly ManifestDefinition[], batchPlaced: readonly ManifestDefinition[]): ExplainedStatement[] {
    const gpu = batchPlaced.some(needsGpu);
    return appAccessStatements(this, {
      prefix: this.prefix,
      stateTableArn: this.stateTable.table.tableArn,
      stateTableHasIndexes: this.stateTable.hasIndexes,
      dictTables: Object.values(this.dicts).map((d) => ({ name: d.table.tableName, arn: d.table.tableArn })),
      dictTablePrefix: this.names.dictTable(''),
      bucketArn: this.payloadBucket.bucket.bucketArn,
      // What app code can call: functions and jobs (scheduled tasks and services are not called through Lambda).
      invocableFunctions: lambdaPlaced.filter((d) => d.kind === 'function' || d.kind === 'job').map((d) => this.names.lambdaFunction(d.name)),
      jobDefinitions: batchPlaced.map((d) => this.names.batchJobDefinition(d.name)),
      jobQueues: batchPlaced.length === 0 ? [] : [this.names.jobQueue, ...(gpu ? [this.names.gpuJobQueue] : [])],
    });
  }

  private createFunction(name: string, kind: string, compute: LambdaCompute): lambda.Function {
    const override = this.overrides.get(name);
    return new AppFunction(this, `Function-${name}`, {
      functionName: this.names.lambdaFunction(name),
      code: this.code,
      memoryMB: compute.memoryMB,
      timeoutSeconds: lambdaFunctionTimeoutSeconds(kind, compute.timeoutSeconds),
      role: this.lambdaRole,
      environment: { ...lambdaEnvironment(this.location, { sourceMaps: this.props.sourceMaps ?? true }), ...override?.environment },
      architecture: this.props.lambdaArchitecture ?? lambda.Architecture.ARM_64,
      logRetention: this.logRetention,
      deadLetterQueue: this.deadLetterQueue,
      description: `multinode ${kind} ${name}`,
      ...(override?.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: override.reservedConcurrentExecutions } : {}),
    }).function;
  }

  /** One role for Scheduler, and each task's schedules (in the app's group) aimed at its function or the dispatcher. */
  private createSchedules(scheduled: readonly ScheduledTaskManifest[]): Record<string, AppSchedule> {
    const group = this.scheduleGroup;
    if (!group) return {};
    const targetOf = (d: ScheduledTaskManifest) => (d.placement === 'lambda' ? this.functions[d.name]! : this.dispatcher!);
    const role = schedulerRole(this, 'SchedulerRole');
    const targets = [...new Set(scheduled.map(targetOf))];
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'InvokeTargets', actions: ['lambda:InvokeFunction'], resources: targets.map((f) => f.functionArn) }),
    );
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'DeadLetters', actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));
    return Object.fromEntries(
      scheduled.map((d) => [
        d.name,
        new AppSchedule(this, `Schedule-${d.name}`, {
          definition: d.name,
          expressions: d.schedule.expressions,
          input: scheduleTargetInput(d.name),
          target: targetOf(d),
          role,
          deadLetterQueue: this.deadLetterQueue,
          group,
          scheduleName: (index) => this.names.schedule(d.name, index),
          enabled: this.overrides.get(d.name)?.enabled ?? true,
          ...(this.dispatcher ? { startProvider: this.dispatcher } : {}),
          ...this.props.scheduleRetry,
        }),
      ]),
    );
  }

  /** A service's HTTP API in front of its function, and its URL as a stack output. */
  private createService(definition: ManifestDefinition): MultinodeService {
    const override = this.overrides.get(definition.name);
    const service = new AppService(this, `Service-${definition.name}`, {
      definition: definition.name,
      handler: this.functions[definition.name]!,
      auth: (definition.options as { auth?: ServiceAuth }).auth ?? 'none',
      timeoutSeconds: (definition.compute as LambdaCompute).timeoutSeconds,
      apiName: this.names.lambdaFunction(definition.name),
      logRetention: this.logRetention,
      ...(override?.throttle ? { throttle: override.throttle } : {}),
      ...(override?.corsPreflight ? { corsPreflight: override.corsPreflight } : {}),
    });
    new CfnOutput(this, `Url-${definition.name}`, { value: service.url, description: `URL of the multinode service ${definition.name}` });
    return { service, url: service.url };
  }

  private createLambdaRole(): iam.Role {
    const role = new iam.Role(this, 'LambdaRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the Lambda functions of the multinode app ${this.manifest.app.name}`,
      managedPolicies: [this.accessPolicy],
    });
    const logGroups = Stack.of(this).formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `/aws/lambda/${this.names.lambdaFunction('')}*:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'Logs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroups] }));
    acknowledgeWildcards(
      role,
      [logGroups],
      `The log groups of the app's functions, all named "/aws/lambda/${this.names.lambdaFunction('')}<definition>", and their streams.`,
    );
    return role;
  }

  private alarmOnDeadLetters(topic: sns.ITopic): void {
    const alarm = new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      alarmDescription: `Events or invocations of the multinode app ${this.manifest.app.name} failed for good and wait in its dead-letter queue`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
  }
}

function resolvePrefix(scope: Construct, given: string | undefined): string {
  const prefix = given ?? prefixFrom(Stack.of(scope).stackName);
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new SynthError(`the prefix "${prefix}" is not valid: use a letter, then letters, digits and "-", at most 32 characters.`);
  }
  const stack = Stack.of(scope);
  const used = usedPrefixes.get(stack) ?? new Set<string>();
  if (used.has(prefix)) {
    throw new SynthError(`two multinode apps in stack ${stack.stackName} use the prefix "${prefix}"; give each MultinodeApp its own "prefix".`);
  }
  used.add(prefix);
  usedPrefixes.set(stack, used);
  return prefix;
}

const usedPrefixes = new WeakMap<Stack, Set<string>>();

/** Definitions whose physical names would clash with the app's own resources. */
function checkNames(definitions: readonly ManifestDefinition[], names: ResourceNames): void {
  const reserved = names.lambdaFunction(DISPATCHER_DEFINITION);
  for (const definition of definitions) {
    if (definition.placement !== null && names.lambdaFunction(definition.name) === reserved) {
      throw new SynthError(
        `its Lambda function would be named "${reserved}", the name of the app's own dispatcher function; rename the definition.`,
        definition.name,
      );
    }
  }
}
