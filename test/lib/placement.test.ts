import { describe, expect, it } from 'vitest';
import { FARGATE_SIZES, fargateSize, lambdaMemoryMB, place, type ResourceRequest } from '../../lib/placement.js';

const base: ResourceRequest = { cpu: 0.1, memoryMiB: 256, timeoutSeconds: 900, gpu: null, compute: 'auto', image: null };
const fail = (message: string): never => {
  throw new Error(message);
};

describe('placement', () => {
  it('puts the defaults on Lambda with 256 MB', () => {
    expect(place(base, fail)).toEqual({ placement: 'lambda', compute: { type: 'lambda', memoryMB: 256, timeoutSeconds: 900 } });
  });

  it('sizes Lambda memory by cpu: max(memory, cpu x 1769 MB), rounded up, at most 10,240', () => {
    expect(lambdaMemoryMB(1, 256)).toBe(1769);
    expect(lambdaMemoryMB(0.5, 256)).toBe(885);
    expect(lambdaMemoryMB(2, 8192)).toBe(8192);
    expect(lambdaMemoryMB(6, 128)).toBe(10240);
    expect(lambdaMemoryMB(0.01, 128)).toBe(128);
  });

  it.each([
    ['cpu 6 fits', { cpu: 6 }, 'lambda'],
    ['cpu 6.01 does not', { cpu: 6.01 }, 'batch'],
    ['10 GiB fits', { memoryMiB: 10240 }, 'lambda'],
    ['10 GiB + 1 MiB does not', { memoryMiB: 10241 }, 'batch'],
    ['15 min fits', { timeoutSeconds: 900 }, 'lambda'],
    ['15 min + 1 s does not', { timeoutSeconds: 901 }, 'batch'],
    ['a GPU does not', { gpu: { count: 1, model: null } }, 'batch'],
  ] as const)('boundary: %s', (_, change, expected) => {
    expect(place({ ...base, ...change }, fail).placement).toBe(expected);
  });

  it('chooses the smallest Fargate pair at or above the request', () => {
    expect(fargateSize(16, 256)).toEqual({ vcpu: 16, memoryMiB: 32768 });
    expect(fargateSize(16, 33000)).toEqual({ vcpu: 16, memoryMiB: 40960 });
    expect(fargateSize(16, 122880)).toEqual({ vcpu: 16, memoryMiB: 122880 });
    expect(fargateSize(0.1, 256)).toEqual({ vcpu: 0.25, memoryMiB: 512 });
    expect(fargateSize(0.25, 3000)).toEqual({ vcpu: 0.5, memoryMiB: 3072 });
    expect(fargateSize(7, 16384)).toEqual({ vcpu: 8, memoryMiB: 16384 });
    expect(fargateSize(4, 40000)).toEqual({ vcpu: 8, memoryMiB: 40960 });
    expect(fargateSize(3, 100)).toEqual({ vcpu: 4, memoryMiB: 8192 });
  });

  it('every Fargate choice is a valid pair', () => {
    for (let cpu = 0.1; cpu <= 16; cpu += 0.37) {
      for (const memory of [128, 1000, 5000, 20000, 60000, 100000, 122880]) {
        const size = fargateSize(cpu, memory);
        expect(size).toBeDefined();
        const row = FARGATE_SIZES.find((s) => s.vcpu === size!.vcpu)!;
        expect(row.memoryMiB).toContain(size!.memoryMiB);
        expect(size!.vcpu).toBeGreaterThanOrEqual(cpu);
        expect(size!.memoryMiB).toBeGreaterThanOrEqual(memory);
      }
    }
  });

  it('puts GPU requests on EC2 with whole vCPUs', () => {
    expect(place({ ...base, cpu: 2.5, gpu: { count: 1, model: 'T4' } }, fail).compute).toEqual({
      type: 'batch',
      platform: 'ec2',
      vcpu: 3,
      memoryMiB: 256,
      gpu: { count: 1, model: 'T4' },
      timeoutSeconds: 900,
    });
  });

  it('honours an explicit choice', () => {
    expect(place({ ...base, compute: 'batch' }, fail).compute).toMatchObject({ type: 'batch', platform: 'fargate', vcpu: 0.25, memoryMiB: 512 });
    expect(place({ ...base, compute: 'lambda', cpu: 6, memoryMiB: 10240 }, fail).placement).toBe('lambda');
  });

  it('refuses an impossible Lambda override, saying every reason', () => {
    expect(() => place({ ...base, compute: 'lambda', cpu: 8, memoryMiB: 16384, timeoutSeconds: 1800, gpu: { count: 1, model: null } }, fail)).toThrow(
      new RegExp(
        'compute "lambda" was asked, but cpu 8 is over Lambda\'s 6 vCPUs; memory 16 GiB is over Lambda\'s 10 GiB; ' +
          "timeout 30m is over Lambda's 15m; Lambda has no GPUs",
      ),
    );
  });

  it('keeps services on Lambda', () => {
    expect(() => place({ ...base, cpu: 8 }, fail, { allowBatch: false })).toThrow(/services run on Lambda, but cpu 8 is over/);
    expect(() => place({ ...base, compute: 'batch' }, fail, { allowBatch: false })).toThrow(/not available for services/);
  });
});
