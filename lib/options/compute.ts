import type { DurationInput } from '../units/duration.js';
import { type Compute, type LambdaCompute, place, type Placement, type ResourceRequest } from '../placement.js';
import { parseSecrets } from '../settings/option.js';
import type { OptionContext } from './context.js';
import { parseImage } from './image.js';
import { type ComputeChoice, type GpuRequest, LIMITS, parseCompute, parseCpu, parseGpu, parseInteger, parseMemory, parseTimeout } from './fields.js';

/** Resource options shared by functions, jobs and scheduled tasks. */
export interface ComputeOptions {
  /** vCPUs, 0.1 to 16 (default 0.1). On Lambda, CPU comes with memory: the function gets max(memory, cpu x 1,769 MB). */
  cpu?: number;
  /** Memory, `"128 MiB"` to `"120 GiB"` (default `"256 MiB"`). */
  memory?: string;
  /** Longest a run may take, counted from its creation (queueing included): `"90s"`, `"30m"`, `"1h"`; default 15m, at most 24h. */
  timeout?: DurationInput;
  /** GPUs: a count, a model name (`"T4"`, `"A10G"`, `"A100"`, ...) or `{ count, model }`. Runs on AWS Batch EC2. */
  gpu?: number | string | { count?: number; model?: string };
  /** Force where it runs. Default: Lambda when the request fits (<= 6 vCPU, <= 10 GiB, <= 15 min, no GPU, no image), else Batch. */
  compute?: 'lambda' | 'batch';
  /**
   * The container image to run on, which places the definition on AWS Batch: an image reference (`"node:22-slim"`,
   * an Amazon ECR URI, optionally `@sha256:<digest>`) or a folder with a Dockerfile relative to the app's folder
   * (`"./images/gpu"`, built by the CDK at deploy, which needs Docker). It needs `node` 20 or newer on its PATH.
   * Default: the public Node.js image. Locally, the definition runs with this machine's `node`.
   */
  image?: string;
}

export const COMPUTE_KEYS = ['cpu', 'memory', 'timeout', 'gpu', 'compute', 'image'] as const;

export function parseComputeOptions(
  ctx: OptionContext,
  raw: Record<string, unknown>,
  timeoutLimits: { min: number; max: number; default: number } = LIMITS.timeoutSeconds,
): ResourceRequest {
  return {
    cpu: ctx.check(() => parseCpu(ctx, raw.cpu), LIMITS.cpu.default),
    memoryMiB: ctx.check(() => parseMemory(ctx, raw.memory), LIMITS.memoryMiB.default),
    timeoutSeconds: ctx.check(() => parseTimeout(ctx, raw.timeout, timeoutLimits), timeoutLimits.default),
    gpu: ctx.check(() => parseGpu(ctx, raw.gpu), null),
    compute: ctx.check(() => parseCompute(ctx, raw.compute), 'auto'),
    image: ctx.check(() => parseImage(ctx, raw.image), null),
  };
}

/** Normalized settings shared by everything that runs code on a schedule or a call (functions, jobs, tasks). */
export interface RunnableSettings {
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  readonly maxRetries: number;
  readonly gpu: GpuRequest | null;
  readonly compute: ComputeChoice;
  /** The `image` option (a reference or a folder), or null for the public Node.js image. */
  readonly image: string | null;
  /** Names of the secrets the handler may read (the `secrets` option). */
  readonly secrets: readonly string[];
}

/** Compute options, `maxRetries` and `secrets`, normalized and placed. */
export function parseRunnable(ctx: OptionContext, raw: Record<string, unknown>): { settings: RunnableSettings; placement: Placement; compute: Compute } {
  const request = parseComputeOptions(ctx, raw);
  const settings: RunnableSettings = {
    cpu: request.cpu,
    memoryMiB: request.memoryMiB,
    timeoutSeconds: request.timeoutSeconds,
    maxRetries: ctx.check(() => parseInteger(ctx, 'maxRetries', raw.maxRetries, LIMITS.maxRetries), LIMITS.maxRetries.default),
    gpu: request.gpu,
    compute: request.compute,
    image: request.image,
    secrets: parseSecrets(ctx, raw.secrets),
  };
  return { settings, ...ctx.check(() => place(request, (message) => ctx.fail(message)), fallbackPlacement(request)) };
}

/** Stands in for a placement that failed while problems are collected (the app will not run). */
export function fallbackPlacement(request: ResourceRequest): { placement: 'lambda'; compute: LambdaCompute } {
  return { placement: 'lambda', compute: { type: 'lambda', memoryMB: LIMITS.memoryMiB.default, timeoutSeconds: Math.min(request.timeoutSeconds, 900) } };
}
