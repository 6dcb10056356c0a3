/**
 * multinode/runtime: the one runtime. It runs user handlers and carries out `fn.call`, `dict.get`, ... through the
 * AWS SDK v3, against AWS or against the local cloud's endpoints.
 */
export { startApp } from './app-entry.js';
export type { AppEntryPoints } from './app-entry.js';
export { installRuntime } from '../lib/runtime-port.js';
export type { RuntimePort } from '../lib/runtime-port.js';

// Outside callers.
export { connect, connectTo, ConnectError, CLOUD_FILE, readLocal } from './connect.js';
export type { Connection, ConnectOptions, Handles } from './connect.js';

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
} from './config.js';
export type { RuntimeConfig, Service } from './config.js';
export { clientConfig, createClients, MAX_SOCKETS } from './clients.js';
export type { Clients, ClientOptions } from './clients.js';
export { createContext, DEFAULT_TUNING } from './context.js';
export type { ContextOptions, RuntimeContext, RuntimeTuning } from './context.js';
export { createRuntimePort, NotAvailableError } from './port.js';

// Tables, state and payloads.
export { DICT_TABLE_SCHEMA, STATE_TABLE_SCHEMA } from './table-schemas.js';
export type { KeyAttribute, TableSchema } from './table-schemas.js';
export { DICT_SCHEMA } from './dict/schema.js';
export { STATE_KINDS, STATE_SCHEMA, partitionKey } from './state/schema.js';
export { StateTable, attr } from './state/state-table.js';
export { ScheduleClaims } from './state/schedule-claims.js';
export type { Claim, ClaimResult } from './state/schedule-claims.js';
export { Payloads, PAYLOAD_PREFIXES, SYNC_PAYLOAD_LIMIT, ASYNC_PAYLOAD_LIMIT } from './payloads.js';
export type { PayloadRef } from './payloads.js';

// The Lambda handler and its extension points.
export { createLambdaHandler } from './handler/lambda-handler.js';
export type { LambdaHandler } from './handler/lambda-handler.js';
export { registerEventKind, UnknownEventError } from './handler/dispatch.js';
export type { EventKind, HandlerContext, LambdaContext } from './handler/types.js';
export { registerScheduledRunner } from './handler/schedule-kind.js';
export { registerInvoker, PlacementUnavailableError } from './functions/invoker.js';
export type { FunctionInvoker, InvokerFactory } from './functions/invoker.js';
export { registerHandleFactory } from './handle-factories.js';
