/**
 * Synth time of a 50-definition app through MultinodeApp vs a hand-written aws-cdk-lib stack with the same
 * resources (tables, bucket, dead-letter queue, one role, a function and log group per definition, schedules,
 * HTTP APIs), both with the built-in validation off, alternated in one process. Target: MultinodeApp <= 1.5x.
 *
 * "Warm" is construct + synth with the app already bundled (what every synth after the first in a process costs,
 * and what the hand-written stack costs given a bundle). "Cold" adds bundling the app and reading its manifest in
 * a child process, once, for information.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { buildApp, clearBuildCache, MultinodeApp } from '../constructs/index.js';
import type { Manifest } from '../lib/manifest.js';
import type { LambdaCompute } from '../lib/placement.js';
import { median } from './support/stats.js';

const ROUNDS = 7;
const TARGET = 1.5;

function appSource(): string {
  const lines = ["import * as mn from 'multinode';"];
  for (let i = 0; i < 8; i++) lines.push(`export const dict${i} = mn.dict<number>('dict_${i}');`);
  for (let i = 0; i < 30; i++) lines.push(`export const fn${i} = mn.fn({ memory: '512 MiB' }, async (x: number) => x + ${i});`);
  for (let i = 0; i < 6; i++) lines.push(`export const task${i} = mn.schedule({ cron: '${i} 3 * * *', timezone: 'Europe/Berlin' }, async () => {});`);
  for (let i = 0; i < 6; i++) lines.push(`export const api${i} = mn.service({}, async () => new Response('${i}'));`);
  return lines.join('\n');
}

/** The same resources, written by hand with aws-cdk-lib's L2 constructs. */
function handWritten(stack: Stack, manifest: Manifest, bundleDir: string): void {
  const removalPolicy = RemovalPolicy.RETAIN;
  const state = new dynamodb.Table(stack, 'State', {
    tableName: 'hand-state',
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: 'ttl',
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy,
  });
  const bucket = new s3.Bucket(stack, 'Payloads', {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    encryption: s3.BucketEncryption.S3_MANAGED,
    lifecycleRules: [{ expiration: Duration.days(7) }],
  });
  const dlq = new sqs.Queue(stack, 'DeadLetters', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true });
  const role = new iam.Role(stack, 'LambdaRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  state.grantReadWriteData(role);
  bucket.grantReadWrite(role);
  const code = lambda.Code.fromAsset(bundleDir);
  const functions = new Map<string, lambda.Function>();
  for (const d of manifest.definitions) {
    if (d.kind === 'dict') {
      new dynamodb.Table(stack, `Dict${d.name}`, {
        tableName: `hand-dict-${d.name}`,
        partitionKey: { name: 'k', type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        timeToLiveAttribute: 'x',
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy,
      }).grantReadWriteData(role);
      continue;
    }
    const compute = d.compute as LambdaCompute;
    const logGroup = new logs.LogGroup(stack, `Logs${d.name}`, { logGroupName: `/aws/lambda/hand-${d.name}`, retention: logs.RetentionDays.ONE_MONTH });
    functions.set(
      d.name,
      new lambda.Function(stack, `Fn${d.name}`, {
        functionName: `hand-${d.name}`,
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'app.handler',
        code,
        memorySize: compute.memoryMB,
        timeout: Duration.seconds(compute.timeoutSeconds),
        role,
        logGroup,
        environment: { MULTINODE_APP: 'bench', MULTINODE_PREFIX: 'hand', MULTINODE_BUCKET: bucket.bucketName },
        deadLetterQueue: dlq,
        retryAttempts: 0,
      }),
    );
  }
  const group = new scheduler.ScheduleGroup(stack, 'Group', { scheduleGroupName: 'hand' });
  for (const d of manifest.definitions.filter((x) => x.kind === 'schedule')) {
    d.schedule!.expressions.forEach((compiled, i) => {
      new scheduler.Schedule(stack, `Schedule${d.name}${i}`, {
        scheduleName: `${d.name}-${i}`,
        scheduleGroup: group,
        schedule: scheduler.ScheduleExpression.expression(compiled.expression, TimeZone.of(compiled.timezone)),
        timeWindow: scheduler.TimeWindow.off(),
        target: new targets.LambdaInvoke(functions.get(d.name)!, { deadLetterQueue: dlq, retryAttempts: 5, maxEventAge: Duration.hours(1) }),
      });
    });
  }
  for (const d of manifest.definitions.filter((x) => x.kind === 'service')) {
    const api = new apigw.HttpApi(stack, `Api${d.name}`, {
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration(`Integration${d.name}`, functions.get(d.name)!, { timeout: Duration.seconds(29) }),
    });
    const accessLogs = new logs.LogGroup(stack, `AccessLogs${d.name}`, { retention: logs.RetentionDays.ONE_MONTH });
    api.addStage(`Stage${d.name}`, {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 500, burstLimit: 1000 },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
    });
  }
}

function timed(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

const work = mkdtempSync(path.join(os.tmpdir(), 'multinode-synth-bench-'));
try {
  mkdirSync(path.join(work, 'src'));
  writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'bench-app', type: 'module' }));
  const entry = path.join(work, 'src', 'app.ts');
  writeFileSync(entry, appSource());
  const bundleRoot = path.join(work, 'bundles');
  const newApp = () => new App({ builtinCloudFormationValidation: false, outdir: mkdtempSync(path.join(work, 'out-')) });

  const cold = timed(() => {
    const app = newApp();
    new MultinodeApp(new Stack(app, 'Multinode'), 'App', { entry, bundleRoot });
    app.synth();
  });
  const build = buildApp(entry, { bundleRoot });
  const definitions = build.manifest.definitions.length;
  const resources = { multinode: 0, hand: 0 };

  const multinodeTimes: number[] = [];
  const handTimes: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const mine = timed(() => {
      const app = newApp();
      const stack = new Stack(app, 'Multinode');
      new MultinodeApp(stack, 'App', { entry, bundleRoot, prefix: `mn${round}` });
      resources.multinode = Object.keys(app.synth().getStackByName('Multinode').template.Resources).length;
    });
    const theirs = timed(() => {
      const app = newApp();
      const stack = new Stack(app, 'Hand');
      handWritten(stack, build.manifest, build.dir);
      resources.hand = Object.keys(app.synth().getStackByName('Hand').template.Resources).length;
    });
    if (round === 0) continue; // warm-up: module loading and JIT
    multinodeTimes.push(mine);
    handTimes.push(theirs);
  }
  clearBuildCache();

  const ratio = median(multinodeTimes) / median(handTimes);
  console.log(`app: ${definitions} definitions; resources: MultinodeApp ${resources.multinode}, hand-written ${resources.hand}`);
  console.log(`MultinodeApp, cold (bundle + manifest + synth)   ${cold.toFixed(0).padStart(6)} ms`);
  console.log(`MultinodeApp, warm (construct + synth), median   ${median(multinodeTimes).toFixed(0).padStart(6)} ms`);
  console.log(`hand-written stack (construct + synth), median   ${median(handTimes).toFixed(0).padStart(6)} ms`);
  console.log(`ratio MultinodeApp / hand-written: ${ratio.toFixed(2)}x (target <= ${TARGET}x) ${ratio <= TARGET ? 'OK' : 'ABOVE TARGET'}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
