/** connect(): outside code reaching a running local cloud (as it reaches a deployed app) with typed handles. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { DictHandle, FunctionHandle } from '../../lib/handles.js';
import { RuntimeConfigError } from '../../runtime/core/config.js';
import { connect, ConnectError } from '../../runtime/entry/connect.js';
import { LocalCloud } from '../../runtime/local/cloud.js';
import * as app from './fixtures/functions-app/src/app.js';

const entry = path.join(import.meta.dirname, 'fixtures/functions-app/src/app.ts');
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'multinode-connect-'));
let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await LocalCloud.start({ entry, stateDir, log: () => undefined });
}, 120_000);
afterAll(async () => {
  await cloud?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('connect', () => {
  it("gives typed handles to a running local cloud, and makes the module's definitions work", async () => {
    const remote = connect(app, { local: stateDir });
    try {
      expectTypeOf(remote.add).toEqualTypeOf<FunctionHandle<[a: number, b: number], number>>();
      expectTypeOf(remote.marks).toEqualTypeOf<DictHandle<number>>();
      expect(await remote.add.call(20, 22)).toBe(42);
      await remote.marks.set('connect/x', 7);
      expect(await app.marks.get('connect/x')).toBe(7);
      expect(await app.nested.call(1)).toBe(101);
      expect(Object.keys(remote)).not.toContain('api');
    } finally {
      remote.close();
    }
    await expect(app.add.call(1, 1)).rejects.toThrow(/needs the multinode runtime/);
  });

  it('takes an explicit configuration', async () => {
    const remote = connect(app, { config: cloud.config, install: false });
    try {
      expect(await remote.echo.call('hi')).toBe('hi');
    } finally {
      remote.close();
    }
  });

  it('says what is missing when it cannot find the app', () => {
    expect(() => connect(app, { local: path.join(stateDir, 'nowhere') })).toThrow(ConnectError);
    expect(() => connect(app, { local: path.join(stateDir, 'nowhere') })).toThrow(/No running local cloud found .* multinode dev <entry>/);
    expect(() => connect(app)).toThrow(RuntimeConfigError);
    expect(() => connect({ notADefinition: 1 })).toThrow(/exports no multinode definitions/);
  });
});
