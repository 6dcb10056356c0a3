/**
 * The outputs CloudFormation would give a MultinodeApp's stack, with the values of a running local cloud instead of
 * AWS's: the template's own output expressions are evaluated (so a wrong expression fails here as it would in AWS),
 * with the app's payload bucket standing for the local bucket, the region for the local region, and each service's
 * API Gateway URL replaced by its local gateway's.
 */
import { resourceNames } from '../../../lib/naming.js';
import { ENV, type RuntimeConfig } from '../../core/config.js';
import { LocalCloudError } from '../errors.js';
import { evaluate } from './intrinsics.js';
import { type CloudFormationTemplate, LOCAL_CLOUDFORMATION_ACCOUNT } from './server.js';

export interface LocalCloudConnection {
  readonly config: RuntimeConfig;
  readonly services: ReadonlyArray<{ readonly name: string; readonly url: string }>;
}

/** Every output of `template` (a synthesized stack holding the app of `cloud`) with its local value, by output key. */
export function localCloudOutputs(template: CloudFormationTemplate, cloud: LocalCloudConnection, stackName = 'LocalStack'): Record<string, string> {
  const resources = Object.entries(template.Resources ?? {});
  // The payload bucket is the one the app's functions are told about.
  const bucketIds = new Set(
    resources.flatMap(([, r]) => {
      const variables = (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
      const ref = (variables?.[ENV.bucket] as { Ref?: unknown } | undefined)?.Ref;
      return r.Type === 'AWS::Lambda::Function' && typeof ref === 'string' ? [ref] : [];
    }),
  );
  if (bucketIds.size !== 1) throw new LocalCloudError(`The template has ${bucketIds.size} payload buckets for the app "${cloud.config.prefix}"; expected one.`);
  // Each service's HTTP API is named after its function.
  const names = resourceNames(cloud.config.prefix);
  const apiIds = new Map<string, string>();
  for (const service of cloud.services) {
    const api = resources.find(([, r]) => r.Type === 'AWS::ApiGatewayV2::Api' && r.Properties?.Name === names.lambdaFunction(service.name));
    if (!api) throw new LocalCloudError(`The template has no HTTP API for service "${service.name}".`);
    apiIds.set(service.name, api[0]);
  }
  const refs: Record<string, string> = { [[...bucketIds][0]!]: cloud.config.bucket };
  for (const [service, id] of apiIds) refs[id] = `local-api-${service.toLowerCase().replace(/[^a-z0-9]/g, '')}`;
  const pseudo = {
    'AWS::Region': cloud.config.region,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::Partition': 'aws',
    'AWS::AccountId': LOCAL_CLOUDFORMATION_ACCOUNT,
    'AWS::StackName': stackName,
  };
  const awsUrl = (service: string) => `https://${refs[apiIds.get(service)!]}.execute-api.${cloud.config.region}.amazonaws.com/`;
  return Object.fromEntries(
    Object.entries(template.Outputs ?? {}).map(([key, output]) => {
      let value = evaluate(output.Value, { refs, pseudo }, `Outputs.${key}.Value`);
      for (const service of cloud.services) value = value.split(awsUrl(service.name)).join(`${service.url.replace(/\/$/, '')}/`);
      return [key, value];
    }),
  );
}
