/**
 * With a state directory (as `multinode dev` runs), the local CloudWatch Logs keeps its lines under `logs/`, so a
 * restarted cloud reads the lines of earlier runs.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { LocalCloud } from '../../runtime/local/cloud.js';
import { createLogReader } from '../../runtime/logs/reader.js';
import { tempApp } from '../helpers/temp-app.js';

const app = tempApp(
  {
    'app.ts': `import * as mn from 'multinode';
import { log } from 'multinode';
export const hello = mn.fn(async (name: string) => {
  log.info('hello', { name });
  return name;
});
`,
  },
  'persisted-logs',
);
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'multinode-logs-state-'));
afterAll(() => {
  app.cleanup();
  rmSync(stateDir, { recursive: true, force: true });
});

async function run<T>(work: (cloud: LocalCloud) => Promise<T>): Promise<T> {
  const cloud = await LocalCloud.start({ entry: app.entry, stateDir, log: () => {} });
  try {
    return await work(cloud);
  } finally {
    await cloud.stop();
  }
}

it("keeps the lines in the state directory's logs/ across restarts", async () => {
  await run(async (cloud) => {
    expect(JSON.parse((await cloud.invoke('hello', { multinode: 'call', function: 'hello', args: ['before'], attempt: 1 })).payload)).toMatchObject({
      multinode: 'result',
    });
  });
  expect(readdirSync(path.join(stateDir, 'logs')).length).toBeGreaterThan(0);
  const names = await run(async (cloud) => {
    const context = cloud.context();
    const reader = createLogReader(context);
    try {
      return (await reader.read({ definition: 'hello' })).entries.flatMap((e) => (e.type === 'record' ? [e.fields.name] : []));
    } finally {
      reader.destroy();
      context.clients.destroy();
    }
  });
  expect(names).toEqual(['before']);
  expect(existsSync(path.join(stateDir, 'state.json'))).toBe(true);
}, 120_000);
