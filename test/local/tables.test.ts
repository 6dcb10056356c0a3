/**
 * The local cloud's tables are ready when `createTables` returns: DynamoDB (and dynalite) keep a new table CREATING
 * for a while and answer item requests on it with ResourceNotFoundException. A dynalite that takes 200 ms to create
 * tables shows the wait; the local cloud's own dynalite takes 0 ms, which is a race under load, not a guarantee.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LocalServer, serveLocal } from '../../runtime/local/http-server.js';
import { createTables } from '../../runtime/local/tables.js';
import { DICT_TABLE_SCHEMA } from '../../runtime/dicts/schema.js';
import { dynamoClient } from '../conformance/dynamo-support.js';

const server = dynalite({ createTableMs: 200 });
let endpoint = '';
let local: LocalServer | undefined;
beforeAll(async () => {
  local = await serveLocal(server, { name: 'dynalite' });
  endpoint = local.url;
});
afterAll(() => local?.close());

it('returns once the tables are ACTIVE, so the first item request finds them', async () => {
  const client = dynamoClient(endpoint, 1);
  const started = Date.now();
  await createTables(client, [
    ['slow-a', DICT_TABLE_SCHEMA],
    ['slow-b', DICT_TABLE_SCHEMA],
  ]);
  expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  const key = { [DICT_TABLE_SCHEMA.partitionKey.name]: { [DICT_TABLE_SCHEMA.partitionKey.type]: 'k' } } as never;
  const got = await client.send(new GetItemCommand({ TableName: 'slow-b', Key: key }));
  expect(got.Item).toBeUndefined();
  // Creating again keeps the table (a persisted state directory) and is ready at once.
  await createTables(client, [['slow-a', DICT_TABLE_SCHEMA]]);
  client.destroy();
});
