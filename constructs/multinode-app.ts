/**
 * MultinodeApp: a whole multinode app in any CDK stack. It bundles the app once, reads its manifest, and creates
 * every resource the manifest asks for: a table per dict and the state table, the payload bucket, a Lambda function
 * per Lambda-placed definition, Batch compute and a job definition per heavy definition, EventBridge Scheduler
 * schedules for scheduled tasks, an HTTP API per service, a Secrets Manager secret per declared secret, and
 * least-privilege roles.
 *
 * The manifest speaks in numbers (MB, MiB, seconds); they become `Size`s and `Duration`s here and in AppBatch.
 */
import os from 'node:os';
import { CfnOutput, Duration, RemovalPolicy, Size, Stack, Stage } from 'aws-cdk-lib';
import type * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  definitionsOf,
  isOnBatch,
  isOnLambda,
  type Manifest,
  type ManifestDefinition,
  type ManifestDefinitionOf,
  type LambdaPlaced,
  type BatchPlaced,
  type ScheduledTaskManifest,
  secretsOf,
  type ServiceManifest,
} from '../lib/manifest.js';
import type { DefinitionKind } from '../lib/options/context.js';
import { prefixFrom, PREFIX_PATTERN, resourceNames, type ResourceNames } from '../lib/naming.js';
import type { LambdaCompute } from '../lib/placement.js';
import { scheduleTargetInput } from '../lib/schedule/event.js';
import { overlapOf } from '../lib/schedule/overlap.js';
import { DISPATCHER_COMPUTE, DISPATCHER_DEFINITION } from '../runtime/core/config.js';
import { lambdaFunctionTimeoutSeconds } from '../runtime/jobs/tuning.js';
import { secretValueEnv } from '../runtime/settings/environment.js';
import { acknowledgeStatements, appAccessStatements, combineGrants, type ExplainedStatement, grantStatements } from './app-access.js';
import { AppBatch, needsGpu } from './app-batch.js';
import { describeApp } from './app-description.js';
import { configEnvironmentFor } from './app-config.js';
import { AppSecrets } from './app-secrets.js';
import { AppFunction } from './app-function.js';
import { AppSchedule, schedulerRole } from './app-schedule.js';
import { AppService } from './app-service.js';
import { type AppBuild, buildApp, bundleRootIn } from './build.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import { SynthError } from './errors.js';
import { appLambdaRole } from './lambda-role.js';
import { checkStackLimits } from './limits.js';
import { lookUp } from './lookup.js';
import { batchDownload, bundleArchive, lambdaCode } from './native-assets.js';
import { type OperatorAccessInput, operatorStatements } from './operator-access.js';
import { checkOverrides, type DefinitionOverrides } from './overrides.js';
import { PayloadBucket } from './payload-bucket.js';
import { type AppLocation, connectionEnvironment, lambdaEnvironment } from './runtime-env.js';
import { DictTable, StateTable } from './tables.js';

/** The per-app Lambda that starts heavy scheduled tasks on Batch and records Batch job state changes. */
export { DISPATCHER_DEFINITION };

/** Settings of the Batch side of an app (its heavy definitions). */
export interface MultinodeBatchProps {
  /**
   * vCPUs running at once per compute environment, a whole number of at least 1; every heavy definition must fit in
   * it. Your account's Fargate quota applies as well.
   *
   * @default 256
   */
  readonly maxvCpus?: number;
  /**
   * How long a job may wait for capacity in RUNNABLE before it is cancelled, 10 minutes to 24 hours.
   *
   * @default Duration.minutes(30)
   */
  readonly runnableTimeout?: Duration;
  /**
   * The KMS key of the CDK asset bucket, for an account bootstrapped with a customer key (`cdk bootstrap
   * --bootstrap-customer-key` or `--bootstrap-kms-key-id`): Batch jobs download the app bundle from that bucket, and
   * their role gets `kms:Decrypt` on the key (through S3 only). An account bootstrapped with the default (AWS
   * managed) key needs none.
   *
   * @default - no key: the asset bucket's objects need no permission on a customer key
   */
  readonly assetBucketKey?: kms.IKey;
  /**
   * Processor architecture of the Fargate containers: the app's native modules are installed for it. GPU jobs run
   * on x86_64 instances whatever this says.
   *
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly architecture?: ecs.CpuArchitecture;
}

/** The retry policy of every schedule's delivery to its Lambda target. */
export interface ScheduleRetryProps {
  /**
   * Attempts to deliver an event after a failed one, 0 to 185.
   *
   * @default 5
   */
  readonly retryAttempts?: number;
  /**
   * How long Scheduler keeps trying, whole seconds from 1 minute to 24 hours.
   *
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
}

export interface MultinodeAppProps {
  /** The app module (`src/app.ts`), relative to the working directory or absolute. Required. */
  readonly entry: string;
  /**
   * The app's name (in the manifest and the runtime's environment).
   *
   * @default - the `name` of the nearest package.json above the entry, else the entry's folder
   */
  readonly appName?: string;
  /**
   * Prefix of every physical resource name (`<prefix>-<definition>`, `<prefix>-dict-<dict>`, ...); the runtime
   * finds resources through it. A letter, then letters, digits and "-", at most 32 characters. Two apps in one stack
   * need different prefixes.
   *
   * @default - made from the stack name
   */
  readonly prefix?: string;
  /**
   * Where Batch jobs run (only used when the app has heavy definitions).
   *
   * @default - a new VPC with public subnets in two zones and no NAT gateway
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of `vpc` for Batch jobs; they need a route out (isolated subnets are refused).
   *
   * @default - the VPC's private subnets with egress when it has some, else its public subnets (with a public IP)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Retention of every log group the app creates.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to dict tables, the state table, the payload bucket and the secrets it creates when the stack goes.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Processor architecture of the app's Lambda functions (the bundle is plain JavaScript; the app's native modules
   * are installed for it).
   *
   * @default lambda.Architecture.ARM_64
   */
  readonly lambdaArchitecture?: lambda.Architecture;
  /**
   * Stack traces of the app's Lambdas point at the TypeScript sources (NODE_OPTIONS=--enable-source-maps). Node
   * reads the bundle's source map when the first stack trace is made, which costs cold-start time.
   *
   * @default true
   */
  readonly sourceMaps?: boolean;
  /**
   * Settings of the Batch side (heavy definitions).
   *
   * @default - the defaults of each setting
   */
  readonly batch?: MultinodeBatchProps;
  /**
   * Retry policy of every schedule's delivery to its Lambda target.
   *
   * @default - 5 attempts within 1 hour
   */
  readonly scheduleRetry?: ScheduleRetryProps;
  /**
   * When given, an alarm tells this topic as soon as anything lands in the dead-letter queue.
   *
   * @default - no alarm
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * How long payloads stay in the payload bucket, whole days.
   *
   * @default Duration.days(31)
   */
  readonly payloadExpiration?: Duration;
  /**
   * Where S3 writes the server access logs of the payload bucket.
   *
   * @default - no access logs
   */
  readonly payloadAccessLogsBucket?: s3.IBucket;
  /**
   * Deployment settings per definition, by definition name.
   *
   * @default - none
   */
  readonly overrides?: Readonly<Record<string, DefinitionOverrides>>;
  /**
   * Where bundles are written.
   *
   * @default - `multinode-bundles` in the CDK output folder (`cdk.out`)
   */
  readonly bundleRoot?: string;
  /**
   * Existing Secrets Manager secrets to use for some of the app's secrets, by secret name (each holding its value as
   * text); the others are created, named `<prefix>/<name>`, without a value. Values are never in the template.
   *
   * @default - every secret is created
   */
  readonly secrets?: Readonly<Record<string, secretsmanager.ISecret>>;
  /**
   * Values of the app's config settings, by name, for every Lambda function and Batch container
   * (`MULTINODE_CONFIG_<name>`; not secret: they are in the template). A setting left out takes the CDK context
   * `multinode:config`'s value, else the default in the code; one with neither fails the synth.
   *
   * @default - the context's values and the defaults in the code
   */
  readonly config?: Readonly<Record<string, string>>;
}

/** A service of the app: its HTTP API and URL. */
export interface MultinodeService {
  /** The HTTP API in front of the service's function. */
  readonly service: AppService;
  /** The service's URL (the `$default` stage). */
  readonly url: string;
  /** The stack output holding the URL (`Url-<service>` in the app construct). */
  readonly output: CfnOutput;
}

/**
 * A whole multinode app. Look its parts up by definition name with `dict(name)`, `function(name)`,
 * `jobDefinition(name)`, `schedule(name)` and `service(name)`: they fail with the names that exist, where the
 * records (`dicts`, `functions`, ...) just give `undefined` for a name that does not.
 */
export class MultinodeApp extends Construct {
  /** What `multinode manifest` prints for the entry: the definitions and where each runs. */
  readonly manifest: Manifest;
  /** Prefix of every physical name of the app. */
  readonly prefix: string;
  /** The app's physical names, by the rule the runtime uses to find them. */
  readonly names: ResourceNames;
  /** The folder of the bundle (`app.mjs` and its chunks) every Lambda and Batch container runs. */
  readonly bundleDir: string;
  /** The app's state table: invocations, jobs, schedule de-duplication, locks. */
  readonly stateTable: StateTable;
  /** Dict tables by dict name. Prefer `dict(name)`, which fails on a name the app does not have. */
  readonly dicts: Readonly<Record<string, DictTable>>;
  /** Where payloads too large to travel inline go. */
  readonly payloadBucket: PayloadBucket;
  /** Events and invocations that failed for good. */
  readonly deadLetterQueue: sqs.Queue;
  /** The app's permissions (tables, bucket, functions, Batch), attached to its Lambda and Batch roles. */
  readonly accessPolicy: iam.ManagedPolicy;
  /** The role of every Lambda function of the app that reads no secrets (each one that does has its own). */
  readonly lambdaRole: iam.Role;
  /** The Secrets Manager secret of each secret the app declares. Prefer `secret(name)`, which fails on a name the app does not have. */
  readonly secrets: Readonly<Record<string, secretsmanager.ISecret>>;
  /**
   * Lambda functions by definition name (Lambda-placed functions, jobs, scheduled tasks and services). Prefer
   * `function(name)`, which fails on a name the app does not have.
   */
  readonly functions: Readonly<Record<string, lambda.Function>>;
  /**
   * Batch job definitions by definition name (heavy functions, jobs and scheduled tasks). Prefer
   * `jobDefinition(name)`, which fails on a name the app does not have.
   */
  readonly jobDefinitions: Readonly<Record<string, batch.EcsJobDefinition>>;
  /** Schedules by scheduled task name. Prefer `schedule(name)`, which fails on a name the app does not have. */
  readonly schedules: Readonly<Record<string, AppSchedule>>;
  /** Services by definition name. Prefer `service(name)`, which fails on a name the app does not have. */
  readonly services: Readonly<Record<string, MultinodeService>>;
  /** The Batch side (compute, job definitions, job role), when the app has heavy definitions. */
  readonly batch?: AppBatch;
  /**
   * The app's own function: starts heavy scheduled tasks on Batch, records Batch job state changes, and computes
   * rate schedules' StartDates at deploy time. Only with heavy definitions or rate schedules.
   */
  readonly dispatcher?: lambda.Function;
  /** The group of the app's schedules, when it has scheduled tasks. */
  readonly scheduleGroup?: scheduler.ScheduleGroup;
  /** Environment variables that connect runtime code outside the app to it (with `grantAccess`). */
  readonly connectionEnvironment: Readonly<Record<string, string>>;
  /**
   * The stack output describing the app once deployed (JSON: app, prefix, bucket, region, service URLs), which
   * `multinode --stack` reads along with the app's manifest in the template's Metadata (`multinode:<prefix>`).
   */
  readonly connectionOutput: CfnOutput;

  private readonly props: MultinodeAppProps;
  private readonly overrides: ReadonlyMap<string, DefinitionOverrides>;
  private readonly accessStatements: ExplainedStatement[];
  private readonly location: AppLocation;
  private readonly appSecrets: AppSecrets;
  /** `MULTINODE_CONFIG_<name>` of every config setting given a value for this deployment. */
  private readonly configEnvironment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: MultinodeAppProps) {
    super(scope, id);
    this.props = props;

    // Bundle: build the app once, read its manifest, and name its resources.
    const build = this.bundle();
    this.manifest = build.manifest;
    this.bundleDir = build.dir;
    this.prefix = resolvePrefix(this, props.prefix);
    this.names = resourceNames(this.prefix);
    this.overrides = this.checkDefinitions();

    // Data.
    this.stateTable = new StateTable(this, 'State', { tableName: this.names.stateTable, removalPolicy: this.removalPolicy });
    this.dicts = this.createDicts();
    this.payloadBucket = this.createPayloadBucket();
    this.deadLetterQueue = this.createDeadLetters();
    this.appSecrets = new AppSecrets(this, 'Secrets', {
      appName: this.manifest.app.name,
      names: this.names,
      secrets: this.manifest.secrets.map((s) => s.name),
      removalPolicy: this.removalPolicy,
      ...(props.secrets ? { existing: props.secrets } : {}),
    });
    this.secrets = this.appSecrets.secrets;
    this.configEnvironment = configEnvironmentFor(this, this.manifest.config, props.config);

    // Access: the app's permissions and the runtime's environment.
    this.accessStatements = this.appAccess();
    this.accessPolicy = this.createAccessPolicy();
    this.lambdaRole = this.createLambdaRole();
    this.location = { app: this.manifest.app.name, prefix: this.prefix, bucket: this.payloadBucket.bucket.bucketName };
    this.connectionEnvironment = connectionEnvironment(this.location);

    // Compute.
    const code = this.lambdaCode(build);
    this.functions = this.createFunctions(code);
    this.dispatcher = this.createDispatcher(code);
    this.batch = this.createBatch(build);
    this.jobDefinitions = this.batch?.jobDefinitions ?? {};

    // Schedules.
    this.scheduleGroup = this.createScheduleGroup();
    this.schedules = this.createSchedules();

    // Services.
    this.services = this.createServices();

    // What the stack says about the app, for operators' tools.
    this.connectionOutput = describeApp(this, {
      manifest: this.manifest,
      prefix: this.prefix,
      bucketName: this.payloadBucket.bucket.bucketName,
      services: this.services,
    });

    checkStackLimits(this);
  }

  /** The table of dict `name`; fails naming the app's dicts when it has no such dict. */
  dict(name: string): DictTable {
    return lookUp(this, 'dict', this.dicts, name);
  }

  /**
   * The Lambda function of definition `name` (a function, job, scheduled task or service placed on Lambda); fails
   * naming the app's functions when it has none of that name.
   */
  function(name: string): lambda.Function {
    const onBatch = Object.hasOwn(this.jobDefinitions, name) ? `definition "${name}" runs on AWS Batch (see jobDefinition("${name}")); ` : undefined;
    return lookUp(this, 'Lambda function', this.functions, name, onBatch);
  }

  /** The Batch job definition of definition `name`; fails naming the app's job definitions when it has none of that name. */
  jobDefinition(name: string): batch.EcsJobDefinition {
    const onLambda = Object.hasOwn(this.functions, name) ? `definition "${name}" runs on Lambda (see function("${name}")); ` : undefined;
    return lookUp(this, 'job definition', this.jobDefinitions, name, onLambda);
  }

  /** The schedules of scheduled task `name`; fails naming the app's scheduled tasks when it has none of that name. */
  schedule(name: string): AppSchedule {
    return lookUp(this, 'scheduled task', this.schedules, name);
  }

  /** Service `name` (its HTTP API and URL); fails naming the app's services when it has none of that name. */
  service(name: string): MultinodeService {
    return lookUp(this, 'service', this.services, name);
  }

  /** The Secrets Manager secret of secret `name`; fails naming the app's secrets when it has none of that name. */
  secret(name: string): secretsmanager.ISecret {
    return lookUp(this, 'secret', this.secrets, name);
  }

  /**
   * Lets compute outside the app (a Lambda, a container, a user) use the app as its own code does: call its
   * functions, start its jobs, use its dicts. Pair with `connectionEnvironment`, or use `connect`.
   */
  grantAccess(grantee: iam.IGrantable): iam.Grant {
    return grantStatements(grantee, this.accessStatements);
  }

  /** `grantAccess` plus the connection environment, for a Lambda function outside the app. */
  connect(fn: lambda.Function): iam.Grant {
    const grant = this.grantAccess(fn);
    for (const [key, value] of Object.entries(this.connectionEnvironment)) fn.addEnvironment(key, value);
    return grant;
  }

  /**
   * Lets `grantee` (people, or the role their tools assume) look at the deployed app: find it from its stack, list
   * and inspect its runs, jobs and schedules, read its dicts, logs and large payloads. Nothing that runs or changes
   * anything. See docs/operate.md for each action and why.
   */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return grantStatements(grantee, operatorStatements(this, this.operatorAccess(), 'read'));
  }

  /**
   * `grantRead`, plus acting on the app: cancel, retry and trigger runs (invoking its functions, jobs, scheduled
   * tasks and dispatcher, submitting and stopping its Batch jobs), pause and resume scheduled tasks, and edit dicts.
   * Never invoking its services' functions, which are called through their APIs and the APIs' auth.
   */
  grantOperate(grantee: iam.IGrantable): iam.Grant {
    return grantStatements(grantee, operatorStatements(this, this.operatorAccess(), 'operate'));
  }

  /** Read and write access to the named dicts only (at least one). */
  grantDictReadWrite(grantee: iam.IGrantable, ...dictNames: string[]): iam.Grant {
    return this.grantEach(
      'grantDictReadWrite',
      'dict',
      dictNames.map((name) => this.dict(name)),
      (dict) => dict.table.grantReadWriteData(grantee),
    );
  }

  /** Read access to the named dicts only (at least one). */
  grantDictRead(grantee: iam.IGrantable, ...dictNames: string[]): iam.Grant {
    return this.grantEach(
      'grantDictRead',
      'dict',
      dictNames.map((name) => this.dict(name)),
      (dict) => dict.table.grantReadData(grantee),
    );
  }

  /** Lets `grantee` invoke the Lambda functions of the named definitions only (at least one). */
  grantInvoke(grantee: iam.IGrantable, ...definitionNames: string[]): iam.Grant {
    return this.grantEach(
      'grantInvoke',
      'definition',
      definitionNames.map((name) => this.function(name)),
      (fn) => fn.grantInvoke(grantee),
    );
  }

  /** One grant per item (looked up before anything is granted), combined into one. */
  private grantEach<T>(method: string, what: string, items: readonly T[], grant: (item: T) => iam.Grant): iam.Grant {
    if (items.length === 0) throw new SynthError(`${method} needs at least one ${what} name.`, this);
    return combineGrants(items.map(grant));
  }

  private get removalPolicy(): RemovalPolicy {
    return this.props.removalPolicy ?? RemovalPolicy.RETAIN;
  }

  private get logRetention(): logs.RetentionDays {
    return this.props.logRetention ?? logs.RetentionDays.ONE_MONTH;
  }

  private onLambda(): LambdaPlaced[] {
    return this.manifest.definitions.filter(isOnLambda);
  }

  private onBatch(): BatchPlaced[] {
    return this.manifest.definitions.filter(isOnBatch);
  }

  private ofKind<K extends DefinitionKind>(kind: K): Array<ManifestDefinitionOf<K>> {
    return definitionsOf(this.manifest, kind);
  }

  /** Builds the app (once per entry and process) and reads its manifest; a failure names this construct. */
  private bundle(): AppBuild {
    const bundleRoot = this.props.bundleRoot ?? bundleRootIn(Stage.of(this)?.outdir ?? os.tmpdir());
    try {
      return buildApp(this.props.entry, { bundleRoot, ...(this.props.appName ? { appName: this.props.appName } : {}) });
    } catch (error) {
      if (error instanceof SynthError && error.constructPath === undefined) throw new SynthError(error.reason, this, error.definition, { cause: error });
      throw error;
    }
  }

  /** Definitions whose names would clash with the app's own resources, and the overrides checked against them. */
  private checkDefinitions(): Map<string, DefinitionOverrides> {
    const reserved = this.names.lambdaFunction(DISPATCHER_DEFINITION);
    for (const definition of this.manifest.definitions) {
      if (definition.placement !== null && this.names.lambdaFunction(definition.name) === reserved) {
        throw new SynthError(
          `its Lambda function would be named "${reserved}", the name of the app's own dispatcher function; rename the definition.`,
          this,
          definition.name,
        );
      }
    }
    return checkOverrides(this, this.manifest.definitions, this.props.overrides ?? {});
  }

  private createDicts(): Record<string, DictTable> {
    return Object.fromEntries(
      this.ofKind('dict').map((d) => [
        d.name,
        new DictTable(this, `Dict-${d.name}`, { tableName: this.names.dictTable(d.name), removalPolicy: this.removalPolicy }),
      ]),
    );
  }

  private createPayloadBucket(): PayloadBucket {
    return new PayloadBucket(this, 'Payloads', {
      removalPolicy: this.removalPolicy,
      ...(this.props.payloadExpiration ? { expiration: this.props.payloadExpiration } : {}),
      ...(this.props.payloadAccessLogsBucket ? { serverAccessLogsBucket: this.props.payloadAccessLogsBucket } : {}),
    });
  }

  /** The dead-letter queue, and the alarm on it when there is a topic to tell. */
  private createDeadLetters(): sqs.Queue {
    const queue = deadLetterQueue(this, 'DeadLetters');
    const topic = this.props.alarmTopic;
    if (topic) {
      const alarm = new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
        alarmDescription: `Events or invocations of the multinode app ${this.manifest.app.name} failed for good and wait in its dead-letter queue`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    }
    return queue;
  }

  /** The statements of the app's access policy, from what the manifest declares. */
  private appAccess(): ExplainedStatement[] {
    const lambdaPlaced = this.onLambda();
    const batchPlaced = this.onBatch();
    const invocable = (d: ManifestDefinition) => d.kind === 'function' || d.kind === 'job';
    const dispatcher = this.needsDispatcher() ? [this.names.lambdaFunction(DISPATCHER_DEFINITION)] : [];
    // A run of a task whose fire times wait for each other (overlap bufferOne, cancelOther) gives the turn to the one
    // waiting when it ends: a delivery to the task's target (its function, or the dispatcher for a task on Batch).
    const handsOver = this.ofKind('schedule').filter((d) => overlapOf(d.options) === 'bufferOne' || overlapOf(d.options) === 'cancelOther');
    const turnTargets = [...new Set(handsOver.map((d) => this.names.lambdaFunction(d.placement === 'lambda' ? d.name : DISPATCHER_DEFINITION)))];
    return appAccessStatements(this, {
      prefix: this.prefix,
      stateTableArn: this.stateTable.table.tableArn,
      stateTableHasIndexes: this.stateTable.hasIndexes,
      dictTables: Object.values(this.dicts).map((d) => ({ name: d.table.tableName, arn: d.table.tableArn })),
      dictTablePrefix: this.names.dictTable(''),
      bucketArn: this.payloadBucket.bucket.bucketArn,
      // What app code can call: functions and jobs, and the targets of turns. Services are called through their API
      // (and its auth), scheduled tasks by Scheduler, the dispatcher by Batch events and CloudFormation.
      invocableFunctions: [...lambdaPlaced.filter(invocable).map((d) => this.names.lambdaFunction(d.name)), ...turnTargets],
      internalFunctions: [...lambdaPlaced.filter((d) => !invocable(d)).map((d) => this.names.lambdaFunction(d.name)), ...dispatcher].filter(
        (name) => !turnTargets.includes(name),
      ),
      jobDefinitions: batchPlaced.map((d) => this.names.batchJobDefinition(d.name)),
      jobQueues: batchPlaced.length === 0 ? [] : [this.names.jobQueue, ...(batchPlaced.some(needsGpu) ? [this.names.gpuJobQueue] : [])],
    });
  }

  /** The app's resources as the operator grants see them. */
  private operatorAccess(): OperatorAccessInput {
    const lambdaPlaced = this.onLambda();
    const batchPlaced = this.onBatch();
    const dispatcher = this.dispatcher ? [this.names.lambdaFunction(DISPATCHER_DEFINITION)] : [];
    const isService = (d: ManifestDefinition) => d.kind === 'service';
    return {
      prefix: this.prefix,
      stackName: Stack.of(this).stackName,
      stateTableArn: this.stateTable.table.tableArn,
      dictTableArns: Object.values(this.dicts).map((d) => d.table.tableArn),
      dictTablePrefix: this.names.dictTable(''),
      bucketArn: this.payloadBucket.bucket.bucketArn,
      lambdaFunctions: [...lambdaPlaced.map((d) => this.names.lambdaFunction(d.name)), ...dispatcher],
      invocableFunctions: [...lambdaPlaced.filter((d) => !isService(d)).map((d) => this.names.lambdaFunction(d.name)), ...dispatcher],
      serviceFunctions: lambdaPlaced.filter(isService).map((d) => this.names.lambdaFunction(d.name)),
      ...(this.batch ? { batchLogGroup: `/aws/batch/${this.prefix}` } : {}),
      jobDefinitions: batchPlaced.map((d) => this.names.batchJobDefinition(d.name)),
      jobQueues: batchPlaced.length === 0 ? [] : [this.names.jobQueue, ...(batchPlaced.some(needsGpu) ? [this.names.gpuJobQueue] : [])],
      ...(this.scheduleGroup ? { scheduleGroup: this.names.scheduleGroup } : {}),
    };
  }

  private createAccessPolicy(): iam.ManagedPolicy {
    const policy = new iam.ManagedPolicy(this, 'AccessPolicy', {
      description: `What the multinode app ${this.manifest.app.name} may do: its tables, payloads, functions and Batch jobs`,
      statements: this.accessStatements.map((s) => s.statement),
    });
    acknowledgeStatements(policy, this.accessStatements);
    return policy;
  }

  /** The role of every function of the app that reads no secrets: the app's access, and writing the functions' logs. */
  private createLambdaRole(): iam.Role {
    return appLambdaRole(this, 'LambdaRole', {
      description: `Runs the Lambda functions of the multinode app ${this.manifest.app.name}`,
      accessPolicy: this.accessPolicy,
      names: this.names,
    });
  }

  /** A definition's Lambda role: the shared one, or for a definition that reads secrets its own, allowed exactly those. */
  private roleFor(name: string, secrets: readonly string[]): iam.IRole {
    if (secrets.length === 0) return this.lambdaRole;
    const role = appLambdaRole(this, `Role-${name}`, {
      description: `Runs the Lambda function of ${name} of the multinode app ${this.manifest.app.name}, which reads its secrets`,
      accessPolicy: this.accessPolicy,
      names: this.names,
    });
    this.appSecrets.grantValues(role, secrets);
    return role;
  }

  /**
   * The code of every function of the app: the bundle folder, or with native modules the bundle and its node_modules
   * for the functions' architecture. Made only when the app has functions.
   */
  private lambdaCode(build: AppBuild): lambda.Code {
    const definitions = [...this.onLambda().map((d) => d.name), ...(this.needsDispatcher() ? [DISPATCHER_DEFINITION] : [])];
    if (definitions.length === 0 || build.externals.length === 0) return lambda.Code.fromAsset(build.dir);
    return lambdaCode(this, build, this.props.lambdaArchitecture ?? lambda.Architecture.ARM_64, definitions);
  }

  /** A Lambda function per Lambda-placed definition. */
  private createFunctions(code: lambda.Code): Record<string, lambda.Function> {
    return Object.fromEntries(this.onLambda().map((d) => [d.name, this.createFunction(code, d.name, d.kind, d.compute, secretsOf(d))]));
  }

  /** Whether the app has a dispatcher: when there are heavy definitions or rate schedules. */
  private needsDispatcher(): boolean {
    const hasRateSchedules = this.ofKind('schedule').some((d) => d.schedule.expressions.some((e) => e.startDate !== undefined));
    return this.onBatch().length > 0 || hasRateSchedules;
  }

  private createDispatcher(code: lambda.Code): lambda.Function | undefined {
    return this.needsDispatcher() ? this.createFunction(code, DISPATCHER_DEFINITION, 'dispatcher', DISPATCHER_COMPUTE) : undefined;
  }

  private createFunction(code: lambda.Code, name: string, kind: string, compute: LambdaCompute, secrets: readonly string[] = []): lambda.Function {
    const override = this.overrides.get(name);
    const settings = kind === 'dispatcher' ? {} : { ...this.configEnvironment, ...this.appSecrets.environment(secrets) };
    return new AppFunction(this, `Function-${name}`, {
      functionName: this.names.lambdaFunction(name),
      code,
      // Lambda's "MB" are MiB.
      memory: Size.mebibytes(compute.memoryMB),
      timeout: Duration.seconds(lambdaFunctionTimeoutSeconds(kind, compute.timeoutSeconds)),
      role: this.roleFor(name, secrets),
      environment: { ...lambdaEnvironment(this.location, { sourceMaps: this.props.sourceMaps ?? true }), ...settings, ...override?.environment },
      architecture: this.props.lambdaArchitecture ?? lambda.Architecture.ARM_64,
      logRetention: this.logRetention,
      deadLetterQueue: this.deadLetterQueue,
      description: `multinode ${kind} ${name}`,
      ...(override?.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: override.reservedConcurrentExecutions } : {}),
    }).function;
  }

  /** The Batch side, when there are heavy definitions. */
  private createBatch(build: AppBuild): AppBatch | undefined {
    const definitions = this.onBatch();
    if (definitions.length === 0) return undefined;
    const { vpc, vpcSubnets, batch: settings } = this.props;
    return new AppBatch(this, 'Batch', {
      appName: this.manifest.app.name,
      names: this.names,
      definitions,
      bundleFile: bundleArchive(build),
      ...(build.externals.length > 0 ? { bundleFor: (architecture, names) => batchDownload(this, build, architecture, names) } : {}),
      ...(settings?.architecture ? { architecture: settings.architecture } : {}),
      appDir: build.appDir,
      accessPolicy: this.accessPolicy,
      environment: this.connectionEnvironment,
      extraEnvironment: (name) => ({ ...this.configEnvironment, ...this.overrides.get(name)?.environment }),
      containerSecrets: (name) => {
        const definition = definitions.find((d) => d.name === name);
        return this.appSecrets.containerSecrets(definition ? secretsOf(definition) : [], secretValueEnv);
      },
      stateChangeTarget: this.dispatcher!,
      deadLetterQueue: this.deadLetterQueue,
      maxvCpus: settings?.maxvCpus ?? 256,
      logRetention: this.logRetention,
      ...(settings?.runnableTimeout ? { runnableTimeout: settings.runnableTimeout } : {}),
      ...(settings?.assetBucketKey ? { assetBucketKey: settings.assetBucketKey } : {}),
      ...(vpc ? { vpc } : {}),
      ...(vpcSubnets ? { vpcSubnets } : {}),
    });
  }

  private createScheduleGroup(): scheduler.ScheduleGroup | undefined {
    if (this.ofKind('schedule').length === 0) return undefined;
    return new scheduler.ScheduleGroup(this, 'ScheduleGroup', { scheduleGroupName: this.names.scheduleGroup, removalPolicy: RemovalPolicy.DESTROY });
  }

  /** One role for Scheduler, and each task's schedules (in the app's group) aimed at its function or the dispatcher. */
  private createSchedules(): Record<string, AppSchedule> {
    const group = this.scheduleGroup;
    if (!group) return {};
    const scheduled = this.ofKind('schedule');
    const targetOf = (d: ScheduledTaskManifest) => (d.placement === 'lambda' ? this.functions[d.name]! : this.dispatcher!);
    const role = schedulerRole(this, 'SchedulerRole', group);
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

  /** Each service's HTTP API in front of its function, and its URL as a stack output. */
  private createServices(): Record<string, MultinodeService> {
    return Object.fromEntries(this.ofKind('service').map((d) => [d.name, this.createService(d)]));
  }

  private createService(definition: ServiceManifest): MultinodeService {
    const override = this.overrides.get(definition.name);
    const service = new AppService(this, `Service-${definition.name}`, {
      definition: definition.name,
      handler: this.functions[definition.name]!,
      auth: definition.options.auth,
      timeout: Duration.seconds(definition.compute.timeoutSeconds),
      apiName: this.names.lambdaFunction(definition.name),
      logRetention: this.logRetention,
      ...(override?.throttle ? { throttle: override.throttle } : {}),
      ...(override?.corsPreflight ? { corsPreflight: override.corsPreflight } : {}),
    });
    const output = new CfnOutput(this, `Url-${definition.name}`, { value: service.url, description: `URL of the multinode service ${definition.name}` });
    return { service, url: service.url, output };
  }
}

function resolvePrefix(scope: Construct, given: string | undefined): string {
  const prefix = given ?? prefixFrom(Stack.of(scope).stackName);
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new SynthError(`the prefix "${prefix}" is not valid: use a letter, then letters, digits and "-", at most 32 characters.`, scope);
  }
  const stack = Stack.of(scope);
  const used = usedPrefixes.get(stack) ?? new Set<string>();
  if (used.has(prefix)) {
    throw new SynthError(`two multinode apps in stack ${stack.stackName} use the prefix "${prefix}"; give each MultinodeApp its own "prefix".`, scope);
  }
  used.add(prefix);
  usedPrefixes.set(stack, used);
  return prefix;
}

const usedPrefixes = new WeakMap<Stack, Set<string>>();
