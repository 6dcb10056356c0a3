/** The local Batch endpoint and its container credentials endpoint. */
export { startLocalBatch } from './server.js';
export type { LocalBatch, LocalBatchOptions } from './server.js';
export { LocalBatchEngine } from './engine.js';
export type { BatchStateChangeEvent, LocalBatchEngineOptions } from './engine.js';
export { startContainerCredentials, LOCAL_CREDENTIALS } from './credentials.js';
export type { ContainerCredentialsEndpoint, ContainerCredentialsOptions, StaticCredentials } from './credentials.js';
export { BATCH_LIMITS } from './validate.js';
export { BatchClientError } from './types.js';
export type { JobDefinitionInput } from './types.js';
