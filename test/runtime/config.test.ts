/** The runtime's environment contract: reading it, checking it, and its size against Lambda's 4 KB limit. */
import { describe, expect, it } from 'vitest';
import { resourceNames } from '../../lib/naming.js';
import {
  checkConfig,
  configFromEnv,
  ENV,
  environmentBytes,
  environmentFor,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  RuntimeConfigError,
} from '../../runtime/core/config.js';

describe('runtime configuration', () => {
  it('reads the four variables', () => {
    expect(configFromEnv({ MULTINODE_APP: 'shop', MULTINODE_PREFIX: 'shop-prod', MULTINODE_BUCKET: 'shop-prod-payloads', AWS_REGION: 'eu-west-1' })).toEqual({
      app: 'shop',
      prefix: 'shop-prod',
      bucket: 'shop-prod-payloads',
      region: 'eu-west-1',
    });
  });

  it('names every missing variable', () => {
    expect(() => configFromEnv({ MULTINODE_APP: 'shop' })).toThrow(RuntimeConfigError);
    expect(() => configFromEnv({ MULTINODE_APP: 'shop' })).toThrow(/needs the environment variables MULTINODE_PREFIX, MULTINODE_BUCKET, AWS_REGION/);
  });

  it('names every invalid field', () => {
    expect(() => checkConfig({ app: 'a', prefix: '9lives', bucket: 'Bad_Bucket', region: 'moon', endpoints: { lambda: 'localhost:80' } })).toThrow(
      new RegExp(
        'prefix "9lives" .*; bucket "Bad_Bucket" is not a valid S3 bucket name; ' +
          'region "moon" is not an AWS region name .*; endpoint of lambda "localhost:80" is not a URL',
      ),
    );
  });

  it('gives child processes the variables, endpoints and credentials', () => {
    const env = environmentFor({
      app: 'a',
      prefix: 'a',
      bucket: 'a-payloads',
      region: 'us-east-1',
      endpoints: { dynamodb: 'http://127.0.0.1:1', lambda: 'http://127.0.0.1:2' },
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    });
    expect(env).toEqual({
      MULTINODE_APP: 'a',
      MULTINODE_PREFIX: 'a',
      MULTINODE_BUCKET: 'a-payloads',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
      AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:2',
      AWS_ACCESS_KEY_ID: 'k',
      AWS_SECRET_ACCESS_KEY: 's',
    });
  });

  it("stays far under Lambda's 4 KB for an app of 100 definitions and 50 dicts", () => {
    // Names derive from the prefix, so the environment does not grow with the app: prove it with the largest values.
    const prefix = `a${'b'.repeat(31)}`;
    const config = { app: 'x'.repeat(64), prefix, bucket: `${prefix}-payloads`.toLowerCase(), region: 'ap-southeast-2' };
    const env = environmentFor(config);
    expect(Object.keys(env).sort()).toEqual([ENV.region, ENV.app, ENV.bucket, ENV.prefix].sort());
    const bytes = environmentBytes({ ...env, NODE_OPTIONS: '--enable-source-maps' });
    expect(bytes).toBeLessThan(300);
    expect(bytes).toBeLessThan(LAMBDA_ENVIRONMENT_LIMIT_BYTES / 10);
    // Every resource of such an app is found from the prefix alone.
    const names = resourceNames(prefix);
    const tables = Array.from({ length: 50 }, (_, i) => names.dictTable(`dict_${i}`));
    const functions = Array.from({ length: 100 }, (_, i) => names.lambdaFunction(`definition_${i}`));
    expect(new Set(tables).size).toBe(50);
    expect(new Set(functions).size).toBe(100);
    expect(functions.every((f) => f.length <= 64)).toBe(true);
  });
});
