/** The local EventBridge Scheduler API: its store, its endpoint, and the app's schedules in it. */
export { appSchedules, clockSchedules, type LocalAccount } from './app-schedules.js';
export { type LocalSchedulerApi, startLocalSchedulerApi } from './server.js';
export { DEFAULT_GROUP, LocalScheduleStore, SchedulerApiError, type ScheduleDefinition, type StoredSchedule } from './store.js';
