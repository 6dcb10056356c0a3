/**
 * EC2 instance classes for the GPU definitions of an app (the GPU models' families come from the model), and the
 * memory a GPU job gets when its definition leaves memory at the default.
 */
import { InstanceClass } from 'aws-cdk-lib/aws-ec2';
import type { IConstruct } from 'constructs';
import type { BatchPlaced } from '../lib/manifest.js';
import { GPU_MODELS, LIMITS } from '../lib/options/fields.js';
import type { BatchCompute } from '../lib/placement.js';
import { SynthError } from './errors.js';

/** Families used when a definition asks for GPUs of any model: current, widely available NVIDIA generations. */
const ANY_GPU_FAMILIES = ['g4dn', 'g5', 'g6'] as const;

/** The families a GPU request may run on. */
function familiesOf(model: string | null): readonly string[] {
  return model === null ? ANY_GPU_FAMILIES : [(GPU_MODELS as Record<string, string>)[model] ?? model];
}

export function gpuInstanceClasses(scope: IConstruct, definitions: readonly BatchPlaced[]): InstanceClass[] {
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

/** Sizes of the GPU families' instances: vCPUs, memory (GiB) and GPUs, as EC2 lists them. */
const GPU_INSTANCES: Readonly<Record<string, ReadonlyArray<{ vcpu: number; memoryGiB: number; gpus: number }>>> = {
  g4dn: [
    { vcpu: 4, memoryGiB: 16, gpus: 1 },
    { vcpu: 8, memoryGiB: 32, gpus: 1 },
    { vcpu: 16, memoryGiB: 64, gpus: 1 },
    { vcpu: 32, memoryGiB: 128, gpus: 1 },
    { vcpu: 48, memoryGiB: 192, gpus: 4 },
    { vcpu: 64, memoryGiB: 256, gpus: 1 },
    { vcpu: 96, memoryGiB: 384, gpus: 8 },
  ],
  g5: [
    { vcpu: 4, memoryGiB: 16, gpus: 1 },
    { vcpu: 8, memoryGiB: 32, gpus: 1 },
    { vcpu: 16, memoryGiB: 64, gpus: 1 },
    { vcpu: 32, memoryGiB: 128, gpus: 1 },
    { vcpu: 48, memoryGiB: 192, gpus: 4 },
    { vcpu: 64, memoryGiB: 256, gpus: 1 },
    { vcpu: 96, memoryGiB: 384, gpus: 4 },
    { vcpu: 192, memoryGiB: 768, gpus: 8 },
  ],
  g6: [
    { vcpu: 4, memoryGiB: 16, gpus: 1 },
    { vcpu: 8, memoryGiB: 32, gpus: 1 },
    { vcpu: 16, memoryGiB: 64, gpus: 1 },
    { vcpu: 32, memoryGiB: 128, gpus: 1 },
    { vcpu: 48, memoryGiB: 192, gpus: 4 },
    { vcpu: 64, memoryGiB: 256, gpus: 1 },
    { vcpu: 96, memoryGiB: 384, gpus: 4 },
    { vcpu: 192, memoryGiB: 768, gpus: 8 },
  ],
  g6e: [
    { vcpu: 4, memoryGiB: 32, gpus: 1 },
    { vcpu: 8, memoryGiB: 64, gpus: 1 },
    { vcpu: 16, memoryGiB: 128, gpus: 1 },
    { vcpu: 32, memoryGiB: 256, gpus: 1 },
    { vcpu: 48, memoryGiB: 384, gpus: 4 },
    { vcpu: 64, memoryGiB: 512, gpus: 1 },
    { vcpu: 96, memoryGiB: 768, gpus: 4 },
    { vcpu: 192, memoryGiB: 1536, gpus: 8 },
  ],
  p3: [
    { vcpu: 8, memoryGiB: 61, gpus: 1 },
    { vcpu: 32, memoryGiB: 244, gpus: 4 },
    { vcpu: 64, memoryGiB: 488, gpus: 8 },
  ],
  p4d: [{ vcpu: 96, memoryGiB: 1152, gpus: 8 }],
  p5: [
    { vcpu: 16, memoryGiB: 256, gpus: 1 },
    { vcpu: 192, memoryGiB: 2048, gpus: 8 },
  ],
};

/**
 * What the ECS agent registers is less than an instance's memory (the kernel takes some, and the agent reserves
 * more); AWS Batch recommends leaving 5% to the agent and the system:
 * https://docs.aws.amazon.com/batch/latest/userguide/ecs-reserved-memory.html
 */
const SYSTEM_SHARE = 0.05;

/**
 * The memory (MiB) of a GPU job. The manifest holds memory normalized, so a definition that does not set memory
 * cannot be told from one that sets the default (256 MiB); both get what their instance can offer: the smallest
 * instance of the family with the job's GPUs and vCPUs, less 5%, and of an instance with more GPUs than the job
 * asks for, the share of its GPUs (so jobs can share it). For any model, the least of the families, so the job fits
 * on each. Memory set to anything else is kept.
 */
export function gpuJobMemoryMiB(compute: BatchCompute): number {
  if (compute.platform !== 'ec2' || compute.memoryMiB !== LIMITS.memoryMiB.default) return compute.memoryMiB;
  const gpus = compute.gpu?.count ?? 1;
  const offers = familiesOf(compute.gpu?.model ?? null).flatMap((family) => {
    const sizes = (GPU_INSTANCES[family] ?? []).filter((size) => size.gpus >= gpus && size.vcpu >= compute.vcpu);
    const smallest = sizes.sort((a, b) => a.memoryGiB - b.memoryGiB)[0];
    return smallest ? [Math.floor((smallest.memoryGiB * 1024 * (1 - SYSTEM_SHARE) * gpus) / smallest.gpus)] : [];
  });
  return offers.length > 0 ? Math.min(...offers) : compute.memoryMiB;
}
