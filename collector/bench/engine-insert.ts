/**
 * Engine-only insert benchmark: the ceiling the collector's ingest works under. No HTTP, no agents:
 * pre-encoded TabSeparated `events` rows (built exactly as the collector builds them) are inserted
 * one INSERT after another into a fresh embedded store with the full schema (every materialized view
 * on `events` fires), through the same Store call and dedup token the collector uses. Prints one JSON
 * object: mean INSERT time, µs per row (wall and process CPU), rows/s.
 *
 *   node --import tsx collector/bench/engine-insert.ts [--rows 20000] [--inserts 10] [--schema dir] [--null]
 *
 * --rows: rows per INSERT; --inserts: timed INSERTs (two more run first, untimed); --schema: another
 * migrations folder (to measure a schema variant); --null: into a Null-engine copy of `events`
 * (measures the engine's parsing alone: no parts, no views).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROTOCOL_VERSION, uuidv7, type Batch } from '@aiscout/protocol';
import { batchTsv, eventTsvLine, EVENT_COLUMNS } from '../src/rows.js';
import { migrate } from '../src/store/migrate.js';
import { Store } from '../src/store/store.js';
import { seeded, simulatedEvents, TEAMS } from './_events.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '20000' },
    inserts: { type: 'string', default: '10' },
    schema: { type: 'string' },
    null: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write('node --import tsx collector/bench/engine-insert.ts [--rows 20000] [--inserts 10] [--schema dir] [--null]\n');
  process.exit(0);
}
const ROWS = Number(values.rows);
const INSERTS = Number(values.inserts);
const WARMUP = 2;

const dir = mkdtempSync(join(tmpdir(), 'aiscout-engine-bench-'));
const store = new Store({ path: join(dir, 'clickhouse'), url: null, user: null, password: null, database: null, caFile: null, cluster: null, timeoutMs: 600_000 });
await migrate(store, { schemaDir: values.schema, retentionDays: 400, auditRetentionDays: 1095, collectorId: 'bench' });
const table = values.null ? 'events_null' : 'events';
if (values.null) await store.command('CREATE TABLE events_null AS events ENGINE = Null');

// Bodies of 1000-event batches from different agents, as the collector's group commit joins them.
const rand = seeded(42);
const bodies: Buffer[] = [];
for (let i = 0; i < INSERTS + WARMUP; i++) {
  const parts: Buffer[] = [];
  for (let a = 0; a * 1000 < ROWS; a++) {
    const n = Math.min(1000, ROWS - a * 1000);
    const host = { hostname: `host-${a}`, os: 'linux', os_version: 'Debian 12', arch: 'x64', serial: `SN${a}`, primary_user: `user${a}`, team: TEAMS[a % TEAMS.length]! };
    const batch = {
      protocol_version: PROTOCOL_VERSION, batch_id: uuidv7(), agent_id: uuidv7(), seq: i + 1, sent_at: new Date().toISOString(),
      agent_version: '0.1.0', catalog_version: 'bench', host, events: simulatedEvents(n, [`user${a}`, `user${a}-alt`, `svc-${a % 7}`], rand),
    } as Batch;
    const shared = batchTsv(batch, Date.now());
    let tsv = '';
    for (const e of batch.events) tsv += eventTsvLine(e, shared, { team: host.team, teamSource: 'host', policyState: 'unapproved' });
    parts.push(Buffer.from(tsv, 'utf8'));
  }
  bodies.push(Buffer.concat(parts));
}

let cpuAtStart = process.cpuUsage();
let started = 0;
for (let i = 0; i < bodies.length; i++) {
  if (i === WARMUP) {
    cpuAtStart = process.cpuUsage();
    started = performance.now();
  }
  await store.insertTsv(table, EVENT_COLUMNS, bodies[i]!, `bench-${i}:events`);
}
const ms = (performance.now() - started) / INSERTS;
const cpu = process.cpuUsage(cpuAtStart);
const [row] = await store.query<{ n: string }>(`SELECT toString(count()) AS n FROM ${values.null ? 'events' : table}`);
await store.close();
rmSync(dir, { recursive: true, force: true });

process.stdout.write(
  `${JSON.stringify({
    bench: 'engine-insert',
    machine: { cpus: cpus().length, node: process.version },
    store: 'embedded chDB',
    table,
    schema: values.schema ?? 'collector/schema',
    rows_per_insert: ROWS,
    inserts: INSERTS,
    insert_ms_mean: Number(ms.toFixed(1)),
    wall_us_per_row: Number(((ms * 1000) / ROWS).toFixed(2)),
    cpu_us_per_row: Number(((cpu.user + cpu.system) / (ROWS * INSERTS)).toFixed(2)),
    rows_per_second: Math.round((ROWS * 1000) / ms),
    rows_in_clickhouse: Number(row?.n ?? 0),
    machine_load_average: loadavg().map((l) => Number(l.toFixed(2))),
  })}\n`,
);
