/**
 * Executors that end at the same moment and pass their slots on, as on Lambda after a burst of equal runs: each in its
 * own process (a gate instance of its own), all reading the same head of the line and trying the oldest entry first,
 * against the same slots passed on by one process in one turn (one gate instance: its passes share one read of the
 * line and never race each other). Everything goes to the local DynamoDB through the real SDK client; an executor
 * takes the run its slot passes to over with a real conditional write (PENDING to RUNNING), as a run's claim does.
 *
 * What it reports is requests per hand-off and races lost per hand-off (counts, not timings), and their ratio to the
 * one-process baseline: what many executors ending together cost beyond the hand-offs themselves.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../runtime/core/clients.js';
import { startDynamo } from '../runtime/local/dynamodb.js';
import { createTables } from '../runtime/local/tables.js';
import { type Adopter, ConcurrencyGate, type GateMembers, type Hold, slotKey } from '../runtime/state/concurrency.js';
import { newRunId } from '../runtime/state/ids.js';
import { partitionKey, STATE_TABLE_SCHEMA } from '../runtime/state/schema.js';
import { StateTable } from '../runtime/state/state-table.js';
import { countRequests } from '../test/helpers/request-counter.js';
import { median } from './support/stats.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const LIMIT = 20;
const WAITING = 60;
const ROUNDS = 9;
const CHECK_AFTER_MS = 60_000;
const TABLE = 'gate-herd-state';

const dynamo = await startDynamo();
const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
await createTables(client, [[TABLE, STATE_TABLE_SCHEMA]]);
const table = new StateTable(documentClient(client), TABLE);
const requests = countRequests(client);

/** Runs kept as items of their own, claimed with a conditional write: what a run's claim costs and decides. */
const runsPk = (name: string) => `herd-runs#${name}`;
/** Every run waits until claimed; no slot is ever checked during a round. */
const members: GateMembers = {
  async waiting() {
    return { checkAfterMs: CHECK_AFTER_MS, launch: async () => undefined };
  },
  inspect: async () => 'keep',
};

/** An executor taking over the run its slot passes to: the claim, PENDING to RUNNING. */
function adopter(name: string, lost: { count: number }): Adopter {
  return {
    async take(hold: Hold) {
      const claimed = await table.update(runsPk(name), hold.holder, {
        set: { status: 'RUNNING' },
        condition: '#status = :pending',
        values: { ':pending': 'PENDING' },
      });
      if (!claimed) lost.count++;
      return claimed !== undefined;
    },
    async undo() {},
  };
}

/** One round: a fresh gate with `WAITING` runs in line and `LIMIT` slots held by executors that ended. */
async function round(name: string, processes: number): Promise<{ requests: number; lost: number; handedOn: number }> {
  const gates = Array.from({ length: processes }, () => new ConcurrencyGate({ table, name, limit: LIMIT, clock: Date.now, members }));
  const pk = partitionKey('concurrency', name);
  const base = Date.now();
  const ids = Array.from({ length: WAITING }, (_, i) => newRunId(base + i));
  for (const id of ids) {
    await table.put(runsPk(name), id, { status: 'PENDING' });
    await gates[0]!.enqueue(id);
  }
  const holds = Array.from({ length: LIMIT }, (_, slot) => ({ holder: `ended-${slot}`, slot, token: `token-${slot}` }));
  for (const hold of holds) {
    await table.put(pk, slotKey(hold.slot), {
      holder: hold.holder,
      token: hold.token,
      checkAt: Date.now() + CHECK_AFTER_MS,
      checkAfterMs: CHECK_AFTER_MS,
      since: Date.now(),
    });
  }
  const lost = { count: 0 };
  requests.reset();
  await Promise.all(holds.map((hold, i) => gates[i % processes]!.release(hold, undefined, adopter(name, lost))));
  await Promise.all(gates.map((gate) => gate.idle()));
  const counted = requests.total();
  const snapshot = await gates[0]!.snapshot();
  const handedOn = WAITING - snapshot.queue.length;
  if (handedOn !== LIMIT) throw new Error(`${handedOn} runs were handed a slot, expected ${LIMIT}`);
  return { requests: counted, lost: lost.count, handedOn };
}

const alone: number[] = [];
const herd: number[] = [];
const herdLost: number[] = [];
const paired: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // Alternating which goes first, so that the table's growth weighs on both alike.
  const order = r % 2 === 0 ? [1, LIMIT] : [LIMIT, 1];
  const results = new Map<number, Awaited<ReturnType<typeof round>>>();
  for (const processes of order) results.set(processes, await round(`herd-${r}-${processes}`, processes));
  const one = results.get(1)!;
  const many = results.get(LIMIT)!;
  alone.push(one.requests / one.handedOn);
  herd.push(many.requests / many.handedOn);
  herdLost.push(many.lost / many.handedOn);
  paired.push(many.requests / one.requests);
}
const fmt = (values: number[]) => `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)} to ${Math.max(...values).toFixed(2)})`;
console.log(`${LIMIT} slots passed on at once from a line of ${WAITING}, ${ROUNDS} rounds, medians (ranges):`);
console.log(`  in one process, one turn:       ${fmt(alone)} state-table requests a hand-off`);
console.log(`  each in its own process:        ${fmt(herd)} state-table requests a hand-off, ${fmt(herdLost)} races lost a hand-off`);
console.log(`ratio: ${median(paired).toFixed(2)}x the requests of the same hand-offs from one process (median of the rounds' own ratios)`);
client.destroy();
await dynamo.close();
