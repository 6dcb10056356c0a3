/** Test support for the dashboard: its test app in a local cloud, the dashboard over it, and API calls with the token. */
import path from 'node:path';
import { type Dashboard, type DashboardOptions, startDashboard } from '../../runtime/dashboard/index.js';
import { startTestCloud, type TestCloud } from '../../runtime/local/testing.js';
import * as app from './fixtures/dash-app/src/app.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// Short heartbeats and grace period: a cancelled job stops within moments.
process.env.MULTINODE_JOB_TUNING = JSON.stringify({ heartbeatMs: 100, graceMs: 1500, staleAfterMs: 10_000, pollMaxMs: 100, lockTtlSeconds: 3 });

export const DASH_APP = path.join(import.meta.dirname, 'fixtures/dash-app/src/app.ts');
export { app };

export interface DashFixture {
  readonly t: TestCloud;
  readonly dashboard: Dashboard;
  /** An API call with the token (unless `token` says otherwise): the status and the parsed JSON. */
  call(
    pathname: string,
    init?: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<{
    status: number;
    body: any;
    headers: Headers;
  }>;
  stop(): Promise<void>;
}

export async function startDashApp(options: Partial<DashboardOptions> = {}): Promise<DashFixture> {
  const t = await startTestCloud(DASH_APP, { module: app });
  const dashboard = await startDashboard({ target: () => t.cloud.connection(), mode: 'local', pollMs: 300, ...options });
  return {
    t,
    dashboard,
    async call(pathname, init = {}) {
      const token = init.token === undefined ? dashboard.token : init.token;
      const response = await fetch(`${dashboard.origin}${pathname}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          ...(token === null ? {} : { 'x-multinode-token': token }),
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
        ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {}
      return { status: response.status, body, headers: response.headers };
    },
    async stop() {
      await dashboard.close();
      await t.stop();
    },
  };
}
