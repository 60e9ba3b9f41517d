import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Batch } from '@aiscout/protocol';
import { InsertBuffer } from '../src/insert-buffer.js';
import { batchTsv, eventTsvLine, EVENT_COLUMNS } from '../src/rows.js';
import { migrate } from '../src/store/migrate.js';
import { Store } from '../src/store/store.js';
import { HOST, sampleEvents, tempDir } from './helpers.js';

const dir = tempDir();
let store: Store;

beforeAll(async () => {
  store = new Store({ path: join(dir.path, 'ch'), url: null, user: null, password: null, database: null, caFile: null, cluster: null, timeoutMs: 30_000 });
  await migrate(store, { retentionDays: 400, auditRetentionDays: 1095, collectorId: 'dedup-test' });
});
afterAll(async () => {
  await store.close();
  dir.cleanup();
});

function batchOf(user: string, n: number): Batch {
  return {
    protocol_version: 1, batch_id: crypto.randomUUID(), agent_id: crypto.randomUUID(), seq: 1, sent_at: new Date().toISOString(),
    agent_version: '0.1.0', catalog_version: 'test', host: HOST, events: sampleEvents(n, user),
  } as unknown as Batch;
}

function tsvOf(batch: Batch): Buffer {
  const shared = batchTsv(batch, Date.now());
  return Buffer.from(batch.events.map((e) => eventTsvLine(e, shared, { team: 'platform', teamSource: 'host', policyState: 'approved' })).join(''));
}

/** Rows in `events` and what every rollup fed from `events` counted, for one user. */
async function totals(user: string): Promise<Record<string, number>> {
  const [row] = await store.query<Record<string, string>>(
    `SELECT
       toString((SELECT count() FROM events WHERE user = {u:String})) AS events,
       toString((SELECT sum(events) FROM usage_daily WHERE user = {u:String})) AS usage_daily,
       toString((SELECT sum(sightings) FROM inventory WHERE user = {u:String})) AS inventory,
       toString((SELECT sum(events) FROM usage_host_daily WHERE user = {u:String})) AS usage_host_daily`,
    { u: user },
  );
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]));
}

describe('engine-level insert deduplication', () => {
  it('makes a retried INSERT with the same token a no-op in events and in every rollup', async () => {
    const body = tsvOf(batchOf('token-user', 12));
    await store.insertTsv('events', EVENT_COLUMNS, body, 'retry-token:events');
    const once = await totals('token-user');
    expect(once.events).toBe(12);
    expect(once.usage_daily).toBe(12);
    await store.insertTsv('events', EVENT_COLUMNS, body, 'retry-token:events');
    expect(await totals('token-user')).toEqual(once);
  });

  it('scopes the token to its own INSERT: a later insert without a token is stored', async () => {
    // chDB turns client settings into session-wide SETs; a leaked token would silently drop this insert.
    const body = tsvOf(batchOf('leak-user', 5));
    await store.insertTsv('events', EVENT_COLUMNS, body, 'leak-token:events');
    await store.insertTsv('events', EVENT_COLUMNS, tsvOf(batchOf('leak-user', 3)), null);
    expect((await totals('leak-user')).events).toBe(8);
  });

  it('stores a coalesced group whole, acknowledging each batch only after its rows are in', async () => {
    const buffer = new InsertBuffer(store, { maxRows: 1000, minRows: 100, lingerMs: 5 });
    const batches = [batchOf('group-user', 7), batchOf('group-user', 9), batchOf('group-user', 4)];
    const acked: number[] = [];
    await Promise.all(batches.map(async (b, i) => {
      await buffer.submit({ batchId: b.batch_id, rows: b.events.length, eventTsv: tsvOf(b), batchRow: {
        batch_id: b.batch_id, agent_id: b.agent_id, seq: 1, received_at: '2026-01-01 00:00:00.000', sent_at: '2026-01-01 00:00:00.000',
        events: b.events.length, agent_version: '0.1.0', catalog_version: 'test', collector: 'dedup-test',
      } });
      // The rows of this batch are queryable at the moment its submit resolves.
      acked.push((await store.query<{ n: string }>('SELECT toString(count()) AS n FROM events WHERE batch_id = {b:UUID}', { b: b.batch_id }))[0]!.n === String(b.events.length) ? i : -1);
    }));
    expect(acked.sort()).toEqual([0, 1, 2]);
    expect((await totals('group-user')).events).toBe(20);
    expect(buffer.pendingRows).toBe(0);
  });
});
