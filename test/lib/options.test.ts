/**
 * Every option's valid and invalid forms, through the public definition calls. Invalid ones must name the
 * definition, the option, the value given and what is allowed.
 */
import { describe, expect, it } from 'vitest';
import * as mn from '../../lib/index.js';

const noop = async () => undefined;

function fnError(options: unknown): string {
  try {
    mn.fn(options as mn.FunctionOptions, noop);
  } catch (error) {
    expect(error).toBeInstanceOf(mn.DefinitionError);
    return (error as Error).message;
  }
  throw new Error(`expected fn(${JSON.stringify(options)}) to throw`);
}

describe('function options', () => {
  it('applies the defaults', () => {
    const f = mn.fn(noop);
    expect(f.options).toEqual({
      cpu: 0.1,
      memoryMiB: 256,
      timeoutSeconds: 900,
      maxRetries: 0,
      maxConcurrency: 10,
      gpu: null,
      compute: 'auto',
      image: null,
      secrets: [],
    });
    expect(f.placement).toBe('lambda');
  });

  it.each([
    [{ cpu: 0.1 }, { cpu: 0.1 }],
    [{ cpu: 16 }, { cpu: 16 }],
    [{ cpu: 2.5 }, { cpu: 2.5 }],
    [{ memory: '128 MiB' }, { memoryMiB: 128 }],
    [{ memory: '120 GiB' }, { memoryMiB: 122880 }],
    [{ memory: '512MiB' }, { memoryMiB: 512 }],
    [{ memory: '16 GB' }, { memoryMiB: 16384 }],
    [{ timeout: '90s' }, { timeoutSeconds: 90 }],
    [{ timeout: '30m' }, { timeoutSeconds: 1800 }],
    [{ timeout: '1h' }, { timeoutSeconds: 3600 }],
    [{ timeout: '1d' }, { timeoutSeconds: 86400 }],
    [{ timeout: { minutes: 30 } }, { timeoutSeconds: 1800 }],
    [{ timeout: '1.5s' }, { timeoutSeconds: 2 }],
    [{ maxRetries: 0 }, { maxRetries: 0 }],
    [{ maxRetries: 50 }, { maxRetries: 50 }],
    [{ maxConcurrency: 1 }, { maxConcurrency: 1 }],
    [{ maxConcurrency: 1000 }, { maxConcurrency: 1000 }],
    [{ gpu: 2 }, { gpu: { count: 2, model: null } }],
    [{ gpu: 'Tesla T4' }, { gpu: { count: 1, model: 'T4' } }],
    [{ gpu: 'a100' }, { gpu: { count: 1, model: 'A100' } }],
    [{ gpu: { count: 4, model: 'NVIDIA H100' } }, { gpu: { count: 4, model: 'H100' } }],
    [{ gpu: 0 }, { gpu: null }],
    [{ compute: 'batch' }, { compute: 'batch' }],
    [{ compute: 'lambda' }, { compute: 'lambda' }],
  ])('accepts %j', (options, expected) => {
    expect(mn.fn(options as mn.FunctionOptions, noop).options).toMatchObject(expected);
  });

  it.each([
    [{ cpu: 0 }, 'option "cpu" is 0; allowed: a number of vCPUs from 0.1 to 16.'],
    [{ cpu: 0.05 }, 'option "cpu" is 0.05; allowed: a number of vCPUs from 0.1 to 16.'],
    [{ cpu: 32 }, 'option "cpu" is 32; allowed: a number of vCPUs from 0.1 to 16.'],
    [{ cpu: '4' }, 'option "cpu" is "4"; allowed: a number of vCPUs from 0.1 to 16.'],
    [{ cpu: NaN }, 'option "cpu" is NaN; allowed'],
    [{ cpu: Infinity }, 'option "cpu" is Infinity; allowed'],
    [
      { memory: '64 MiB' },
      'option "memory" is "64 MiB"; allowed: a size such as "256 MiB", "16 GiB" or "512MiB" (units KiB, MiB, GiB; MB and GB are read as MiB and GiB), ' +
        'from 128 MiB to 120 GiB.',
    ],
    [{ memory: '121 GiB' }, 'option "memory" is "121 GiB"; allowed: a size such as'],
    [{ memory: '2 TB' }, '("TB" is not a memory unit; use KiB, MiB or GiB (or MB, GB))'],
    [{ memory: 2048 }, '(a bare number has no unit; write "2048 MiB" or "2048 GiB")'],
    [{ memory: 'big' }, 'option "memory" is "big"'],
    [{ timeout: '0s' }, 'option "timeout" is "0s"; allowed: a duration such as "90s", "30m", "1h", "1d", "1h30m" or { minutes: 30 }, from 1s to 1d.'],
    [{ timeout: '25h' }, 'option "timeout" is "25h"; allowed'],
    [{ timeout: 60 }, '(a bare number has no unit; write "90s", "30m", "1h" or { seconds: 90 })'],
    [{ timeout: '10 fortnights' }, '("fortnights" is not a unit; use s, m, h or d)'],
    [{ timeout: { weeks: 1 } }, '("weeks" is not a duration part; use days, hours, minutes or seconds)'],
    [{ maxRetries: -1 }, 'option "maxRetries" is -1; allowed: a whole number from 0 to 50.'],
    [{ maxRetries: 51 }, 'option "maxRetries" is 51; allowed: a whole number from 0 to 50.'],
    [{ maxRetries: 1.5 }, 'option "maxRetries" is 1.5; allowed: a whole number from 0 to 50.'],
    [{ maxConcurrency: 0 }, 'option "maxConcurrency" is 0; allowed: a whole number from 1 to 1000.'],
    [{ maxConcurrency: 1001 }, 'option "maxConcurrency" is 1001; allowed: a whole number from 1 to 1000.'],
    [
      { gpu: 9 },
      'option "gpu" is 9; allowed: a GPU count from 1 to 8, a model name (T4, A10G, L4, L40S, V100, A100, H100; "Tesla T4" and "NVIDIA A100" also ' +
        'work), or { count, model }.',
    ],
    [{ gpu: 'Voodoo2' }, 'option "gpu" is "Voodoo2"; allowed: a GPU count'],
    [{ gpu: { count: 2, brand: 'x' } }, 'option "gpu" is {"count":2,"brand":"x"}; allowed'],
    [{ gpu: -1 }, 'option "gpu" is -1; allowed'],
    [{ compute: 'fargate' }, 'option "compute" is "fargate"; allowed: "lambda" or "batch" (leave it out to let multinode choose).'],
    [{ name: 'has space' }, 'option "name" is "has space"; allowed: 1 to 64 characters from A-Z, a-z, 0-9, "_" and "-".'],
    [{ name: 'x'.repeat(65) }, 'option "name" is'],
    [{ name: '' }, 'option "name" is ""; allowed'],
    [
      { cpus: 2 },
      'unknown option "cpus" (did you mean "cpu"?); fn() accepts "name", "cpu", "memory", "timeout", "gpu", "compute", "image", "maxRetries", ' +
        '"maxConcurrency" or "secrets".',
    ],
    [{ max_retries: 2 }, 'unknown option "max_retries" (did you mean "maxRetries"?)'],
    [{ frobnicate: true }, 'unknown option "frobnicate"; fn() accepts'],
    [{ cpu: 8, compute: 'lambda' }, 'compute "lambda" was asked, but cpu 8 is over Lambda\'s 6 vCPUs. Leave out "compute" to run on AWS Batch.'],
    [{ timeout: '1h', compute: 'lambda' }, "timeout 1h is over Lambda's 15m"],
  ])('refuses %j', (options, message) => {
    expect(fnError(options)).toContain(message);
  });

  it.each([
    'node:22-slim',
    'node',
    'public.ecr.aws/docker/library/node:22-slim',
    'nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/gpu-node:2024.1',
    `123456789012.dkr.ecr.us-east-1.amazonaws.com/gpu@sha256:${'a'.repeat(64)}`,
    `ghcr.io/acme/worker:v1@sha256:${'0f'.repeat(32)}`,
    'localhost:5000/worker',
    'registry.example.com:8443/a__b/c-d.e:latest',
    './images/gpu',
    '../shared/image',
  ])('accepts the image %s and places the definition on Batch', (image) => {
    const f = mn.fn({ image }, noop);
    expect(f.options.image).toBe(image);
    expect(f.placement).toBe('batch');
    expect(f.compute).toMatchObject({ type: 'batch', platform: 'fargate', vcpu: 0.25, memoryMiB: 512 });
  });

  it('keeps a GPU definition with an image on EC2', () => {
    const f = mn.fn({ image: 'nvidia/cuda:12.6.3-runtime-ubuntu24.04', gpu: 'T4' }, noop);
    expect(f.compute).toMatchObject({ type: 'batch', platform: 'ec2' });
  });

  it.each([
    [{ image: '' }, 'option "image" is ""; allowed: an image reference', '(it is empty)'],
    [{ image: 'Node:22' }, 'option "image" is "Node:22"', '(repository names are lowercase ("Node"))'],
    [{ image: 'node:22 slim' }, 'option "image" is "node:22 slim"', '(it holds a space)'],
    [{ image: 'https://public.ecr.aws/node:22' }, 'option "image"', '(an image reference has no scheme (leave out "https://"))'],
    [{ image: 'node:-bad' }, 'option "image"', '(the tag "-bad" is not valid'],
    [{ image: 'node@sha256:abc' }, 'option "image"', 'the digest "sha256:abc" is not <algorithm>:<hex digits>'],
    [{ image: `node@sha256:${'a'.repeat(63)}0a` }, 'option "image"', '(a sha256 digest has 64 hex digits)'],
    [{ image: 'a//b' }, 'option "image"', 'empty path component'],
    [{ image: 'bad_host!/repo' }, 'option "image"', 'is not a valid repository name component'],
    [{ image: '/abs/folder' }, 'option "image"', 'a folder is written relative to the app\'s folder, starting with "./" or "../"'],
    [{ image: 42 }, 'option "image" is 42; allowed: an image reference', 'or a folder holding a Dockerfile'],
  ])('refuses the image in %j', (options, start, reason) => {
    const message = fnError(options);
    expect(message).toContain(start);
    expect(message).toContain(reason);
  });

  it('refuses an image on a definition that must run on Lambda, naming both', () => {
    expect(fnError({ image: 'node:22-slim', compute: 'lambda' })).toContain(
      'compute "lambda" was asked, but option "image" runs the definition on AWS Batch (Lambda runs the bundle on its own Node.js runtime, not on an image). ' +
        'Leave out "compute" to run on AWS Batch.',
    );
  });

  it('names the definition by its variable and call site while the module loads', () => {
    let message = '';
    try {
      // prettier-ignore
      const buildReport = mn.fn({ cpu: 64 }, noop);
      void buildReport;
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^fn "buildReport" at test\/lib\/options\.test\.ts:\d+:\d+: option "cpu" is 64; allowed/);
  });

  it('prefers the explicit name in messages', () => {
    expect(fnError({ name: 'reports', cpu: 99 })).toMatch(/^fn "reports" at test\/lib\/options\.test\.ts:\d+:\d+: /);
  });

  it('refuses options that are not an object and handlers that are not functions', () => {
    expect(() => mn.fn(42 as never, noop)).toThrow(/options must be an object such as \{ cpu: 2 \}, not number/);
    expect(() => mn.fn(null as never, noop)).toThrow(/options must be an object such as \{ cpu: 2 \}, not null/);
    expect(() => mn.fn([] as never, noop)).toThrow(/not an array/);
    expect(() => mn.fn({}, 'handler' as never)).toThrow(/expected a function as the handler, got string/);
  });
});

describe('job options', () => {
  it('accepts a lock and the function options', () => {
    const j = mn.job({ cpu: 2, lock: 'reindex', maxRetries: 1 }, async function* () {
      yield 1;
    });
    expect(j.options).toMatchObject({ cpu: 2, lock: 'reindex', maxRetries: 1, maxConcurrency: 10 });
    expect(j.placement).toBe('lambda');
  });

  it.each([
    [{ lock: 'a b' }, 'option "lock" is "a b"; allowed: 1 to 64 characters'],
    [{ locks: 'x' }, 'unknown option "locks" (did you mean "lock"?)'],
    [{ cpu: 17 }, 'option "cpu" is 17'],
  ])('refuses %j', (options, message) => {
    expect(() => mn.job(options as mn.JobOptions, async function* () {})).toThrow(message);
  });
});

describe('schedule options', () => {
  it('accepts compute options and places heavy tasks on Batch', () => {
    const s = mn.schedule({ cron: '0 23 * * 1-5', cpu: 16 }, noop);
    expect(s.placement).toBe('batch');
    expect(s.compute).toMatchObject({ type: 'batch', platform: 'fargate', vcpu: 16, memoryMiB: 32768 });
    expect(mn.scheduledTask({ interval: '1d' }, noop).placement).toBe('lambda');
  });

  it.each([
    [{ period: '1d' }, 'unknown option "period" (did you mean "interval"?)'],
    [{ cron: '0 0 * * *', maxConcurrency: 2 }, 'unknown option "maxConcurrency"'],
    [{ cron: '0 0 * * *', memory: '1 TiB' }, 'option "memory" is "1 TiB"'],
    [{ cron: '0 0 * * *', image: 'UPPER' }, 'option "image" is "UPPER"'],
  ])('refuses %j', (options, message) => {
    expect(() => mn.schedule(options as mn.ScheduleOptions, noop)).toThrow(message);
  });
});

describe('service options', () => {
  const handler = () => new Response('ok');

  it('defaults to 29 s, no auth, on Lambda', () => {
    const s = mn.service({}, handler);
    expect(s.options).toEqual({ cpu: 0.1, memoryMiB: 256, timeoutSeconds: 29, auth: 'none', secrets: [] });
    expect(s.placement).toBe('lambda');
  });

  it('accepts a Hono-like app object and the auth forms', () => {
    expect(mn.service({ auth: 'iam' }, { fetch: handler }).options.auth).toBe('iam');
    const jwt = { jwt: { issuer: 'https://issuer.example.com', audience: ['api'] } };
    expect(mn.service({ auth: jwt }, handler).options.auth).toEqual(jwt);
  });

  it.each([
    [{ timeout: '30s' }, 'option "timeout" is "30s"; allowed: a duration such as "90s", "30m", "1h", "1d", "1h30m" or { minutes: 30 }, from 1s to 29s.'],
    [{ cpu: 8 }, "services run on Lambda, but cpu 8 is over Lambda's 6 vCPUs."],
    [{ memory: '16 GiB' }, "services run on Lambda, but memory 16 GiB is over Lambda's 10 GiB."],
    [{ auth: 'basic' }, 'option "auth" is "basic"; allowed: "none", "iam" or { jwt: { issuer: "https://...", audience: ["..."] } }.'],
    [{ auth: { jwt: { issuer: 'http://insecure', audience: ['a'] } } }, 'option "auth" is'],
    [{ auth: { jwt: { issuer: 'https://x', audience: [] } } }, 'option "auth" is'],
    [{ port: 80 }, 'unknown option "port"; service() accepts "name", "cpu", "memory", "timeout", "auth" or "secrets".'],
    [{ compute: 'batch' }, 'unknown option "compute"'],
    [{ image: 'node:22-slim' }, 'services run on Lambda, on its Node.js runtime: option "image" is for functions, jobs and scheduled tasks (on AWS Batch).'],
  ])('refuses %j', (options, message) => {
    expect(() => mn.service(options as mn.ServiceOptions, handler)).toThrow(message);
  });

  it('refuses a handler that is not a fetch handler', () => {
    expect(() => mn.service({}, {} as never)).toThrow(/expected a fetch handler/);
  });
});

describe('dict and lock names', () => {
  it('accepts valid names', () => {
    expect(mn.dict('tweet_summaries').name).toBe('tweet_summaries');
    expect(mn.lock('re-index').name).toBe('re-index');
  });

  it.each([[''], ['has space'], ['x'.repeat(65)], ['dots.are.out'], [42]])('refuses the dict name %j', (name) => {
    expect(() => mn.dict(name as string)).toThrow(/a dict name is 1 to 64 characters from A-Z, a-z, 0-9, "_" and "-"/);
  });

  it('refuses lock names and dict options it does not know', () => {
    expect(() => mn.lock('a/b')).toThrow(/the lock name "a\/b" is not valid; a lock name is 1 to 64 characters/);
    expect(() => mn.dict('x', { ttl: '1d' } as never)).toThrow(/unknown option "ttl"; dict\(\) takes no options\./);
  });
});
