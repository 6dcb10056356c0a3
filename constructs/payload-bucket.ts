/**
 * The app's payload bucket: call arguments and results too big to travel inline (Lambda's 6 MB / 1 MB, Batch's
 * 30 KiB) go through it. Private, TLS only, encrypted, and emptied by a lifecycle rule: payloads are transient.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { STATE_RETENTION_DAYS } from '../runtime/state/schema.js';
import { SynthError } from './errors.js';
import { acknowledge } from './nag.js';

export interface PayloadBucketProps {
  /**
   * How long payloads are kept, whole days: a day longer than runs and jobs are kept, whose large inputs and results
   * are payloads (a shorter expiry makes old runs' results unreadable).
   *
   * @default Duration.days(31)
   */
  readonly expiration?: Duration;
  /**
   * Where S3 writes server access logs.
   *
   * @default - none (payloads are transient, and the bucket is private)
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * What happens to the bucket when it leaves the stack. A retained bucket empties itself through its lifecycle rule.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class PayloadBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: PayloadBucketProps = {}) {
    super(scope, id);
    const expiration = props.expiration ?? Duration.days(STATE_RETENTION_DAYS + 1);
    const days = expiration.toHours({ integral: false }) / 24;
    if (!Number.isInteger(days) || days < 1) {
      throw new SynthError(
        `the payload expiration must be a whole number of days, at least 1 (S3 lifecycle rules count days), got ${expiration.toHumanString()}.`,
        this,
      );
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      ...(props.serverAccessLogsBucket ? { serverAccessLogsBucket: props.serverAccessLogsBucket, serverAccessLogsPrefix: 'multinode-payloads/' } : {}),
    });
    if (!props.serverAccessLogsBucket) {
      acknowledge(
        this.bucket,
        'AwsSolutions-S1',
        `Payloads are transient (expire after ${expiration.toHumanString()}) and the bucket is private to the app's roles; to log access, ` +
          `pass payloadAccessLogsBucket to MultinodeApp (serverAccessLogsBucket to a PayloadBucket of your own).`,
      );
    }
  }
}
