/**
 * Dict batch operations vs one request per entry, through the real SDK client against the local DynamoDB:
 * `setMany` of 1,000 entries vs 1,000 sequential `set`s, and `getMany` of 1,000 keys vs 1,000 sequential `get`s.
 * Target: batch at least 8x faster. Baseline and candidate run in the same process, on the same table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../runtime/core/clients.js';
import { DictClient } from '../runtime/dicts/dict-client.js';
import { startDynamo } from '../runtime/local/dynamodb.js';
import { createTables } from '../runtime/local/tables.js';
import { DICT_TABLE_SCHEMA } from '../runtime/dicts/schema.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const N = 1000;
const dynamo = await startDynamo();
const client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
await createTables(client, [['bench-dict', DICT_TABLE_SCHEMA]]);
const dict = new DictClient<{ i: number; text: string }>({ documents: documentClient(client), name: 'bench', table: 'bench-dict' });
const entries = Array.from({ length: N }, (_, i) => [`key-${i}`, { i, text: `value number ${i}` }] as const);

async function time(label: string, run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  const ms = performance.now() - started;
  console.log(`${label.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms`);
  return ms;
}

// Warm up sockets and code paths.
await dict.setMany(entries.slice(0, 50));
for (const [key, value] of entries.slice(0, 50)) await dict.set(key, value);

const sequentialSet = await time(`${N} sequential set`, async () => {
  for (const [key, value] of entries) await dict.set(key, value);
});
const batchSet = await time(`setMany of ${N}`, () => dict.setMany(entries));
const sequentialGet = await time(`${N} sequential get`, async () => {
  for (const [key] of entries) await dict.get(key);
});
const batchGet = await time(`getMany of ${N}`, () => dict.getMany(entries.map(([key]) => key)));

const setRatio = sequentialSet / batchSet;
const getRatio = sequentialGet / batchGet;
console.log(`setMany speed-up: ${setRatio.toFixed(1)}x (target >= 8x) ${setRatio >= 8 ? 'OK' : 'BELOW TARGET'}`);
console.log(`getMany speed-up: ${getRatio.toFixed(1)}x (target >= 8x) ${getRatio >= 8 ? 'OK' : 'BELOW TARGET'}`);
client.destroy();
await dynamo.close();
