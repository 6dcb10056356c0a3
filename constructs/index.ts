/**
 * multinode/constructs: AWS CDK constructs that deploy a multinode app. `MultinodeApp` deploys a whole app into
 * any stack; the constructs per concept (a dict table, the Batch compute, a schedule, a service, ...) work alone.
 */
export { MultinodeApp, DISPATCHER_DEFINITION } from './multinode-app.js';
export type { MultinodeAppProps, MultinodeBatchProps, MultinodeService, ScheduleRetryProps } from './multinode-app.js';
export type { DefinitionOverrides } from './overrides.js';
export { DictTable, StateTable } from './tables.js';
export type { AppTableProps } from './tables.js';
export { PayloadBucket } from './payload-bucket.js';
export type { PayloadBucketProps } from './payload-bucket.js';
export { AppFunction, LAMBDA_RUNTIME, LAMBDA_HANDLER } from './app-function.js';
export type { AppFunctionProps } from './app-function.js';
export { AppSchedule, SCHEDULE_RETRY_DEFAULTS, schedulerRole } from './app-schedule.js';
export type { AppScheduleProps } from './app-schedule.js';
export { AppService, SERVICE_THROTTLE_DEFAULT } from './app-service.js';
export type { AppServiceProps, ServiceThrottle } from './app-service.js';
export { AppBatch } from './app-batch.js';
export type { AppBatchProps } from './app-batch.js';
export { BatchCompute } from './batch-compute.js';
export type { BatchComputeProps } from './batch-compute.js';
export { BatchJob } from './batch-job.js';
export { BATCH_IMAGE } from './batch-bootstrap.js';
export type { BatchJobProps } from './batch-job.js';
export { AppSecrets } from './app-secrets.js';
export type { AppSecretsProps } from './app-secrets.js';
export { CONFIG_CONTEXT } from './app-config.js';
export { deadLetterQueue } from './dead-letter-queue.js';
export { buildApp, clearBuildCache } from './build.js';
export type { AppBuild, BuildOptions } from './build.js';
export { SynthError } from './errors.js';
