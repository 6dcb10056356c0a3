/** EC2 instance classes for the GPU definitions of an app (the GPU models' families come from the model). */
import { InstanceClass } from 'aws-cdk-lib/aws-ec2';
import type { IConstruct } from 'constructs';
import type { ManifestDefinition } from '../lib/manifest.js';
import { GPU_MODELS } from '../lib/options/fields.js';
import { SynthError } from './errors.js';

/** Families used when a definition asks for GPUs of any model: current, widely available NVIDIA generations. */
const ANY_GPU_FAMILIES = ['g4dn', 'g5', 'g6'] as const;

export function gpuInstanceClasses(scope: IConstruct, definitions: readonly ManifestDefinition[]): InstanceClass[] {
  const families = new Set<string>();
  for (const definition of definitions) {
    const compute = definition.compute;
    if (compute?.type !== 'batch' || compute.platform !== 'ec2') continue;
    const model = compute.gpu?.model ?? null;
    if (model === null) {
      for (const family of ANY_GPU_FAMILIES) families.add(family);
      continue;
    }
    const family = (GPU_MODELS as Record<string, string>)[model];
    if (!family) {
      throw new SynthError(
        `asks for GPU model "${model}", which no EC2 instance family here offers; models: ${Object.keys(GPU_MODELS).join(', ')}.`,
        scope,
        definition.name,
      );
    }
    families.add(family);
  }
  return [...families].sort().map((family) => instanceClass(scope, family));
}

function instanceClass(scope: IConstruct, family: string): InstanceClass {
  const value = Object.values(InstanceClass).find((c) => c === family);
  if (!value) throw new SynthError(`aws-cdk-lib knows no EC2 instance class "${family}".`, scope);
  return value as InstanceClass;
}
