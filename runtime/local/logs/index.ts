/** The local CloudWatch Logs: the endpoint, its store, the filter patterns it understands, and log delivery. */
export { startLocalLogs } from './server.js';
export type { LocalLogs, LocalLogsOptions } from './server.js';
export { LogStore, LogsServiceError } from './store.js';
export type { LogStoreOptions } from './store.js';
export { LogDelivery } from './delivery.js';
export type { LogDeliveryOptions } from './delivery.js';
export { FilterPatternError, parseFilterPattern, SUPPORTED_PATTERNS } from './filter-pattern.js';
export type { FilterPattern } from './filter-pattern.js';
export { functionLogWriter, reportLine } from './lambda-logs.js';
export type { FunctionLogWriter, InvocationReport } from './lambda-logs.js';
export { LOGS_LIMITS } from './limits.js';
