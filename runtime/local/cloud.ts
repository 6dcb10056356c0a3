/**
 * The local cloud of one app, all on 127.0.0.1: DynamoDB (dynalite), S3 (s3rver), the Lambda Invoke endpoint whose
 * workers run the app bundle's handler, CloudWatch Logs (where the functions and containers log, as in AWS), Secrets
 * Manager (the app's secrets, valued from its `.env` file), one HTTP
 * gateway per service, registered extras (Batch), and optionally the scheduler firing the manifest's EventBridge
 * expressions. It is what `multinode dev`, `multinode run` and
 * `multinode/testing` start; the runtime inside it is the one that runs in AWS, pointed at these endpoints.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { isKind, type Manifest, type ManifestDefinitionOf } from '../../lib/manifest.js';
import type { ServiceAuth } from '../../lib/definitions/service.js';
import type { DefinitionKind } from '../../lib/options/context.js';
import { lambdaLogGroup, prefixFrom, resourceNames, type ResourceNames } from '../../lib/naming.js';
import { renderManualEvent, renderScheduledEvent, type ScheduledEvent } from '../../lib/schedule/event.js';
import { loadManifest } from '../build/load-manifest.js';
import { readAppName } from '../build/app-name.js';
import { clientConfig } from '../core/clients.js';
import { DISPATCHER_COMPUTE, DISPATCHER_DEFINITION, environmentFor, type RuntimeConfig, type Service } from '../core/config.js';
import { createContext, type ContextOptions, type RuntimeContext } from '../core/context.js';
import { JOB_TUNING_ENV, lambdaFunctionTimeoutSeconds } from '../jobs/tuning.js';
import { startDynamo, type LocalDynamo } from './dynamodb.js';
import { LocalCloudError } from './errors.js';
import type { LocalServiceContext, LocalServiceExtension, LocalServiceInstance } from './extensions.js';
import { localBatchExtension } from './batch/extension.js';
import { LOCAL_ACCOUNT_ID, startGateway, type Gateway } from './gateway.js';
import { LocalLambda, type InvocationType, type LocalFunction, type LocalLambdaOptions } from './lambda/local-lambda.js';
import { startLambdaEndpoint, type LambdaEndpoint } from './lambda/server.js';
import { formatCloudLog } from './log-format.js';
import { functionLogWriter, type LocalLogs, startLocalLogs } from './logs/index.js';
import { startS3, type LocalS3 } from './s3.js';
import { LocalScheduler, type SchedulerClock, type UpcomingRun } from './scheduler.js';
import { appSchedules, clockSchedules, LocalScheduleStore, type LocalSchedulerApi, startLocalSchedulerApi } from './scheduler-api/index.js';
import { serviceAuthorizer } from './service-auth.js';
import { prepareStateDir, type StateDirLayout } from './state-dir.js';
import { defaultEnvFile } from './settings/env-file.js';
import { LocalSettings } from './settings/local-settings.js';
import { startLocalSecretsManager, type LocalSecretsManager } from './settings/secrets-manager-server.js';
import { appTables, createTables } from './tables.js';
import { jwtAuthOf, LocalTokenIssuer, type IssueOptions } from './tokens.js';

/** Services beyond DynamoDB, S3 and Lambda that an app may need, each starting only when the app needs it. */
const LOCAL_SERVICES: readonly LocalServiceExtension[] = [localBatchExtension];

/** The key pair every local service accepts (s3rver checks signatures against it). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const LOCAL_REGION = 'us-east-1';

/**
 * Receives each line the app writes, as it wrote it (the runtime's JSON lines included), and the cloud's own notes;
 * `source` is the definition (`<definition> (batch)` for a Batch container), or `build`, `scheduler`, ... Printers
 * make lines readable with `formatCloudLog`.
 */
export type CloudLog = (source: string, line: string) => void;

/** Options of the local cloud; `workerCap`, `throttle` and `asyncRetryDelaysMs` pass through to the local Lambda endpoint. */
export interface LocalCloudOptions extends Pick<LocalLambdaOptions, 'workerCap' | 'throttle' | 'asyncRetryDelaysMs'> {
  /** The app module (`src/app.ts`). */
  readonly entry: string;
  /** Default: from the nearest package.json (as `multinode manifest`). */
  readonly appName?: string;
  /** Persist data here (DynamoDB, S3, bundles); omitted: everything in memory or a temporary directory. */
  readonly stateDir?: string;
  /** Port of the first service's gateway (the next services take the following ports); default ephemeral. */
  readonly port?: number;
  readonly log?: CloudLog;
  /** Run the scheduler: schedules fire at their times (default off; `multinode dev` turns it on). */
  readonly schedules?: boolean | { readonly clock?: SchedulerClock };
  /**
   * The `.env` file holding the values of the app's secrets and config settings (runtime/local/settings/env-file.ts).
   * A file that does not exist is empty (and is created by the first secret set through the cloud).
   *
   * @default - `.env` in the app's folder (next to its package.json)
   */
  readonly envFile?: string;
}

interface CloudParts {
  readonly dynamo: LocalDynamo;
  /** The local EventBridge Scheduler: the schedules a deploy of the app would create, and its API. */
  readonly schedules: LocalScheduleStore;
  readonly schedulerApi: LocalSchedulerApi;
  readonly s3: LocalS3;
  readonly lambdaEndpoint: LambdaEndpoint;
  readonly logs: LocalLogs;
  readonly secretsManager: LocalSecretsManager;
  readonly extensions: LocalServiceInstance[];
  /** A temporary directory for bundles (and S3) when nothing is persisted. */
  readonly scratch?: string;
  readonly layout?: StateDirLayout;
}

export interface ServiceEndpoint {
  readonly name: string;
  readonly url: string;
}

export class LocalCloud {
  /** The app's configuration in this cloud: for in-process runtimes (`context()`) and child processes (`env`). */
  readonly config: RuntimeConfig;
  readonly names: ResourceNames;
  /** The values of the app's secrets and config settings (its `.env` file). */
  readonly settings: LocalSettings;
  readonly #options: LocalCloudOptions;
  readonly #log: CloudLog;
  readonly #parts: CloudParts;
  readonly #lambdaClient: LambdaClient;
  #manifest: Manifest;
  #bundle: string;
  #lambda: LocalLambda;
  #gateways: Array<{ name: string; auth: ServiceAuth; gateway: Gateway; port: number }> = [];
  #scheduler: LocalScheduler | undefined;
  /** Restarts of the scheduler after the stored schedules changed, one after the other. */
  #restarting: Promise<void> = Promise.resolve();
  /** The key that signs and verifies local JWTs; made when a service with JWT auth first needs it. */
  #tokens: Promise<LocalTokenIssuer> | undefined;
  /** Builds made so far (the first one at start); each goes to its own numbered folder. */
  #builds = 1;
  #stopped = false;

  private constructor(init: {
    options: LocalCloudOptions;
    log: CloudLog;
    config: RuntimeConfig;
    manifest: Manifest;
    bundle: string;
    lambda: LocalLambda;
    parts: CloudParts;
    settings: LocalSettings;
  }) {
    this.#options = init.options;
    this.settings = init.settings;
    this.#log = init.log;
    this.config = init.config;
    this.names = resourceNames(init.config.prefix);
    this.#manifest = init.manifest;
    this.#bundle = init.bundle;
    this.#lambda = init.lambda;
    this.#parts = init.parts;
    this.#lambdaClient = new LambdaClient(clientConfig(init.config, 'lambda', { maxAttempts: 1 }));
  }

  static async start(options: LocalCloudOptions): Promise<LocalCloud> {
    // The SDK warns that Node 20 support ends in 2027; Lambda runs Node 22+, so locally it is only noise.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const log = options.log ?? printLog;
    const appName = options.appName ?? readAppName(options.entry);
    const layout = options.stateDir ? await prepareStateDir(path.resolve(options.stateDir), appName, options.entry) : undefined;
    const scratch = layout ? undefined : mkdtempSync(path.join(os.tmpdir(), 'multinode-cloud-'));
    // What has started so far, closed in reverse when a later step fails.
    const started: Closable[] = [];
    try {
      const { manifest, bundle } = await build(options.entry, appName, layout?.build ?? scratch!, 1, log);
      // The Lambda endpoint starts before the cloud exists (its URL goes into every configuration); it forwards to
      // whichever LocalLambda the cloud holds once there is one (a rebuild replaces it).
      const holder: { cloud?: LocalCloud } = {};
      const clock = typeof options.schedules === 'object' ? options.schedules.clock : undefined;
      const core = await startCoreServices(manifest, holder, layout, started, log, clock ? () => clock.now() : Date.now);
      const settings = new LocalSettings({
        envFile: path.resolve(options.envFile ?? defaultEnvFile(options.entry)),
        manifest,
        prefix: core.config.prefix,
        region: core.config.region,
      });
      settings.check();
      const secretsManager = await startLocalSecretsManager(settings);
      started.push(secretsManager);
      const withSecrets: RuntimeConfig = { ...core.config, endpoints: { ...core.config.endpoints, secretsmanager: secretsManager.endpoint } };
      await createAppTables(withSecrets, manifest);
      const { extensions, config } = await startExtensions(
        { manifest, config: withSecrets, bundle, ...(layout ? { stateDir: layout.root } : {}), log, cloudLogs: core.parts.logs, settings },
        started,
      );
      const lambda = newLambda(options, config, manifest, bundle, log, core.parts.logs, settings);
      started.push(lambda);
      const parts: CloudParts = { ...core.parts, secretsManager, extensions, ...(scratch ? { scratch } : {}), ...(layout ? { layout } : {}) };
      const cloud = new LocalCloud({ options, log, config, manifest, bundle, lambda, parts, settings });
      holder.cloud = cloud;
      started.push({ close: async () => cloud.#lambdaClient.destroy() }, cloud.#gatewaysCloser());
      await cloud.#open();
      return cloud;
    } catch (error) {
      await Promise.allSettled(started.reverse().map((part) => part.close()));
      if (scratch) rmSync(scratch, { recursive: true, force: true });
      throw error;
    }
  }

  /** Opens the cloud to the outside: the service gateways, the app's schedules and their clock (when asked for), the cloud file. */
  async #open(): Promise<void> {
    await this.#startGateways(this.#options.port ?? 0);
    this.#deploySchedules();
    this.#parts.schedules.onChange(() => this.#schedulesChanged());
    if (this.#options.schedules) this.#startScheduler();
    this.settings.watch(() => void this.#settingsChanged());
    await this.#writeCloudFile();
  }

  get manifest(): Manifest {
    return this.#manifest;
  }

  /** The bundle the Lambda workers run. */
  get bundle(): string {
    return this.#bundle;
  }

  get services(): ServiceEndpoint[] {
    return this.#gateways.map(({ name, gateway }) => ({ name, url: gateway.url }));
  }

  /** The URL of a service's gateway. */
  serviceUrl(name: string): string {
    const found = this.#gateways.find((g) => g.name === name);
    if (!found) throw new LocalCloudError(`The app has no service named "${name}"; its services: ${this.#gateways.map((g) => g.name).join(', ') || '(none)'}.`);
    return found.gateway.url;
  }

  /**
   * A JWT that the gateway of `service` (declared with `auth: { jwt }`) accepts: signed with the local key, for its
   * issuer and first audience (what `multinode token` prints).
   */
  async issueToken(service: string, options: IssueOptions = {}): Promise<string> {
    return (await this.#tokenIssuer()).issue(jwtAuthOf(this.#manifest, service), options);
  }

  #tokenIssuer(): Promise<LocalTokenIssuer> {
    this.#tokens ??= this.#parts.layout ? LocalTokenIssuer.load(this.#parts.layout.root) : LocalTokenIssuer.generate();
    return this.#tokens;
  }

  /** The local Lambda service (invocation statistics, fault injection). */
  get lambda(): LocalLambda {
    return this.#lambda;
  }

  /**
   * The local EventBridge Scheduler's schedules (its endpoint is the configuration's `scheduler` endpoint): those a
   * deploy of the app creates, which the clock fires as they are stored.
   */
  get schedules(): LocalScheduleStore {
    return this.#parts.schedules;
  }

  /** The local CloudWatch Logs (its endpoint is the configuration's `logs` endpoint). */
  get logs(): LocalLogs {
    return this.#parts.logs;
  }

  /** Environment variables that point a process at this cloud (the runtime's variables, endpoints, credentials). */
  get env(): Record<string, string> {
    return { ...environmentFor(this.config), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_EC2_METADATA_DISABLED: 'true' };
  }

  /** A runtime context for this process, against this cloud (what `connect` and `multinode/testing` use). */
  context(options: ContextOptions = {}): RuntimeContext {
    return createContext(this.config, this.#manifest, options);
  }

  /**
   * What `connect` needs to reach this cloud from another process (written to the state directory's cloud.json), and
   * the `.env` file its values come from (for `multinode secrets`; never the values).
   */
  connection(): { config: RuntimeConfig; manifest: Manifest; services: ServiceEndpoint[]; settings: { envFile: string } } {
    return { config: this.config, manifest: this.#manifest, services: this.services, settings: { envFile: this.settings.envFile } };
  }

  /**
   * Fires a schedule once, as EventBridge Scheduler would: an asynchronous invoke of its Lambda function with the
   * scheduled event (`wait: true`: a synchronous one, resolving with the handler's answer). `manual: true` sends a
   * manual run (run now: it runs even while the task is paused), scheduled now unless `scheduledTime` says otherwise.
   */
  async fireSchedule(
    name: string,
    options: { scheduledTime?: Date; attempt?: number; wait?: boolean; manual?: boolean } = {},
  ): Promise<{ status: number; functionError?: string; payload: string }> {
    this.#definition(name, 'schedule');
    const type = options.wait ? 'RequestResponse' : 'Event';
    if (options.manual && !options.scheduledTime) return this.#deliver(renderManualEvent(name, Date.now()), type);
    const time = options.scheduledTime ?? new Date(Math.floor(Date.now() / 1000) * 1000);
    const event = renderScheduledEvent(name, time, options.attempt ?? 1);
    return this.#deliver(options.manual ? { ...event, trigger: 'manual' } : event, type);
  }

  /**
   * Fires a manual run of a schedule now (it runs even while the task is paused) through the scheduler (with its
   * delivery retries), or directly when it is off.
   */
  async trigger(name: string): Promise<ScheduledEvent> {
    this.#definition(name, 'schedule');
    if (this.#scheduler) return this.#scheduler.trigger(name);
    const event = renderManualEvent(name, Date.now());
    await this.#deliver(event, 'Event');
    return event;
  }

  /** The next planned scheduled runs (empty when the scheduler is off). */
  upcoming(count = 10): UpcomingRun[] {
    return this.#scheduler?.upcoming(count) ?? [];
  }

  /** The Lambda function that receives a schedule's events: its own, or the dispatcher for Batch-placed tasks. */
  scheduleTarget(name: string): string {
    const definition = this.#definition(name, 'schedule');
    return this.names.lambdaFunction(definition.placement === 'lambda' ? definition.name : DISPATCHER_DEFINITION);
  }

  async #deliver(event: ScheduledEvent, type: InvocationType): Promise<{ status: number; functionError?: string; payload: string }> {
    const answer = await this.#invokeFunction(this.scheduleTarget(event.name), event, type);
    if (type === 'Event' && answer.status !== 202)
      throw new LocalCloudError(`Delivering ${event.name} at ${event.scheduledTime} failed: status ${answer.status}.`);
    return answer;
  }

  /** Invokes a definition's Lambda function through the local Lambda endpoint with the real SDK client. */
  invoke(definition: string, event: unknown, type: InvocationType = 'RequestResponse'): Promise<{ status: number; functionError?: string; payload: string }> {
    return this.#invokeFunction(this.names.lambdaFunction(definition), event, type);
  }

  async #invokeFunction(functionName: string, event: unknown, type: InvocationType): Promise<{ status: number; functionError?: string; payload: string }> {
    const output = await this.#lambdaClient.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: type, Payload: Buffer.from(JSON.stringify(event)) }),
    );
    return {
      status: output.StatusCode ?? 0,
      ...(output.FunctionError ? { functionError: output.FunctionError } : {}),
      payload: output.Payload ? Buffer.from(output.Payload).toString('utf8') : '',
    };
  }

  /** Rebuilds the app and switches to the new bundle; on a build error, keeps running the previous one. */
  async rebuild(): Promise<{ ok: true; manifest: Manifest } | { ok: false; error: Error }> {
    const buildDir = this.#parts.layout?.build ?? this.#parts.scratch!;
    let built: Awaited<ReturnType<typeof build>>;
    try {
      built = await build(this.#options.entry, this.config.app, buildDir, ++this.#builds, this.#log);
    } catch (error) {
      return { ok: false, error: error as Error };
    }
    const { manifest, bundle } = built;
    this.settings.setManifest(manifest);
    let lambda: LocalLambda;
    try {
      lambda = newLambda(this.#options, this.config, manifest, bundle, this.#log, this.#parts.logs, this.settings);
    } catch (error) {
      this.settings.setManifest(this.#manifest);
      return { ok: false, error: error as Error };
    }
    await createAppTables(this.config, manifest);
    const previous = this.#lambda;
    this.#manifest = manifest;
    this.#bundle = bundle;
    this.#lambda = lambda;
    for (const extension of this.#parts.extensions) await extension.replaceBundle?.(bundle, manifest);
    // A gateway serves one service with its auth: a new, removed or renamed service, or a changed auth, restarts them.
    const services = manifest.definitions.filter((d) => d.kind === 'service').map((d) => gatewayKey(d.name, d.options.auth));
    if (services.join() !== this.#gateways.map((g) => gatewayKey(g.name, g.auth)).join()) {
      const firstPort = this.#gateways[0]?.port ?? this.#options.port ?? 0;
      await Promise.all(this.#gateways.splice(0).map((g) => g.gateway.close()));
      await this.#startGateways(firstPort);
    }
    // As a deploy does: the schedules follow the new code (the clock restarts from them).
    this.#deploySchedules();
    await this.#restarting;
    await this.#writeCloudFile();
    void previous.close();
    return { ok: true, manifest };
  }

  /**
   * The `.env` file changed: as a deploy would, new workers (and Batch job definitions) take over, so later invocations
   * read the new values (a worker keeps a secret's value once read). A file that no longer parses keeps the old ones.
   */
  async #settingsChanged(): Promise<void> {
    if (this.#stopped) return;
    let lambda: LocalLambda;
    try {
      lambda = newLambda(this.#options, this.config, this.#manifest, this.#bundle, this.#log, this.#parts.logs, this.settings);
    } catch (error) {
      this.#log('multinode', `${(error as Error).message} (still using the previous values)`);
      return;
    }
    const previous = this.#lambda;
    this.#lambda = lambda;
    for (const extension of this.#parts.extensions) await extension.replaceBundle?.(this.#bundle, this.#manifest);
    void previous.close();
    this.#log('multinode', `${this.settings.envFile} changed; new invocations read the new values.`);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.settings.unwatch();
    await this.#restarting;
    await this.#scheduler?.stop();
    this.#lambdaClient.destroy();
    await Promise.allSettled(this.#gateways.map((g) => g.gateway.close()));
    await this.#lambda.close();
    await Promise.allSettled(this.#parts.extensions.map((e) => e.close()));
    await this.#parts.secretsManager.close();
    await this.#parts.schedulerApi.close();
    // After the workers and containers: their last lines are delivered before the files are closed.
    await this.#parts.logs.close();
    await this.#parts.lambdaEndpoint.close();
    await this.#parts.s3.close();
    await this.#parts.dynamo.close();
    if (this.#parts.layout) await rm(this.#parts.layout.cloudFile, { force: true });
    if (this.#parts.scratch && existsSync(this.#parts.scratch)) rmSync(this.#parts.scratch, { recursive: true, force: true });
  }

  /** Tells other processes (`multinode run`, `connect({ local })`) how to reach this cloud. */
  async #writeCloudFile(): Promise<void> {
    if (this.#parts.layout) await writeFile(this.#parts.layout.cloudFile, `${JSON.stringify(this.connection(), null, 2)}\n`);
  }

  /** What a deploy of the app does to its schedules (the local Scheduler's group of the app). */
  #deploySchedules(): void {
    const account = { region: this.config.region, account: LOCAL_ACCOUNT_ID };
    this.#parts.schedules.deploy(this.names.scheduleGroup, appSchedules(this.#manifest, this.names, account));
  }

  /** The stored schedules changed (a deploy, or a call to the API): the clock fires from them as they now are. */
  #schedulesChanged(): void {
    if (!this.#scheduler) return;
    this.#restarting = this.#restarting.then(async () => {
      if (!this.#scheduler || this.#stopped) return;
      await this.#scheduler.stop();
      if (!this.#stopped) this.#startScheduler();
    });
  }

  #startScheduler(): void {
    const clock = typeof this.#options.schedules === 'object' ? this.#options.schedules.clock : undefined;
    const schedules = clockSchedules(this.#parts.schedules, this.#manifest, this.names);
    this.#scheduler = new LocalScheduler({
      schedules,
      deliver: (event) => this.#deliver(event, 'Event'),
      ...(clock ? { clock } : {}),
      onError: (error, event, willRetry) =>
        this.#log('scheduler', `delivering ${event.name} at ${event.scheduledTime} failed: ${(error as Error).message}${willRetry ? '; retrying' : ''}`),
      onMissed: (name, times) =>
        this.#log('scheduler', `${name}: ${times.length} run(s) fell due while the scheduler could not fire; only the latest was delivered`),
    });
    this.#scheduler.start();
  }

  /** Closes the gateways started so far (used when start fails half-way). */
  #gatewaysCloser(): { close(): Promise<void> } {
    return { close: async () => void (await Promise.allSettled(this.#gateways.map((g) => g.gateway.close()))) };
  }

  #definition<K extends DefinitionKind>(name: string, kind: K): ManifestDefinitionOf<K> {
    const found = this.#manifest.definitions.find((d) => d.name === name);
    if (!found || !isKind(found, kind)) {
      const known = this.#manifest.definitions.filter((d) => d.kind === kind).map((d) => d.name);
      throw new LocalCloudError(`The app has no ${kind} named "${name}"; its ${kind}s: ${known.join(', ') || '(none)'}.`);
    }
    return found;
  }

  async #startGateways(firstPort: number): Promise<void> {
    const services = this.#manifest.definitions.filter((d) => d.kind === 'service');
    for (const [index, service] of services.entries()) {
      const port = firstPort === 0 ? 0 : firstPort + index;
      const { auth } = service.options;
      const authorize = serviceAuthorizer(auth, {
        credentials: LOCAL_CREDENTIALS,
        region: this.config.region,
        accountId: LOCAL_ACCOUNT_ID,
        ...(typeof auth === 'object' ? { tokens: await this.#tokenIssuer() } : {}),
      });
      const gateway = await startGateway({
        service: service.name,
        functionName: this.names.lambdaFunction(service.name),
        lambda: this.#lambdaClient,
        port,
        portHint: 'pass --port to choose another',
        log: (line) => this.#log(service.name, line),
        ...(authorize ? { authorize } : {}),
      });
      this.#gateways.push({ name: service.name, auth, gateway, port });
    }
  }
}

function gatewayKey(name: string, auth: ServiceAuth): string {
  return `${name}:${JSON.stringify(auth)}`;
}

interface Closable {
  close(): Promise<void>;
}

/** The default printer of the cloud's logs: readable lines on stdout. */
function printLog(source: string, line: string): void {
  process.stdout.write(`${formatCloudLog(source, line)}\n`);
}

/**
 * DynamoDB, S3, the Lambda Invoke endpoint (forwarding to the cloud in `holder`) and CloudWatch Logs, and the app's
 * configuration pointing at them.
 */
async function startCoreServices(
  manifest: Manifest,
  holder: { readonly cloud?: LocalCloud },
  layout: StateDirLayout | undefined,
  started: Closable[],
  log: CloudLog,
  clock: () => number,
): Promise<{ config: RuntimeConfig; parts: Pick<CloudParts, 'dynamo' | 's3' | 'lambdaEndpoint' | 'logs' | 'schedules' | 'schedulerApi'> }> {
  const prefix = prefixFrom(manifest.app.name);
  const bucket = `${prefix.toLowerCase()}-payloads`;
  const dynamo = await startDynamo(layout ? { path: layout.dynamodb } : {});
  started.push(dynamo);
  const s3 = await startS3({ buckets: [bucket], ...(layout ? { directory: layout.s3 } : {}) });
  started.push(s3);
  const lambdaEndpoint = await startLambdaEndpoint({
    invoke: (...args) => {
      if (!holder.cloud) throw new LocalCloudError('The local Lambda is still starting.');
      return holder.cloud.lambda.invoke(...args);
    },
  });
  started.push(lambdaEndpoint);
  const logs = await startLocalLogs({
    ...(layout ? { directory: layout.logs } : {}),
    region: LOCAL_REGION,
    onPersistError: (error) => log('logs', `writing logs to ${layout?.logs} failed: ${error.message}`),
    delivery: { onError: (error, group, stream) => log('logs', `delivering to ${group} ${stream} failed: ${error.message}`) },
  });
  started.push(logs);
  const schedules = new LocalScheduleStore(LOCAL_REGION, LOCAL_ACCOUNT_ID, clock);
  const schedulerApi = await startLocalSchedulerApi(schedules);
  started.push(schedulerApi);
  const endpoints: Partial<Record<Service, string>> = {
    dynamodb: dynamo.endpoint,
    s3: s3.endpoint,
    lambda: lambdaEndpoint.endpoint,
    logs: logs.endpoint,
    scheduler: schedulerApi.endpoint,
  };
  const config: RuntimeConfig = { app: manifest.app.name, prefix, bucket, region: LOCAL_REGION, endpoints, credentials: LOCAL_CREDENTIALS };
  return { config, parts: { dynamo, s3, lambdaEndpoint, logs, schedules, schedulerApi } };
}

/** The app's tables (dicts and the state table), ready for item requests. */
async function createAppTables(config: RuntimeConfig, manifest: Manifest): Promise<void> {
  const client = new DynamoDBClient(clientConfig(config, 'dynamodb'));
  try {
    await createTables(client, appTables(manifest, resourceNames(config.prefix)));
  } finally {
    client.destroy();
  }
}

/** The extra services the app needs (`LOCAL_SERVICES`); the configuration gains their endpoints. */
async function startExtensions(context: LocalServiceContext, started: Closable[]): Promise<{ extensions: LocalServiceInstance[]; config: RuntimeConfig }> {
  const extensions: LocalServiceInstance[] = [];
  let config = context.config;
  for (const extension of LOCAL_SERVICES) {
    const instance = await extension.start({ ...context, config });
    if (!instance) continue;
    extensions.push(instance);
    started.push(instance);
    config = { ...config, endpoints: { ...config.endpoints, ...instance.endpoints } };
  }
  return { extensions, config };
}

async function build(entry: string, appName: string, buildRoot: string, number: number, log: CloudLog): Promise<{ manifest: Manifest; bundle: string }> {
  const outDir = path.join(buildRoot, String(number));
  const loaded = await loadManifest(entry, { appName, outDir });
  if (loaded.logs) for (const line of loaded.logs.trimEnd().split('\n')) log('build', line);
  // Bundles of earlier builds may still be running in workers that finish their invocations; keep the last two.
  if (number > 2) await rm(path.join(buildRoot, String(number - 2)), { recursive: true, force: true });
  return { manifest: loaded.manifest, bundle: loaded.bundle!.file };
}

function newLambda(
  options: LocalCloudOptions,
  config: RuntimeConfig,
  manifest: Manifest,
  bundle: string,
  log: CloudLog,
  logs: LocalLogs,
  settings: LocalSettings,
): LocalLambda {
  const names = resourceNames(config.prefix);
  const functions: LocalFunction[] = [];
  const definitionOf = new Map<string, string>();
  for (const definition of manifest.definitions) {
    if (definition.placement !== 'lambda' || definition.compute?.type !== 'lambda') continue;
    const functionName = names.lambdaFunction(definition.name);
    definitionOf.set(functionName, definition.name);
    // As the CDK constructs deploy it: no reserved concurrency (the account's pool bounds it; maxConcurrency is the
    // runtime's, enforced in the state table for started runs and jobs, and by map for calls).
    functions.push({
      functionName,
      definition: definition.name,
      timeoutSeconds: lambdaFunctionTimeoutSeconds(definition.kind, definition.compute.timeoutSeconds),
      memoryMB: definition.compute.memoryMB,
    });
  }
  if (manifest.definitions.some((d) => d.placement === 'batch')) {
    const functionName = names.lambdaFunction(DISPATCHER_DEFINITION);
    definitionOf.set(functionName, DISPATCHER_DEFINITION);
    functions.push({
      functionName,
      definition: DISPATCHER_DEFINITION,
      timeoutSeconds: DISPATCHER_COMPUTE.timeoutSeconds,
      memoryMB: DISPATCHER_COMPUTE.memoryMB,
    });
  }
  // Each function's log group, as the constructs create it.
  for (const { functionName } of functions) logs.createLogGroup(lambdaLogGroup(functionName));
  return new LocalLambda({
    bundle,
    functions,
    cloudLogs: (functionName) => functionLogWriter(logs.delivery, functionName),
    env: {
      ...environmentFor(config),
      ...settings.configEnvironment(),
      // Shorter timings for tests reach the scheduled runs the workers execute, as they reach Batch containers.
      ...(process.env[JOB_TUNING_ENV] ? { [JOB_TUNING_ENV]: process.env[JOB_TUNING_ENV] } : {}),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    region: config.region,
    log: (functionName, _stream, line) => log(definitionOf.get(functionName) ?? functionName, line),
    ...(options.workerCap ? { workerCap: options.workerCap } : {}),
    ...(options.throttle ? { throttle: options.throttle } : {}),
    ...(options.asyncRetryDelaysMs ? { asyncRetryDelaysMs: options.asyncRetryDelaysMs } : {}),
  });
}
