/**
 * What the stack says about an app, so an operator's tools find it from the stack's name alone, with no source code
 * (the shape is runtime/core/stack-description.ts, the reader runtime/entry/deployed-app.ts):
 *
 * - the connection output (`Multinode` in the app construct): JSON of what exists only once the stack is deployed,
 *   the payload bucket's name, the region and, when they fit, the services' URLs;
 * - the app's entry in the template's Metadata section, `multinode:<prefix>`: its manifest and the keys of its
 *   outputs. Template-level Metadata, not a resource's: the app is many resources, none of which stands for it, and
 *   an entry there survives the replacement of any of them.
 */
import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Manifest } from '../lib/manifest.js';
import { type AppMetadata, CONNECTION_OUTPUT_LIMIT, type ConnectionOutput, metadataKey, STACK_DESCRIPTION_VERSION } from '../runtime/core/stack-description.js';

/** Id of the connection output in the app construct (its logical id is CDK's, made from the construct's path). */
export const CONNECTION_OUTPUT_ID = 'Multinode';

/** The longest values deploy-time references stand for in the connection output. */
const LONGEST = {
  /** An S3 bucket name. */
  bucket: 63,
  /** A region name, with room to spare (the longest today have 14 characters). */
  region: 25,
  /** `https://<10-character API id>.execute-api.<region>.<amazonaws.com or amazonaws.com.cn>/` */
  url: 'https://'.length + 10 + '.execute-api.'.length + 25 + 1 + 'amazonaws.com.cn'.length + 1,
} as const;

export interface AppDescriptionProps {
  /** The app's manifest. Required. */
  readonly manifest: Manifest;
  /** The app's prefix. Required. */
  readonly prefix: string;
  /** The payload bucket's name (a reference). Required. */
  readonly bucketName: string;
  /** Each service's URL and its own output, by service name. Required (may be empty). */
  readonly services: Readonly<Record<string, { readonly url: string; readonly output: CfnOutput }>>;
}

/** Adds the connection output and the metadata entry of the app to its stack; returns the output. */
export function describeApp(scope: Construct, props: AppDescriptionProps): CfnOutput {
  const stack = Stack.of(scope);
  const names = Object.keys(props.services);
  const withUrls = connectionOutputLength(props.manifest.app.name, props.prefix, names) <= CONNECTION_OUTPUT_LIMIT;
  const connection: ConnectionOutput = {
    version: STACK_DESCRIPTION_VERSION,
    app: props.manifest.app.name,
    prefix: props.prefix,
    bucket: props.bucketName,
    region: stack.region,
    ...(withUrls ? { services: Object.fromEntries(names.map((name) => [name, props.services[name]!.url])) } : {}),
  };
  const output = new CfnOutput(scope, CONNECTION_OUTPUT_ID, {
    value: stack.toJsonString(connection),
    description: `Connection of the multinode app ${props.manifest.app.name} (prefix ${props.prefix}), read by multinode --stack`,
  });
  const metadata: AppMetadata = {
    version: STACK_DESCRIPTION_VERSION,
    // Logical ids as tokens, so a renamed or overridden id is still the one written.
    outputs: { connection: output.logicalId, services: Object.fromEntries(names.map((name) => [name, props.services[name]!.output.logicalId])) },
    manifest: props.manifest,
  };
  stack.addMetadata(metadataKey(props.prefix), metadata);
  return output;
}

/** The longest the connection output's value can be with the services' URLs in it, references at their longest. */
export function connectionOutputLength(app: string, prefix: string, services: readonly string[]): number {
  const worst: ConnectionOutput = {
    version: STACK_DESCRIPTION_VERSION,
    app,
    prefix,
    bucket: 'x'.repeat(LONGEST.bucket),
    region: 'x'.repeat(LONGEST.region),
    services: Object.fromEntries(services.map((name) => [name, 'x'.repeat(LONGEST.url)])),
  };
  return JSON.stringify(worst).length;
}

/** Bytes the app's metadata entry takes in the template (as CDK writes it, indented by one space). */
export function metadataBytes(stack: Stack, prefix: string): number {
  const entry = stack.templateOptions.metadata?.[metadataKey(prefix)];
  return entry === undefined ? 0 : Buffer.byteLength(JSON.stringify(stack.resolve(entry), undefined, 1));
}
