/**
 * Placement: where a definition runs. Decided once, from normalized options, and recorded in the manifest.
 *
 * - `lambda` when the request fits Lambda: cpu <= 6, memory <= 10 GiB, timeout <= 15 min, no GPU, no image. Lambda sizes CPU
 *   by memory (1,769 MB buys one vCPU, 10,240 MB buys six), so the function gets max(memory, cpu x 1,769) MB.
 * - `batch` otherwise: on Fargate with the smallest valid vCPU/memory pair at or above the request, or on EC2 when a
 *   GPU is asked (Fargate has no GPUs).
 * An explicit `compute` choice overrides; asking for Lambda when the request cannot fit is an error.
 */
import { formatSeconds } from './units/duration.js';
import { formatMiB } from './units/memory.js';
import type { ComputeChoice, GpuRequest } from './options/fields.js';

export type Placement = 'lambda' | 'batch';

export const LAMBDA_LIMITS = {
  maxCpu: 6,
  maxMemoryMB: 10240,
  minMemoryMB: 128,
  maxTimeoutSeconds: 900,
  /** "At 1,769 MB, a function has the equivalent of one vCPU." */
  memoryMBPerVcpu: 1769,
} as const;

/** Valid Fargate vCPU -> memory (MiB) combinations, smallest first. */
export const FARGATE_SIZES: ReadonlyArray<{ vcpu: number; memoryMiB: readonly number[] }> = [
  { vcpu: 0.25, memoryMiB: [512, 1024, 2048] },
  { vcpu: 0.5, memoryMiB: steps(1024, 4096, 1024) },
  { vcpu: 1, memoryMiB: steps(2048, 8192, 1024) },
  { vcpu: 2, memoryMiB: steps(4096, 16384, 1024) },
  { vcpu: 4, memoryMiB: steps(8192, 30720, 1024) },
  { vcpu: 8, memoryMiB: steps(16384, 61440, 4096) },
  { vcpu: 16, memoryMiB: steps(32768, 122880, 8192) },
];

function steps(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
}

export interface ResourceRequest {
  cpu: number;
  memoryMiB: number;
  timeoutSeconds: number;
  gpu: GpuRequest | null;
  compute: ComputeChoice;
  /** The `image` option: a container image runs on AWS Batch only. */
  image: string | null;
}

export interface LambdaCompute {
  readonly type: 'lambda';
  /** Lambda memory setting in MB: max(memory, cpu x 1769), at most 10,240. */
  readonly memoryMB: number;
  readonly timeoutSeconds: number;
}

export interface BatchCompute {
  readonly type: 'batch';
  readonly platform: 'fargate' | 'ec2';
  readonly vcpu: number;
  readonly memoryMiB: number;
  readonly gpu: GpuRequest | null;
  readonly timeoutSeconds: number;
}

export type Compute = LambdaCompute | BatchCompute;

/** Why a request cannot run on Lambda; empty when it fits. */
export function lambdaMisfits(request: ResourceRequest): string[] {
  const reasons: string[] = [];
  if (request.cpu > LAMBDA_LIMITS.maxCpu) reasons.push(`cpu ${request.cpu} is over Lambda's ${LAMBDA_LIMITS.maxCpu} vCPUs`);
  if (request.memoryMiB > LAMBDA_LIMITS.maxMemoryMB) {
    reasons.push(`memory ${formatMiB(request.memoryMiB)} is over Lambda's ${formatMiB(LAMBDA_LIMITS.maxMemoryMB)}`);
  }
  if (request.timeoutSeconds > LAMBDA_LIMITS.maxTimeoutSeconds) {
    reasons.push(`timeout ${formatSeconds(request.timeoutSeconds)} is over Lambda's 15m`);
  }
  if (request.gpu) reasons.push('Lambda has no GPUs');
  if (request.image) reasons.push(`option "image" runs the definition on AWS Batch (Lambda runs the bundle on its own Node.js runtime, not on an image)`);
  return reasons;
}

export function lambdaMemoryMB(cpu: number, memoryMiB: number): number {
  const forCpu = Math.ceil(cpu * LAMBDA_LIMITS.memoryMBPerVcpu);
  return Math.min(LAMBDA_LIMITS.maxMemoryMB, Math.max(LAMBDA_LIMITS.minMemoryMB, memoryMiB, forCpu));
}

/** The smallest Fargate pair with at least `cpu` vCPUs and `memoryMiB`; undefined when none is big enough. */
export function fargateSize(cpu: number, memoryMiB: number): { vcpu: number; memoryMiB: number } | undefined {
  for (const size of FARGATE_SIZES) {
    if (size.vcpu < cpu) continue;
    const memory = size.memoryMiB.find((m) => m >= memoryMiB);
    if (memory !== undefined) return { vcpu: size.vcpu, memoryMiB: memory };
  }
  return undefined;
}

/**
 * Places a request. Throws (through `fail`) when an explicit choice is impossible; the message says why.
 * `allowBatch: false` is for services, which API Gateway can only reach on Lambda.
 */
export function place(
  request: ResourceRequest,
  fail: (message: string) => never,
  { allowBatch = true }: { allowBatch?: boolean } = {},
): { placement: Placement; compute: Compute } {
  const misfits = lambdaMisfits(request);
  const wantsLambda = request.compute === 'lambda' || (request.compute === 'auto' && (misfits.length === 0 || !allowBatch));
  if (wantsLambda) {
    if (misfits.length > 0) {
      const why = allowBatch ? 'compute "lambda" was asked, but' : 'services run on Lambda, but';
      fail(`${why} ${misfits.join('; ')}.${allowBatch ? ' Leave out "compute" to run on AWS Batch.' : ''}`);
    }
    return {
      placement: 'lambda',
      compute: { type: 'lambda', memoryMB: lambdaMemoryMB(request.cpu, request.memoryMiB), timeoutSeconds: request.timeoutSeconds },
    };
  }
  if (!allowBatch) fail('services run on Lambda; compute "batch" is not available for services.');
  if (request.gpu) {
    // EC2 instances come in whole vCPUs; Batch wants an integer VCPU for EC2 jobs.
    return {
      placement: 'batch',
      compute: {
        type: 'batch',
        platform: 'ec2',
        vcpu: Math.ceil(request.cpu),
        memoryMiB: request.memoryMiB,
        gpu: request.gpu,
        timeoutSeconds: request.timeoutSeconds,
      },
    };
  }
  const size = fargateSize(request.cpu, request.memoryMiB);
  if (!size) {
    fail(`no Fargate size has ${request.cpu} vCPUs and ${formatMiB(request.memoryMiB)}; the largest is 16 vCPUs with 120 GiB.`);
  }
  return {
    placement: 'batch',
    compute: { type: 'batch', platform: 'fargate', ...size, gpu: null, timeoutSeconds: request.timeoutSeconds },
  };
}

/** `lambda 1769 MB, 15m` / `batch fargate 16 vCPU, 32 GiB, 1d` */
export function describeCompute(compute: Compute | null): string {
  if (!compute) return '-';
  if (compute.type === 'lambda') return `Lambda ${compute.memoryMB} MB, timeout ${formatSeconds(compute.timeoutSeconds)}`;
  const gpu = compute.gpu ? `, ${compute.gpu.count} x ${compute.gpu.model ?? 'any'} GPU` : '';
  return (
    `Batch ${compute.platform === 'fargate' ? 'Fargate' : 'EC2'} ${compute.vcpu} vCPU, ${formatMiB(compute.memoryMiB)}${gpu}, timeout ` +
    `${formatSeconds(compute.timeoutSeconds)}`
  );
}
