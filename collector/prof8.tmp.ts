import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { Readable } from 'node:stream';
import { uuidv7 } from '@aiscout/protocol';
import { sampleEvents, makeBatch } from './test/helpers.js';
import { EVENT_COLUMNS, eventRow, eventTsv } from './src/rows.js';
import { Store } from './src/store/store.js';
import { migrate } from './src/store/migrate.js';
const agent = { id: '9d2f1e0a-1111-4222-8333-944455556666', keys: {} as never, host: { hostname: 'h', os: 'linux' as const, os_version: 'x', arch: 'x', serial: null, primary_user: 'a' }, seq: 0 };
const path = '/tmp/chx/p' + Date.now();
const store = new Store({ embeddedPath: path, url: null, user: null, password: null, database: null, caFile: null, cluster: null, timeoutMs: 60000 });
await migrate(store, { retentionDays: 400, auditRetentionDays: 1000, collectorId: 'x' });
await store.close();
const client = createClient({ connection: createChdbConnection({ path }) as never });
await client.command({ query: 'CREATE TABLE e5 AS events ENGINE = Null' });
const N = 20000;
const b = makeBatch(agent, sampleEvents(N));
const mk = () => b.events.map((e) => eventTsv(eventRow({ ...e, id: uuidv7() }, { batch: b, receivedAt: Date.now(), team: 't', teamSource: 'x', policyState: 'unapproved' }))).join('');
async function run(label: string, table: string, settings: Record<string, unknown>, reps = 3) {
  let total = 0;
  for (let i = 0; i < reps; i++) {
    const body = mk();
    const t = performance.now();
    await client.insert({ table, columns: EVENT_COLUMNS as unknown as [string], values: Readable.from([Buffer.from(body)], { objectMode: false }), format: 'TabSeparated', clickhouse_settings: settings });
    total += performance.now() - t;
  }
  console.log(label, ((total / reps / N) * 1000).toFixed(2), 'µs/row');
}
await run('null default', 'e5', {});
await run('null no parallel parsing', 'e5', { input_format_parallel_parsing: 0 });
await run('events default', 'events', {});
await run('events no parallel parsing', 'events', { input_format_parallel_parsing: 0 });
await run('events max_insert_threads 2', 'events', { max_insert_threads: 2 });
const conn = createChdbConnection({ path: ':memory:' });
void conn;
// raw text round trip cost in chdb for a SELECT of a big literal
const big = 'x'.repeat(5_000_000);
let t = performance.now();
await client.query({ query: `SELECT length('${big}') AS n`, format: 'JSONEachRow' }).then((r) => r.json());
console.log('5MB literal select', (performance.now() - t).toFixed(1), 'ms');
t = performance.now();
const body = mk();
console.log('tsv bytes', body.length, 'encode ms', (performance.now() - t).toFixed(1));
await client.close();
