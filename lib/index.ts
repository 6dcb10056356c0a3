/**
 * multinode: the app model. User code imports this module to declare functions, jobs, scheduled tasks,
 * services, dicts and locks; the runtime and the CDK constructs read what it declares through the manifest.
 */
export { fn, FunctionDefinition } from './definitions/function.js';
export type { FunctionOptions, FunctionHandler, FunctionSettings } from './definitions/function.js';
export { job, JobDefinition } from './definitions/job.js';
export type { JobOptions, JobHandler, JobSettings } from './definitions/job.js';
export { schedule, scheduledTask, ScheduleDefinition } from './definitions/schedule.js';
export type { ScheduleOptions, ScheduleHandler, ScheduleSettings } from './definitions/schedule.js';
export { service, ServiceDefinition } from './definitions/service.js';
export type { ServiceOptions, ServiceAuth, FetchHandler, ServiceSettings } from './definitions/service.js';
export { dict, DictDefinition } from './definitions/dict.js';
export type { DictOptions } from './definitions/dict.js';
export { lock, LockDefinition, withLock } from './definitions/lock.js';
export { secret, SecretDefinition, isSecret } from './settings/secret.js';
export type { SecretValueOptions } from './settings/secret.js';
export { config, ConfigDefinition } from './settings/config.js';
export type { ConfigOptions } from './settings/config.js';
export type { SecretsOption } from './settings/option.js';
export { ConfigValueMissingError, SecretNotDeclaredError, SecretReadError, SecretValueMissingError } from './settings/errors.js';
export type { AnyDefinition } from './definitions/base.js';
export { isDefinition } from './definitions/base.js';
export type * from './handles.js';
export { log } from './log.js';
export { STATUSES, FINAL_STATUSES } from './handles.js';
export { CodecError, DefinitionError, ManifestError, MultinodeError, RuntimeNotInstalledError } from './errors.js';
export {
  InvalidArgumentError,
  InvalidKeyError,
  InvocationFailedError,
  KeyNotFoundError,
  NotANumberError,
  RunCancelledError,
  RunFinishedError,
  RunNotFoundError,
  ValueTooLargeError,
  WaitTimeoutError,
} from './errors.js';
export { JobNotFoundError, LockLostError, LockUnavailableError, RunNotFinishedError, RunTimedOutError } from './errors.js';
export type { DurationInput, DurationObject } from './units/duration.js';
export type { ComputeOptions } from './options/compute.js';
export type { Placement, Compute, LambdaCompute, BatchCompute } from './placement.js';
export type { ConfigManifest, Manifest, ManifestDefinition, SecretManifest } from './manifest.js';
export { ScheduleError, ScheduleExpressionError, ScheduledEventError } from './schedule/errors.js';
export type { ScheduleSpec, CompiledExpression, ScheduleManifest, ScheduleTimingOptions } from './schedule/spec.js';
export type { ScheduledEvent, ScheduledTrigger } from './schedule/event.js';
export { OVERLAP_POLICIES, DEFAULT_OVERLAP } from './schedule/overlap.js';
export type { OverlapPolicy } from './schedule/overlap.js';
