import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** One numbered migration file, split into statements. */
export interface Migration {
  version: number;
  name: string;
  /** sha256 of the file as written: a landed migration must never change. */
  checksum: string;
  statements: Statement[];
}

export interface Statement {
  sql: string;
  /** From a `-- @shard_key expr` line just above a CREATE TABLE (cluster variant only). */
  shardKey: string | null;
}

export type SchemaVariant = 'single' | 'cluster';

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Reads `schema/NNNN_name.sql` in order; throws on a misnamed file or a duplicated number. */
export function readMigrations(dir: string): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const out: Migration[] = [];
  for (const file of files) {
    const m = FILE.exec(basename(file));
    if (!m) throw new Error(`schema file ${file} is not named NNNN_name.sql`);
    const version = Number(m[1]);
    if (out.some((x) => x.version === version)) throw new Error(`schema number ${m[1]} is used twice`);
    const text = readFileSync(join(dir, file), 'utf8');
    out.push({ version, name: m[2]!, checksum: createHash('sha256').update(text).digest('hex'), statements: splitStatements(text) });
  }
  return out;
}

/** Splits on `;` at the end of a line; keeps `-- @shard_key` annotations, drops other comments. */
export function splitStatements(text: string): Statement[] {
  const out: Statement[] = [];
  let lines: string[] = [];
  let shardKey: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const note = /^--\s*@shard_key\s+(.+)$/.exec(line.trim());
    if (note) {
      shardKey = note[1]!.trim();
      continue;
    }
    if (line.trim().startsWith('--') || (line.trim() === '' && lines.length === 0)) continue;
    lines.push(line);
    if (line.endsWith(';')) {
      out.push({ sql: lines.join('\n').replace(/;\s*$/, '').trim(), shardKey });
      lines = [];
      shardKey = null;
    }
  }
  if (lines.join('').trim() !== '') out.push({ sql: lines.join('\n').trim(), shardKey });
  return out;
}

const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS (\w+)/;
const CREATE_MV = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+)/;
const CREATE_VIEW = /^CREATE VIEW IF NOT EXISTS (\w+)/;
const ENGINE = /ENGINE = (Replacing|Summing|Aggregating|Collapsing|)MergeTree(?:\(([^)]*)\))?/;

/** Names of the tables (not views) the migrations create: in a cluster they become `<name>_local`. */
export function tableNames(migrations: Migration[]): string[] {
  const names: string[] = [];
  for (const m of migrations) for (const s of m.statements) {
    const t = CREATE_TABLE.exec(s.sql);
    if (t) names.push(t[1]!);
  }
  return names;
}

/**
 * The statements to run for a variant. `single` runs the files as written. `cluster` derives from the
 * same source: each table becomes `<name>_local ON CLUSTER` with a Replicated engine and a `Distributed`
 * table under the original name (so the collector's SQL is the same), materialized views read and
 * write the local tables, plain views read the distributed ones.
 */
export function renderStatements(migration: Migration, variant: SchemaVariant, allTables: string[], cluster = '{cluster}'): string[] {
  if (variant === 'single') return migration.statements.map((s) => s.sql);
  const onCluster = `ON CLUSTER '${cluster}'`;
  const out: string[] = [];
  for (const s of migration.statements) {
    const table = CREATE_TABLE.exec(s.sql);
    if (table) {
      const name = table[1]!;
      const local = `${name}_local`;
      const sql = s.sql
        .replace(CREATE_TABLE, `CREATE TABLE IF NOT EXISTS ${local} ${onCluster}`)
        .replace(ENGINE, (_all, flavour: string, args: string | undefined) => {
          const path = `'/clickhouse/tables/{shard}/{database}/${local}', '{replica}'`;
          return `ENGINE = Replicated${flavour}MergeTree(${args ? `${path}, ${args}` : path})`;
        })
        // Replicated tables deduplicate inserts by themselves (replicated_deduplication_window).
        .replace(/\n?SETTINGS non_replicated_deduplication_window = \d+/, '');
      out.push(sql);
      out.push(
        `CREATE TABLE IF NOT EXISTS ${name} ${onCluster} AS ${local}\n` +
          `ENGINE = Distributed('${cluster}', currentDatabase(), ${local}, ${s.shardKey ?? 'rand()'})`,
      );
      continue;
    }
    const mv = CREATE_MV.exec(s.sql);
    if (mv) {
      let sql = s.sql.replace(CREATE_MV, `CREATE MATERIALIZED VIEW IF NOT EXISTS ${mv[1]} ${onCluster}`);
      for (const t of allTables) sql = sql.replace(new RegExp(`\\b(TO|FROM) ${t}\\b`, 'g'), `$1 ${t}_local`);
      out.push(sql);
      continue;
    }
    const view = CREATE_VIEW.exec(s.sql);
    if (view) {
      out.push(s.sql.replace(CREATE_VIEW, `CREATE VIEW IF NOT EXISTS ${view[1]} ${onCluster}`));
      continue;
    }
    throw new Error(`migration ${migration.version}: the cluster variant cannot translate: ${s.sql.slice(0, 80)}`);
  }
  return out;
}
