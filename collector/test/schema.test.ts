import { cpSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_DIR, appliedMigrations, migrate, pendingMigrations } from '../src/store/migrate.js';
import { readMigrations, renderStatements, splitStatements, tableNames } from '../src/store/schema.js';
import { Store } from '../src/store/store.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
let store: Store;
const opts = { retentionDays: 400, auditRetentionDays: 1095, collectorId: 'schema-test' };

beforeAll(() => {
  store = new Store({ path: join(dir.path, 'ch'), url: null, user: null, password: null, database: null, caFile: null, cluster: null, timeoutMs: 30_000 });
});
afterAll(async () => {
  await store.close();
  dir.cleanup();
});

const ttlDays = async (table: string) => {
  const [row] = await store.query<{ q: string }>('SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = {t:String}', { t: table });
  return Number(/toIntervalDay\((\d+)\)/.exec(row!.q)?.[1]);
};

describe('migrations', () => {
  it('apply once each, are recorded, and are safe to run twice and concurrently', async () => {
    const all = readMigrations(SCHEMA_DIR).map((m) => m.version);
    const [a, b] = await Promise.all([migrate(store, opts), migrate(store, opts)]);
    expect([...new Set([...a.applied, ...a.alreadyApplied])].sort((x, y) => x - y)).toEqual(all);
    expect([...new Set([...b.applied, ...b.alreadyApplied])].sort((x, y) => x - y)).toEqual(all);
    const again = await migrate(store, opts);
    expect(again).toEqual({ applied: [], alreadyApplied: all });
    expect([...(await appliedMigrations(store)).keys()]).toEqual(all);
    expect(await pendingMigrations(store)).toEqual([]);
    for (const t of ['events', 'batches', 'agents', 'usage_daily', 'inventory', 'policy', 'directory', 'audit_log', 'policy_current', 'directory_current', 'agents_current']) {
      expect((await store.query('SELECT 1 FROM system.tables WHERE database = currentDatabase() AND name = {t:String}', { t })).length, t).toBe(1);
    }
  });

  it('align the retention TTL with the configuration', async () => {
    expect(await ttlDays('events')).toBe(400);
    await migrate(store, { ...opts, retentionDays: 90, auditRetentionDays: 800 });
    expect(await ttlDays('events')).toBe(90);
    expect(await ttlDays('usage_daily')).toBe(90);
    expect(await ttlDays('audit_log')).toBe(800);
  });

  it('refuse to run when an applied migration file was edited, and apply a new one', async () => {
    const copy = join(dir.path, 'schema');
    cpSync(SCHEMA_DIR, copy, { recursive: true });
    writeFileSync(join(copy, '0099_extra.sql'), 'CREATE TABLE IF NOT EXISTS extra_table (x UInt8) ENGINE = MergeTree ORDER BY x;\n');
    expect((await migrate(store, { ...opts, schemaDir: copy })).applied).toEqual([99]);
    appendFileSync(join(copy, '0001_ingest.sql'), '\n-- edited\n');
    await expect(migrate(store, { ...opts, schemaDir: copy })).rejects.toThrow(/0001_ingest\.sql changed after it was applied/);
  });
});

describe('cluster variant', () => {
  const migrations = readMigrations(SCHEMA_DIR);
  const tables = tableNames(migrations);
  const statements = migrations.flatMap((m) => renderStatements(m, 'cluster', tables, 'aiscout'));

  it('is generated from the same files: Replicated engines ON CLUSTER, a Distributed table per table, views on local tables', () => {
    for (const t of tables) {
      const local = statements.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${t}_local ON CLUSTER 'aiscout'`));
      expect(local, t).toMatch(/ENGINE = Replicated\w*MergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\//);
      expect(local).not.toContain('non_replicated_deduplication_window');
      expect(statements).toContainEqual(expect.stringMatching(new RegExp(`^CREATE TABLE IF NOT EXISTS ${t} ON CLUSTER 'aiscout' AS ${t}_local\\nENGINE = Distributed\\('aiscout', currentDatabase\\(\\), ${t}_local, `)));
    }
    const mv = statements.find((s) => s.startsWith('CREATE MATERIALIZED VIEW IF NOT EXISTS usage_daily_mv'))!;
    expect(mv).toContain('TO usage_daily_local');
    expect(mv).toContain('FROM events_local');
    expect(statements.find((s) => s.includes('ENGINE = ReplicatedReplacingMergeTree(') && s.includes('agents_local'))).toContain("'{replica}', version)");
  });

  it('parses in the real engine (formatQuery), statement by statement', async () => {
    for (const sql of statements) {
      const [row] = await store.query<{ f: string }>('SELECT formatQuery({q:String}) AS f', { q: sql });
      expect(row!.f.length, sql.slice(0, 60)).toBeGreaterThan(0);
    }
    await expect(store.query('SELECT formatQuery({q:String}) AS f', { q: 'CREATE TABLE broken (' })).rejects.toThrow();
  });

  it('single-node statements are exactly the files', () => {
    const m = migrations[0]!;
    expect(renderStatements(m, 'single', tables)).toEqual(m.statements.map((s) => s.sql));
    expect(splitStatements('-- note\nSELECT 1;\n\nSELECT 2;\n').map((s) => s.sql)).toEqual(['SELECT 1', 'SELECT 2']);
  });
});
