import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { uuidv7, PROTOCOL_VERSION, type Batch } from '@aiscout/protocol';
import { Store } from '../src/store/store.js';
import { migrate } from '../src/store/migrate.js';
import { eventRow, eventTsv, EVENT_COLUMNS } from '../src/rows.js';
import { simulatedEvents, seeded, TEAMS } from './_events.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '20000' }, inserts: { type: 'string', default: '15' }, schema: { type: 'string' }, settings: { type: 'string', default: '{}' }, table: { type: 'string', default: 'events' }, pre: { type: 'string', default: '' } } });
const ROWS = Number(values.rows), N = Number(values.inserts);
const dir = mkdtempSync(join(tmpdir(), 'eng-'));
const store = new Store({ embeddedPath: join(dir, 'ch'), url: null, user: null, password: null, database: null, caFile: null, cluster: null, timeoutMs: 600_000 });
await migrate(store, { schemaDir: values.schema, retentionDays: 400, auditRetentionDays: 400, collectorId: 'x' });
for (const sql of values.pre!.split(';;').filter(Boolean)) await store.command(sql);
const rand = seeded(42);
const bodies: string[] = [];
for (let i = 0; i < N + 2; i++) {
  let body = '';
  for (let a = 0; a < ROWS / 1000; a++) {
    const host = { hostname: `host-${a}`, os: 'linux', os_version: 'x', arch: 'x64', serial: 's', primary_user: 'u', team: TEAMS[a % 6]! };
    const batch = { protocol_version: PROTOCOL_VERSION, batch_id: uuidv7(), agent_id: uuidv7(), seq: 1, sent_at: new Date().toISOString(), agent_version: '0.1.0', catalog_version: 'b', host, events: simulatedEvents(1000, [`user${a}`, `user${a}-alt`, `svc-${a % 7}`], rand) } as unknown as Batch;
    for (const e of batch.events) body += eventTsv(eventRow(e, { batch, receivedAt: Date.now(), team: host.team, teamSource: 'host', policyState: 'unapproved' }));
  }
  bodies.push(body);
}
const extra = JSON.parse(values.settings!) as Record<string, unknown>;
const times: number[] = [];
let cpu0 = process.cpuUsage();
for (let i = 0; i < N + 2; i++) {
  const t0 = performance.now();
  // reuse the store's insertTsv via a dedup token
  await store.insertTsv(values.table!, EVENT_COLUMNS, bodies[i]!, process.env.NOTOKEN ? null : `tok-${i}`, undefined, extra as never);
  times.push(performance.now() - t0);
  if (i === 1) cpu0 = process.cpuUsage();
}
const steady = times.slice(2);
const ms = steady.reduce((a, b) => a + b, 0) / steady.length;
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ rows: ROWS, insert_ms_mean: +ms.toFixed(1), us_per_row: +((ms * 1000) / ROWS).toFixed(2), rows_per_s: Math.round((ROWS * 1000) / ms), cpu_us_per_row: +((cpu.user + cpu.system) / (ROWS * N)).toFixed(2), extra }));
await store.close();
rmSync(dir, { recursive: true, force: true });
