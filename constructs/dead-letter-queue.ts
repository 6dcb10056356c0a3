import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from './nag.js';

/**
 * A dead-letter queue: events a schedule could not deliver, and asynchronous invocations that failed for good.
 * Encrypted, TLS only, kept for the longest SQS allows.
 */
export function deadLetterQueue(scope: Construct, id: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledge(queue, 'AwsSolutions-SQS3', 'This queue is itself a dead-letter queue (for Scheduler and Lambda asynchronous invocations).');
  return queue;
}
