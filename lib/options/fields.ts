/**
 * One parser per option. Each returns the normalized value or throws through the context with the option name,
 * the value given and what is allowed.
 */
import { DURATION_FORMS, formatSeconds, parseDurationSeconds } from '../units/duration.js';
import { formatMiB, MEMORY_FORMS, parseMemoryMiB } from '../units/memory.js';
import type { OptionContext } from './context.js';

export const LIMITS = {
  cpu: { min: 0.1, max: 16, default: 0.1 },
  memoryMiB: { min: 128, max: 120 * 1024, default: 256 },
  timeoutSeconds: { min: 1, max: 24 * 3600, default: 15 * 60 },
  maxRetries: { min: 0, max: 50, default: 0 },
  maxConcurrency: { min: 1, max: 1000, default: 10 },
  gpuCount: { min: 1, max: 8 },
} as const;

/** Names of definitions and dicts: what CloudFormation, Lambda and Batch accept everywhere we use them. */
export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const NAME_RULE = '1 to 64 characters from A-Z, a-z, 0-9, "_" and "-"';

export function parseName(ctx: OptionContext, option: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) ctx.invalid(option, value, NAME_RULE);
  return value;
}

export function parseCpu(ctx: OptionContext, value: unknown): number {
  if (value === undefined) return LIMITS.cpu.default;
  const { min, max } = LIMITS.cpu;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    ctx.invalid('cpu', value, `a number of vCPUs from ${min} to ${max}`);
  }
  return value;
}

export function parseMemory(ctx: OptionContext, value: unknown): number {
  if (value === undefined) return LIMITS.memoryMiB.default;
  const parsed = parseMemoryMiB(value);
  const range = `${MEMORY_FORMS}, from ${formatMiB(LIMITS.memoryMiB.min)} to ${formatMiB(LIMITS.memoryMiB.max)}`;
  if ('problem' in parsed) ctx.invalid('memory', value, `${range} (${parsed.problem})`);
  if (parsed.mib < LIMITS.memoryMiB.min || parsed.mib > LIMITS.memoryMiB.max) ctx.invalid('memory', value, range);
  return parsed.mib;
}

/** Any duration option (`timeout`, ...): whole seconds within [min, max]. */
export function parseDuration(ctx: OptionContext, option: string, value: unknown, limits: { min: number; max: number }): number {
  const range = `${DURATION_FORMS}, from ${formatSeconds(limits.min)} to ${formatSeconds(limits.max)}`;
  const parsed = parseDurationSeconds(value);
  if ('problem' in parsed) ctx.invalid(option, value, `${range} (${parsed.problem})`);
  const seconds = Math.ceil(parsed.seconds);
  if (seconds < limits.min || seconds > limits.max) ctx.invalid(option, value, range);
  return seconds;
}

export function parseTimeout(ctx: OptionContext, value: unknown, limits: { min: number; max: number; default: number }): number {
  return value === undefined ? limits.default : parseDuration(ctx, 'timeout', value, limits);
}

export function parseInteger(ctx: OptionContext, option: string, value: unknown, limits: { min: number; max: number; default: number }): number {
  if (value === undefined) return limits.default;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < limits.min || value > limits.max) {
    ctx.invalid(option, value, `a whole number from ${limits.min} to ${limits.max}`);
  }
  return value;
}

/** GPU models multinode can place, with the EC2 instance family that carries them (for the Batch EC2 environment). */
export const GPU_MODELS = {
  T4: 'g4dn',
  A10G: 'g5',
  L4: 'g6',
  L40S: 'g6e',
  V100: 'p3',
  A100: 'p4d',
  H100: 'p5',
} as const;
export type GpuModel = keyof typeof GPU_MODELS;

export interface GpuRequest {
  count: number;
  /** null: any GPU instance. */
  model: GpuModel | null;
}

const GPU_FORMS =
  `a GPU count from ${LIMITS.gpuCount.min} to ${LIMITS.gpuCount.max}, a model name ` +
  `(${Object.keys(GPU_MODELS).join(', ')}; "Tesla T4" and "NVIDIA A100" also work), or { count, model }`;

function parseGpuModel(ctx: OptionContext, value: unknown): GpuModel {
  const key =
    typeof value === 'string'
      ? value
          .trim()
          .toUpperCase()
          .replace(/^(NVIDIA|TESLA)\s+/, '')
          .replace(/^TESLA\s+/, '')
      : '';
  if (!(key in GPU_MODELS)) ctx.invalid('gpu', value, GPU_FORMS);
  return key as GpuModel;
}

export function parseGpu(ctx: OptionContext, value: unknown): GpuRequest | null {
  if (value === undefined || value === null || value === 0) return null;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < LIMITS.gpuCount.min || value > LIMITS.gpuCount.max) ctx.invalid('gpu', value, GPU_FORMS);
    return { count: value, model: null };
  }
  if (typeof value === 'string') return { count: 1, model: parseGpuModel(ctx, value) };
  if (typeof value === 'object' && !Array.isArray(value)) {
    const { count = 1, model, ...rest } = value as { count?: unknown; model?: unknown };
    if (Object.keys(rest).length > 0) ctx.invalid('gpu', value, GPU_FORMS);
    if (typeof count !== 'number' || !Number.isInteger(count) || count < LIMITS.gpuCount.min || count > LIMITS.gpuCount.max) {
      ctx.invalid('gpu', value, GPU_FORMS);
    }
    return { count, model: model === undefined ? null : parseGpuModel(ctx, model) };
  }
  return ctx.invalid('gpu', value, GPU_FORMS);
}

export type ComputeChoice = 'auto' | 'lambda' | 'batch';

export function parseCompute(ctx: OptionContext, value: unknown): ComputeChoice {
  if (value === undefined) return 'auto';
  if (value !== 'lambda' && value !== 'batch') ctx.invalid('compute', value, '"lambda" or "batch" (leave it out to let multinode choose)');
  return value;
}
