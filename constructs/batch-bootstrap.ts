/**
 * How a Batch container starts the app (runtime/batch/bootstrap.ts): the public Node.js image, `node -e BOOTSTRAP`
 * as the command, and the job definition's environment naming the bundle (an S3 asset of its archive) and the
 * definition it runs.
 */
import { Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { batchDefinitionEnvironment, batchStateChangePattern, BATCH_CONTAINER_IMAGE } from '../runtime/batch/bootstrap.js';
import { batchContainerCommand } from '../runtime/build/batch-command.js';

export const BATCH_IMAGE = BATCH_CONTAINER_IMAGE;

export function batchCommand(): string[] {
  return batchContainerCommand();
}

/** The job definition's own variables: where the bundle is, which definition runs, and the region. */
export function batchEnvironment(bundle: Asset, definition: string): Record<string, string> {
  return batchDefinitionEnvironment({
    bundleBucket: bundle.s3BucketName,
    bundleKey: bundle.s3ObjectKey,
    definition,
    region: Stack.of(bundle).region,
  });
}

/** The EventBridge pattern of the job state changes the runtime records (those of the app's queues). */
export function batchEventPattern(jobQueueArns: readonly string[]): events.EventPattern {
  const pattern = batchStateChangePattern(jobQueueArns);
  return { source: pattern.source, detailType: pattern['detail-type'], detail: pattern.detail };
}
