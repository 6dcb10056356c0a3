/**
 * The dashboard: a web page over the control plane, served on 127.0.0.1 by `multinode dev` (the local cloud) and by
 * `multinode dashboard --stack <name>` (a deployed app). Not part of `multinode/runtime`'s exports, so code that
 * imports the runtime never loads esbuild for it.
 */
export { startDashboard } from './server.js';
export type { Dashboard, DashboardOptions } from './server.js';
export type { DashboardTarget } from './plane-source.js';
export { TOKEN_HEADER } from './security.js';
