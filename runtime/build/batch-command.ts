/**
 * The command of every Batch job definition: `node -e <bootstrap>`, the bootstrap (runtime/batch/bootstrap.ts)
 * minified by esbuild. The command and the environment share the 8,192 characters ECS allows for a container's
 * overrides (constructs/batch-job.ts checks the sum), so the shipped script is as short as esbuild makes it. It is
 * wrapped in a function so its names are local and shortened, and lowered to Node 12's syntax so an image with an
 * old `node` reaches the version check at its top instead of failing to parse the script.
 */
import { transformSync } from 'esbuild';
import { BOOTSTRAP_SOURCE } from '../batch/bootstrap.js';

function minified(): string {
  const wrapped = `(() => {\n${BOOTSTRAP_SOURCE}\n})();`;
  // Node 12.20 has import(), which loads the ES module bundle; esbuild's node12 target would turn it into require().
  const options = { minify: true, target: 'node12', format: 'cjs', charset: 'utf8', legalComments: 'none', supported: { 'dynamic-import': true } } as const;
  return transformSync(wrapped, options).code.trimEnd();
}

/** The bootstrap script as it runs in every Batch container. */
export const BOOTSTRAP_SCRIPT = minified();

/** The job definition's command: Docker CMD for the Node image (Batch ECS jobs have no entrypoint override). */
export function batchContainerCommand(): string[] {
  return ['node', '-e', BOOTSTRAP_SCRIPT];
}
