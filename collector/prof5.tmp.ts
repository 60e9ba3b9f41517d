import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { Readable } from 'node:stream';
import { uuidv7 } from '@aiscout/protocol';
import { sampleEvents, makeBatch } from './test/helpers.js';
import { eventRow } from './src/rows.js';
import { Store } from './src/store/store.js';
import { migrate } from './src/store/migrate.js';
const agent = { id: '9d2f1e0a-1111-4222-8333-944455556666', keys: {} as never, host: { hostname: 'h', os: 'linux' as const, os_version: 'x', arch: 'x', serial: null, primary_user: 'a' }, seq: 0 };
const path = '/tmp/chx/p' + Date.now();
const store = new Store({ embeddedPath: path, url: null, user: null, password: null, database: null, caFile: null, cluster: null, timeoutMs: 10000 });
await migrate(store, { retentionDays: 400, auditRetentionDays: 1000, collectorId: 'x' });
await store.close();
const client = createClient({ connection: createChdbConnection({ path }) as never });
const N = 5000;
const b = makeBatch(agent, sampleEvents(N));
const mk = () => b.events.map((e) => eventRow({ ...e, id: uuidv7() }, { batch: b, receivedAt: '2026-01-01 00:00:00.000', team: 't', teamSource: 'x', policyState: 'unapproved' }));
const cols = Object.keys(mk()[0]!);
const esc = (s: string) => s.replace(/[\\\t\n]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : '\\n'));
const tsvVal = (v: unknown): string => Array.isArray(v) ? `[${v.map((x) => `'${String(x).replace(/[\\']/g, (c) => '\\' + c)}'`).join(',')}]`.replace(/[\t\n]/g, ' ') : typeof v === 'string' ? esc(v) : String(v);
async function run(label: string, table: string, fmt: 'json' | 'tsv', token: boolean, reps = 5) {
  let total = 0; let enc = 0;
  for (let i = 0; i < reps; i++) {
    const rs = mk();
    const t0 = performance.now();
    const settings = token ? { insert_deduplicate: 1 as const, insert_deduplication_token: uuidv7(), deduplicate_blocks_in_dependent_materialized_views: 1 as const } : {};
    if (fmt === 'tsv') {
      const text = rs.map((r) => cols.map((c) => tsvVal(r[c])).join('\t')).join('\n') + '\n';
      const t = performance.now(); enc += t - t0;
      await client.insert({ table, columns: cols as [string, ...string[]], values: Readable.from([Buffer.from(text)], { objectMode: false }), format: 'TabSeparated', clickhouse_settings: settings });
      total += performance.now() - t;
    } else {
      const t = performance.now();
      await client.insert({ table, values: rs, format: 'JSONEachRow', clickhouse_settings: settings });
      total += performance.now() - t;
    }
  }
  console.log(label, fmt, ((total / reps / N) * 1000).toFixed(1), 'µs/row insert', ((enc / reps / N) * 1000).toFixed(1), 'µs/row encode');
}
await client.command({ query: "CREATE TABLE e5 AS events ENGINE = Null" });
await run('null', 'e5', 'json', false);
await run('null', 'e5', 'tsv', false);
await run('events', 'events', 'json', true);
await run('events', 'events', 'tsv', true);
const rows = await (await client.query({ query: 'SELECT flags, candidates, user, details FROM events ORDER BY received_at DESC LIMIT 2', format: 'JSONEachRow' })).json();
console.log(rows);
await client.close();
