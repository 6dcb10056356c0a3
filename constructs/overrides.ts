/**
 * Deployment settings per definition (`overrides: { api: { throttle: ... } }`), checked against the manifest: an
 * unknown name, a setting that does not apply to the definition's kind or placement, or a bad value fails the synth
 * with the definition's name and what is allowed. What a definition computes with (cpu, memory, timeout) is not
 * here: it lives in the app's code, so the local cloud and AWS agree.
 */
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type { IConstruct } from 'constructs';
import type { ManifestDefinition } from '../lib/manifest.js';
import type { ServiceThrottle } from './app-service.js';
import { SynthError } from './errors.js';

export interface DefinitionOverrides {
  /**
   * Extra environment variables of the definition's Lambda function or Batch container (not AWS_*, LAMBDA_*,
   * MULTINODE_*, NODE_OPTIONS or _HANDLER).
   *
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Lambda reserved concurrency of a Lambda-placed definition, 0 to 1000. Mind that new accounts may have little to
   * reserve.
   *
   * @default - no reservation
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Scheduled tasks: `false` deploys their schedules disabled.
   *
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Services: requests per second and burst.
   *
   * @default SERVICE_THROTTLE_DEFAULT (500 requests per second, bursts of 1000)
   */
  readonly throttle?: ServiceThrottle;
  /**
   * Services: CORS preflight answered by API Gateway.
   *
   * @default - none: preflight requests reach the handler
   */
  readonly corsPreflight?: apigw.CorsPreflightOptions;
}

const KEYS_FOR: Record<string, readonly (keyof DefinitionOverrides)[]> = {
  function: ['environment', 'reservedConcurrentExecutions'],
  job: ['environment', 'reservedConcurrentExecutions'],
  schedule: ['environment', 'reservedConcurrentExecutions', 'enabled'],
  service: ['environment', 'reservedConcurrentExecutions', 'throttle', 'corsPreflight'],
  dict: [],
  lock: [],
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Lambda reserves AWS_* names; MULTINODE_* are the runtime's. */
const RESERVED_ENV = /^(AWS_|MULTINODE_|NODE_OPTIONS$|_HANDLER$|LAMBDA_)/;

export function checkOverrides(
  scope: IConstruct,
  definitions: readonly ManifestDefinition[],
  overrides: Readonly<Record<string, DefinitionOverrides>>,
): Map<string, DefinitionOverrides> {
  const byName = new Map(definitions.map((d) => [d.name, d]));
  const checked = new Map<string, DefinitionOverrides>();
  for (const [name, override] of Object.entries(overrides)) {
    const definition = byName.get(name);
    if (!definition) {
      throw new SynthError(
        `overrides name "${name}", which the app does not define; its definitions are: ${[...byName.keys()].join(', ') || '(none)'}.`,
        scope,
      );
    }
    const allowed = KEYS_FOR[definition.kind] ?? [];
    for (const key of Object.keys(override ?? {})) {
      if (!allowed.includes(key as keyof DefinitionOverrides)) {
        const what = allowed.length > 0 ? `a ${definition.kind} takes ${allowed.map((k) => `"${k}"`).join(', ')}` : `a ${definition.kind} takes no overrides`;
        throw new SynthError(`the override "${key}" does not apply: ${what}.`, scope, name);
      }
    }
    if (override.reservedConcurrentExecutions !== undefined) {
      const value = override.reservedConcurrentExecutions;
      if (definition.placement !== 'lambda')
        throw new SynthError('reservedConcurrentExecutions applies to Lambda-placed definitions only; this one runs on AWS Batch.', scope, name);
      if (!Number.isInteger(value) || value < 0 || value > 1000) {
        throw new SynthError(`reservedConcurrentExecutions must be a whole number from 0 to 1000 (Lambda's default account limit), got ${value}.`, scope, name);
      }
    }
    if (override.enabled !== undefined && typeof override.enabled !== 'boolean')
      throw new SynthError(`enabled must be true or false, got ${JSON.stringify(override.enabled)}.`, scope, name);
    for (const [key, value] of Object.entries(override.environment ?? {})) {
      if (!ENV_NAME.test(key))
        throw new SynthError(`the environment variable name "${key}" is not valid: letters, digits and "_", not starting with a digit.`, scope, name);
      if (RESERVED_ENV.test(key))
        throw new SynthError(
          `the environment variable "${key}" is reserved (AWS_*, LAMBDA_*, MULTINODE_*, NODE_OPTIONS and _HANDLER are set by Lambda or multinode).`,
          scope,
          name,
        );
      if (typeof value !== 'string') throw new SynthError(`the environment variable "${key}" must be a string, got ${typeof value}.`, scope, name);
    }
    checked.set(name, override);
  }
  return checked;
}
