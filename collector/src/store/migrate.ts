import { fileURLToPath } from 'node:url';
import { readMigrations, renderStatements, tableNames, type Migration } from './schema.js';
import type { Store } from './store.js';

/** `collector/schema`, next to `src/` and `dist/`. */
export const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

export interface MigrateOptions {
  schemaDir?: string;
  retentionDays: number;
  auditRetentionDays: number;
  collectorId: string;
}

export interface MigrateResult {
  applied: number[];
  alreadyApplied: number[];
}

/** Retention-managed tables and the expression their TTL is computed from. */
const RETENTION: Array<{ table: string; column: string; audit: boolean }> = [
  { table: 'events', column: 'toDateTime(window_start)', audit: false },
  { table: 'batches', column: 'toDateTime(received_at)', audit: false },
  { table: 'usage_daily', column: 'day', audit: false },
  { table: 'audit_log', column: 'toDateTime(at)', audit: true },
];

function migrationsTableSql(cluster: string | null): string {
  const columns = '(version UInt32, name String, checksum String, applied_at DateTime64(3, \'UTC\'), collector String)';
  if (cluster === null) return `CREATE TABLE IF NOT EXISTS schema_migrations ${columns} ENGINE = ReplacingMergeTree ORDER BY version`;
  return (
    `CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER '${cluster}' ${columns} ` +
    `ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/schema_migrations', '{replica}') ORDER BY version`
  );
}

/** ClickHouse error codes that mean another collector won the race to create the same object. */
const ALREADY_EXISTS = /\b(TABLE_ALREADY_EXISTS|already exists)\b/i;

export async function appliedMigrations(store: Store): Promise<Map<number, string>> {
  const rows = await store.query<{ version: number; checksum: string }>(
    'SELECT version, any(checksum) AS checksum FROM schema_migrations GROUP BY version ORDER BY version',
  );
  return new Map(rows.map((r) => [Number(r.version), r.checksum]));
}

/**
 * Applies every migration not yet recorded, in order, then aligns retention TTLs with the config.
 * Safe to run twice and concurrently: statements are IF NOT EXISTS and the record table deduplicates.
 * Throws when a recorded migration's file changed (migrations are immutable once landed).
 */
export async function migrate(store: Store, opts: MigrateOptions): Promise<MigrateResult> {
  const migrations = readMigrations(opts.schemaDir ?? SCHEMA_DIR);
  const tables = tableNames(migrations);
  const ddlTimeout = Math.max(store.options.timeoutMs, 60_000);
  await runDdl(store, migrationsTableSql(store.cluster), ddlTimeout);
  const applied = await appliedMigrations(store);
  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  for (const m of migrations) {
    const recorded = applied.get(m.version);
    if (recorded !== undefined) {
      if (recorded !== m.checksum) throw new Error(`schema/${fileName(m)} changed after it was applied; add a new migration instead`);
      result.alreadyApplied.push(m.version);
      continue;
    }
    for (const sql of renderStatements(m, store.cluster === null ? 'single' : 'cluster', tables, store.cluster ?? undefined)) {
      await runDdl(store, sql, ddlTimeout);
    }
    await store.insert('schema_migrations', [
      { version: m.version, name: m.name, checksum: m.checksum, applied_at: clickhouseTime(new Date()), collector: opts.collectorId },
    ]);
    result.applied.push(m.version);
  }
  await alignRetention(store, opts, ddlTimeout);
  return result;
}

async function runDdl(store: Store, sql: string, timeoutMs: number): Promise<void> {
  try {
    await store.command(sql, {}, {}, timeoutMs);
  } catch (err) {
    if (err instanceof Error && ALREADY_EXISTS.test(err.message)) return;
    throw err;
  }
}

/** ALTER … MODIFY TTL only where the configured days differ from the table's current TTL. */
async function alignRetention(store: Store, opts: MigrateOptions, timeoutMs: number): Promise<void> {
  const local = store.cluster === null ? '' : '_local';
  for (const r of RETENTION) {
    const days = r.audit ? opts.auditRetentionDays : opts.retentionDays;
    const rows = await store.query<{ q: string }>(
      'SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = {t:String}',
      { t: r.table + local },
    );
    const current = /TTL .*?(?:INTERVAL (\d+) DAY|toIntervalDay\((\d+)\))/.exec(rows[0]?.q ?? '');
    const currentDays = current ? Number(current[1] ?? current[2]) : null;
    if (currentDays === days) continue;
    const onCluster = store.cluster === null ? '' : ` ON CLUSTER '${store.cluster}'`;
    // Existing parts are re-checked at their next merge instead of being rewritten now.
    await store.command(`ALTER TABLE ${r.table}${local}${onCluster} MODIFY TTL ${r.column} + INTERVAL ${days} DAY`, {}, { materialize_ttl_after_modify: 0 }, timeoutMs);
  }
}

/** Versions present in `schema/` but not recorded: non-empty means not ready. */
export async function pendingMigrations(store: Store, schemaDir = SCHEMA_DIR): Promise<number[]> {
  const all = readMigrations(schemaDir).map((m) => m.version);
  let applied: Map<number, string>;
  try {
    applied = await appliedMigrations(store);
  } catch {
    return all;
  }
  return all.filter((v) => !applied.has(v));
}

function fileName(m: Migration): string {
  return `${String(m.version).padStart(4, '0')}_${m.name}.sql`;
}

/** `YYYY-MM-DD hh:mm:ss.sss` in UTC: what DateTime64(3, 'UTC') parses without best-effort mode. */
export function clickhouseTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}
