/**
 * The model of secrets and config settings: declaring them (names checked like every option), the `secrets` option of
 * every kind that runs code, and the manifest listing them, never with a value.
 */
import { describe, expect, it } from 'vitest';
import * as mn from '../../lib/index.js';
import { resolveApp } from '../../lib/app.js';
import { buildManifest, formatManifestTable } from '../../lib/manifest.js';
import { DefinitionError, RuntimeNotInstalledError } from '../../lib/errors.js';

const noop = async () => undefined;

describe('secret(name) and config(name)', () => {
  it.each(['OPENAI_API_KEY', '_private', 'a', `K${'x'.repeat(127)}`])('accepts the name %j', (name) => {
    expect(mn.secret(name).name).toBe(name);
  });

  it.each([['1KEY'], ['with-dash'], ['with space'], [''], [`K${'x'.repeat(128)}`], [42], [undefined]])('refuses the name %j, naming the rule', (name) => {
    expect(() => mn.secret(name as string)).toThrow(DefinitionError);
    expect(() => mn.secret(name as string)).toThrow(
      /^secret\(\) at test\/settings\/model\.test\.ts:\d+:\d+: the name .* is not valid; a secret name is 1 to 128/,
    );
    expect(() => mn.config(name as string)).toThrow(/^config\(\) at .*: the name .* is not valid; a config name is 1 to 128 characters/);
  });

  it('gives the same secret for the same name (declared in two modules), and refuses a name that is already a config setting', () => {
    expect(mn.secret('SHARED_KEY')).toBe(mn.secret('SHARED_KEY'));
    mn.config('TAKEN_NAME', { default: 'x' });
    expect(() => mn.secret('TAKEN_NAME')).toThrow(/"TAKEN_NAME" is already declared as a config at test\/settings\/model\.test\.ts:\d+:\d+/);
    expect(() => mn.config('SHARED_KEY')).toThrow(/"SHARED_KEY" is already declared as a secret/);
  });

  it('checks config options: only a string default', () => {
    expect(mn.config('MODEL_NAME', { default: 'small' }).defaultValue).toBe('small');
    expect(mn.config('MODEL_NAME', { default: 'small' })).toBe(mn.config('MODEL_NAME', { default: 'small' }));
    expect(() => mn.config('MODEL_NAME', { default: 'large' })).toThrow(
      /already declared at .* with the default "small"; declare it once, or with the same default/,
    );
    expect(() => mn.config('RETRIES', { default: 3 as unknown as string })).toThrow(/option "default" is 3; allowed: a string/);
    expect(() => mn.config('RETRIES', { defualt: '3' } as never)).toThrow(/unknown option "defualt"; config\(\) accepts "default"/);
    expect(() => mn.config('RETRIES', 'x' as never)).toThrow(/options must be an object such as \{ default: "small" \}/);
  });

  it('needs the runtime to read a value', async () => {
    await expect(mn.secret('NO_RUNTIME').value()).rejects.toThrow(RuntimeNotInstalledError);
    expect(() => mn.config('NO_RUNTIME_CONFIG', { default: 'x' }).value()).toThrow(/config "NO_RUNTIME_CONFIG"\.value\(\) needs the multinode runtime/);
  });
});

describe('the secrets option', () => {
  const key = mn.secret('OPTION_KEY');
  const other = mn.secret('OTHER_OPTION_KEY');

  it('is taken by functions, jobs, scheduled tasks and services, as names without repeats', () => {
    expect(mn.fn({ secrets: [key, other, key] }, noop).options.secrets).toEqual(['OPTION_KEY', 'OTHER_OPTION_KEY']);
    expect(mn.job({ secrets: [key] }, async function* () {}).options.secrets).toEqual(['OPTION_KEY']);
    expect(mn.schedule({ cron: '0 1 * * *', secrets: [other] }, noop).options.secrets).toEqual(['OTHER_OPTION_KEY']);
    expect(mn.service({ secrets: [key] }, () => new Response('')).options.secrets).toEqual(['OPTION_KEY']);
    expect(mn.fn(noop).options.secrets).toEqual([]);
  });

  it.each([
    ['a string', 'OPTION_KEY', /option "secrets" is "OPTION_KEY"; allowed: an array of secrets declared with secret\(name\)/],
    ['a name in the array', ['OPTION_KEY'], /the string "OPTION_KEY" names no secret object: pass the value secret\("OPTION_KEY"\) returned/],
    ['another object', [{ name: 'OPTION_KEY' }], /option "secrets" is \[\{"name":"OPTION_KEY"\}\]; allowed: an array of secrets/],
  ])('refuses %s', (_what, value, message) => {
    expect(() => mn.fn({ secrets: value as never }, noop)).toThrow(message);
    expect(() => mn.service({ secrets: value as never }, () => new Response(''))).toThrow(message);
  });

  it('is not an option of dicts', () => {
    expect(() => mn.dict('store', { secrets: [key] } as never)).toThrow(/unknown option "secrets"; dict\(\) takes no options/);
  });
});

describe('the manifest', () => {
  it('lists the declared secrets and config settings (with defaults, never values) and each definition its secrets', () => {
    const apiKey = mn.secret('MANIFEST_KEY');
    const model = mn.config('MANIFEST_MODEL', { default: 'small' });
    const region = mn.config('MANIFEST_REGION');
    const reader = mn.fn({ secrets: [apiKey] }, noop);
    void model;
    void region;
    const manifest = buildManifest(resolveApp({ reader }, [reader]), 'demo');
    expect(manifest.secrets).toContainEqual({ name: 'MANIFEST_KEY' });
    expect(manifest.config).toContainEqual({ name: 'MANIFEST_MODEL', default: 'small' });
    expect(manifest.config).toContainEqual({ name: 'MANIFEST_REGION', default: null });
    expect(manifest.definitions[0]!.kind === 'function' && manifest.definitions[0]!.options.secrets).toEqual(['MANIFEST_KEY']);
    const table = formatManifestTable(manifest);
    expect(table).toMatch(/reader\s+function\s+lambda\s+.*secrets MANIFEST_KEY/);
    expect(table).toMatch(/Secrets: .*MANIFEST_KEY/);
    expect(table).toMatch(/Config: .*MANIFEST_MODEL \(default "small"\).*MANIFEST_REGION/);
  });
});
