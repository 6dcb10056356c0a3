/**
 * multinode/runtime: the one runtime. It runs user handlers and carries out `fn.call`, `dict.get`, ... through the
 * AWS SDK v3, against AWS or against the local cloud's endpoints.
 */
export { startApp } from './entry/app-entry.js';
export type { AppEntryPoints } from './entry/app-entry.js';
export { installRuntime } from '../lib/runtime-port.js';
export type { RuntimePort } from '../lib/runtime-port.js';

// Outside callers.
export { connect, connectTo, ConnectError, CLOUD_FILE, readLocal } from './entry/connect.js';
export type { Connection, ConnectOptions, Handles } from './entry/connect.js';

// A deployed app, found from its stack (the CloudFormation client loads only when it is called).
export { findDeployedApp, DeployedAppError } from './entry/deployed-app.js';
export type { DeployedApp, DeployedAppProblem, DeployedService, FindDeployedAppOptions } from './entry/deployed-app.js';
export { CONNECTION_OUTPUT_LIMIT, METADATA_KEY_PREFIX, metadataKey, STACK_DESCRIPTION_VERSION } from './core/stack-description.js';
export type { AppMetadata, ConnectionOutput } from './core/stack-description.js';

// Configuration: the environment contract the constructs set.
export {
  checkConfig,
  configFromEnv,
  DISPATCHER_COMPUTE,
  DISPATCHER_DEFINITION,
  ENDPOINT_ENV,
  ENV,
  environmentBytes,
  environmentFor,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  RuntimeConfigError,
} from './core/config.js';
export type { RuntimeConfig, Service } from './core/config.js';
export { clientConfig, createClients, createLogsClient, DOCUMENT_TRANSLATION, documentClient, MAX_SOCKETS } from './core/clients.js';
export type { Clients, ClientOptions } from './core/clients.js';
export { createContext, DEFAULT_TUNING } from './core/context.js';
export type { ContextOptions, RuntimeContext, RuntimeTuning } from './core/context.js';
export { createRuntimePort } from './entry/runtime-port.js';
export type { RuntimePortOptions } from './entry/runtime-port.js';

// Secrets and config settings: the environment variables they arrive through (besides Secrets Manager).
export { SETTINGS_ENV, configEnv, secretIdEnv, secretValueEnv } from './settings/environment.js';

// Logs: the JSON line format, reading lines back, and reading an app's logs from CloudWatch Logs.
export { Logger, parseLogLine, stdoutSink } from './core/logger.js';
export type { LogContext, LoggerOptions, LogKind, LogLevel, LogRecord, RecordLevel } from './core/logger.js';
export { createLogReader, LOG_READER_DEFAULTS, LogAccessDeniedError, LogReader, LogReadError } from './logs/reader.js';
export type { FollowOptions, LogPage, LogQuery, ReadOptions, TimeInput } from './logs/reader.js';
export type { LogEntry, RecordEntry, TextEntry } from './logs/entries.js';
export { logSources } from './logs/sources.js';
export type { LogSource } from './logs/sources.js';

// Tables, state and payloads.
export type { KeyAttribute, TableSchema } from './core/table-schema.js';
export { DICT_SCHEMA, DICT_TABLE_SCHEMA } from './dicts/schema.js';
export { RECORD_PREFIXES, STATE_SCHEMA, STATE_TABLE_SCHEMA, partitionKey } from './state/schema.js';
export { StateTable } from './state/state-table.js';
export type { Condition, ConditionalUpdate, ConditionValues, QueryPage, StateKey, Stored } from './state/state-table.js';
export { ScheduleClaims } from './schedules/claims.js';
export type { Claim, ClaimResult } from './schedules/claims.js';
export { Payloads, PAYLOAD_PREFIXES, SYNC_PAYLOAD_LIMIT, ASYNC_PAYLOAD_LIMIT } from './core/payloads.js';
export type { PayloadRef } from './core/payloads.js';

// The Lambda handler: every kind of event it handles, and the invoker of each placement.
export { createLambdaHandler, EVENT_HANDLERS, UnknownEventError } from './entry/lambda-handler.js';
export type { LambdaHandler } from './entry/lambda-handler.js';
export type { EventHandler, HandlerContext, LambdaContext } from './core/event-handler.js';
export { INVOKERS } from './functions/invokers.js';
export type { FunctionInvoker, InvokerFactory } from './functions/invoker.js';

// Operating an app: the control plane (definitions, runs, scheduled tasks, dicts, logs through a log source).
export { ControlPlane, createControlPlane, FAILED_WINDOW_MS } from './control/control-plane.js';
export type { ControlPlaneOptions } from './control/control-plane.js';
export { ControlDict, DICT_LIST_LIMIT } from './control/dicts.js';
export {
  ActionRefusedError,
  LogsUnavailableError,
  RUN_ID_FORMS,
  RunsIndexUnavailableError,
  UnknownDefinitionError,
  UnknownRunError,
} from './control/errors.js';
export { ACTIVE_WINDOW_MS, RUNS_LIMIT } from './control/run-listing.js';
export { RUN_KINDS, RUN_STATUSES } from './control/types.js';
export type {
  AppStatus,
  CancelResult,
  ControlPlaneTarget,
  DefinitionInfo,
  DefinitionLimits,
  DictEntry,
  DictListOptions,
  PauseInfo,
  PauseResult,
  RetryResult,
  RunCounts,
  RunDetail,
  RunKind,
  RunStatus,
  RunSummary,
  RunsQuery,
  ScheduleInfo,
  ScheduleStatus,
  ServiceUrl,
  TriggerResult,
} from './control/types.js';
export type {
  ControlLogFollowQuery,
  ControlLogPage,
  ControlLogQuery,
  ControlLogReadQuery,
  ControlLogSource,
  ControlLogSourceOption,
  LogLine,
} from './control/logs.js';
export { RUN_INDEX_SHARDS, runIndexKeys, claimIndexKeys, shardOf } from './state/run-index.js';
export type { RunIndexKeys } from './state/run-index.js';
export { RUNS_INDEX } from './state/schema.js';
export { SchedulePauses } from './schedules/pauses.js';
export type { PauseState } from './schedules/pauses.js';
