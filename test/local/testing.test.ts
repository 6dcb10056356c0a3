/** multinode/testing as users call it: the entry imported by the test itself, the definitions connected. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestCloud } from 'multinode/testing';
import { add, marks } from './fixtures/functions-app/src/app.js';

describe('startTestCloud', () => {
  it('imports the entry itself and connects the definitions the test imported', async () => {
    const cloud = await startTestCloud(path.join(import.meta.dirname, 'fixtures/functions-app/src/app.ts'));
    try {
      expect(await add.call(2, 2)).toBe(4);
      await marks.set('testing/x', 1);
      expect(await marks.get('testing/x')).toBe(1);
      expect(cloud.cloud.manifest.app.name).toBe('functions-app');
    } finally {
      await cloud.stop();
    }
    await expect(add.call(1, 1)).rejects.toThrow(/needs the multinode runtime/);
  });

  it('fails with the build error when the app does not build', async () => {
    const { tempApp } = await import('../helpers/temp-app.js');
    const app = tempApp({ 'app.ts': 'export const x = ;\n' }, 'broken-app');
    try {
      await expect(startTestCloud(app.entry)).rejects.toThrow(/does not build/);
    } finally {
      app.cleanup();
    }
  });
});
