/**
 * multinode/runtime: the one runtime. It runs user handlers and carries out `fn.call`, `dict.get`, ... through the
 * AWS SDK v3, against AWS or against the local cloud's endpoints.
 */
export { startApp } from './app-entry.js';
export type { AppEntryPoints } from './app-entry.js';
export { installRuntime } from '../lib/runtime-port.js';
export type { RuntimePort } from '../lib/runtime-port.js';
