/**
 * Paging of the state table (runs' and jobs' `list`): DynamoDB stops a query at 1 MB, so a partition of large items
 * (inline arguments and results of up to 300 KB) answers fewer items than asked with a LastEvaluatedKey. A page
 * still holds `limit` items, and the cursor goes on exactly where it stopped.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { StateTable } from '../../runtime/state/state-table.js';
import { startDynamoFixture, type DynamoFixture } from './dynamo-support.js';

let fx: DynamoFixture;
let table: StateTable;
beforeAll(async () => {
  fx = await startDynamoFixture();
  table = new StateTable(fx.documents, await fx.stateTable('paging'));
  const big = 'x'.repeat(300 * 1024);
  for (let i = 0; i < 8; i++) await table.put('run#big', `id-${i}`, { blob: big });
});
afterAll(async () => {
  await fx?.close();
});

it('fills a page past the 1 MB a query returns, and says when there is no more', async () => {
  const all = await table.query('run#big', { limit: 50, descending: true });
  expect(all.items.map((item) => item.sk)).toEqual(['id-7', 'id-6', 'id-5', 'id-4', 'id-3', 'id-2', 'id-1', 'id-0']);
  expect(all.lastSortKey).toBeUndefined();
});

it('pages through large items with the cursor, each item once', async () => {
  const seen: string[] = [];
  let after: string | undefined;
  do {
    const page = await table.query('run#big', { limit: 5, descending: true, ...(after ? { after } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(5);
    seen.push(...page.items.map((item) => item.sk));
    after = page.lastSortKey;
  } while (after);
  expect(seen).toEqual(['id-7', 'id-6', 'id-5', 'id-4', 'id-3', 'id-2', 'id-1', 'id-0']);
});

it('refuses a low-level DynamoDBClient in place of the document client', () => {
  expect(() => new StateTable(fx.client as never, 'some-table')).toThrow(
    /StateTable "some-table" needs the DynamoDB document client \(documentClient\(dynamodb\) of multinode\/runtime\), got a DynamoDBClient/,
  );
});
