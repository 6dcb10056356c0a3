/**
 * The environment the runtime reads to find an app's resources (runtime/config.ts). Physical names all derive
 * from the prefix (lib/naming.ts), so a handful of variables serve an app of any size (Lambda allows 4 KB).
 */
import { ENV } from '../runtime/core/config.js';

export interface AppLocation {
  /** The app's name. Required. */
  readonly app: string;
  /** The app's resource prefix. Required. */
  readonly prefix: string;
  /** Payload bucket name (a CloudFormation token at synth time). Required. */
  readonly bucket: string;
}

/**
 * What code outside the app's Lambdas (Batch containers, the user's own compute) needs to reach the app, besides
 * AWS_REGION, which Lambda and ECS set themselves.
 */
export function connectionEnvironment(location: AppLocation): Record<string, string> {
  return { [ENV.app]: location.app, [ENV.prefix]: location.prefix, [ENV.bucket]: location.bucket };
}

/** The environment of the app's Lambda functions: the connection, plus source-mapped stack traces unless turned off. */
export function lambdaEnvironment(location: AppLocation, { sourceMaps = true }: { sourceMaps?: boolean } = {}): Record<string, string> {
  return { ...connectionEnvironment(location), ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}) };
}
