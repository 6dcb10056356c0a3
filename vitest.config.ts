import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^multinode$/, replacement: here('./lib/index.ts') },
      { find: /^multinode\/runtime$/, replacement: here('./runtime/index.ts') },
      { find: /^multinode\/manifest$/, replacement: here('./runtime/build/index.ts') },
      { find: /^multinode\/constructs$/, replacement: here('./constructs/index.ts') },
      { find: /^multinode\/testing$/, replacement: here('./runtime/local/testing.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // The threads pool breaks esbuild's spawnSync inside aws-cdk-lib's NodejsFunction; forks do not.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
