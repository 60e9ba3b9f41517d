import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type { ClickHouseClientConfigOptions as ClientConfig } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { resolve } from 'node:path';

export interface StoreOptions {
  /** Folder of the embedded chDB engine; used when `url` is null. */
  path: string;
  /** ClickHouse server or cluster over HTTP(S). */
  url: string | null;
  user: string | null;
  password: string | null;
  database: string | null;
  /** PEM file with the CA that signed the server's certificate. */
  caFile: string | null;
  /** Cluster name for the cluster schema variant (`ON CLUSTER`), null for a single node. */
  cluster: string | null;
  /** How long a store call may take before the collector answers 503 and stops waiting. */
  timeoutMs: number;
}

/** The store did not answer (down, slow or closed): callers answer 503 and ack nothing. */
export class StoreUnavailableError extends Error {
  /** True when the engine answered with an error (bad SQL, a refused insert), false when it did not answer. */
  readonly answered: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
    this.answered = isServerError(options?.cause);
  }
}

export type Row = Record<string, unknown>;

/** Settings an INSERT may carry; plain values, so chDB's raw insert can scope them to the statement. */
type InsertSettings = Record<string, string | number>;

/**
 * chDB's raw insert: the body is handed to the engine as bytes and the settings go into the
 * statement's own SETTINGS clause. (Through the client, chDB turns settings into session-wide `SET`s,
 * which would leak a dedup token into later inserts, and costs measurably more per INSERT.)
 */
type RawInsert = (params: {
  table: string; columns?: string[]; values: Buffer; format: 'TabSeparated' | 'JSONEachRow'; settings: InsertSettings;
}) => Promise<unknown>;

/**
 * ClickHouse through `@clickhouse/client`, on chDB's in-process connection or over HTTP: the same
 * calls either way. Every call is bounded by `timeoutMs`; a failed or timed-out call marks the store
 * unhealthy until a ping succeeds again.
 */
export class Store {
  #client: ClickHouseClient;
  /** chDB's raw insert (the body handed over as bytes, settings scoped to the statement); null over HTTP. */
  #rawInsert: RawInsert | null = null;
  #healthy = true;
  #closed = false;
  #lost = false;
  readonly embedded: boolean;

  constructor(readonly options: StoreOptions) {
    this.embedded = options.url === null;
    this.#client = this.#connect();
  }

  #connect(): ClickHouseClient {
    const o = this.options;
    if (o.url === null) {
      // chdb ships its own copy of the client-common types; the runtime contract is the same.
      const chdb = createChdbConnection({ path: resolve(o.path) });
      this.#rawInsert = (params) => chdb.chdb.rawInsert(params);
      return createClient({ connection: chdb as unknown as NonNullable<ClientConfig['connection']> });
    }
    return createClient({
      url: o.url,
      username: o.user ?? 'default',
      password: o.password ?? '',
      database: o.database ?? 'default',
      request_timeout: o.timeoutMs,
      tls: o.caFile ? { ca_cert: readFileSync(o.caFile) } : undefined,
      application: 'aiscout-collector',
      // Failures surface as StoreUnavailableError and are logged by the collector, without the client's own lines.
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  get healthy(): boolean {
    return this.#healthy && !this.#closed && !this.#lost;
  }

  get kind(): string {
    return this.embedded ? `embedded chDB at ${resolve(this.options.path)}` : `ClickHouse at ${redactUrl(this.options.url!)}`;
  }

  get cluster(): string | null {
    return this.options.cluster;
  }

  async #bounded<T>(what: string, run: (client: ClickHouseClient) => Promise<T>, timeoutMs = this.options.timeoutMs): Promise<T> {
    if (this.#closed || this.#lost) throw new StoreUnavailableError(`store connection is down (${what})`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`store did not answer within ${timeoutMs} ms (${what})`)), timeoutMs);
    });
    try {
      const out = await Promise.race([run(this.#client), timeout]);
      this.#healthy = true;
      return out;
    } catch (err) {
      // The server answered with an error: it is reachable, only this call failed.
      if (!isServerError(err)) this.#healthy = false;
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError(`store call failed (${what}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  async query<T = Row>(query: string, params: Record<string, unknown> = {}, settings: ClickHouseSettings = {}): Promise<T[]> {
    return this.#bounded('query', async (c) => {
      const rs = await c.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: settings });
      return (await rs.json()) as T[];
    });
  }

  async command(query: string, params: Record<string, unknown> = {}, settings: ClickHouseSettings = {}, timeoutMs?: number): Promise<void> {
    await this.#bounded('command', (c) => c.command({ query, query_params: params, clickhouse_settings: settings }), timeoutMs);
  }

  /**
   * One INSERT of all rows (one block, so it is atomic). `dedupToken` makes a retried insert a no-op:
   * the engine remembers recent tokens (non_replicated_deduplication_window / replicated).
   */
  async insert(table: string, rows: Row[], dedupToken: string | null = null, timeoutMs?: number): Promise<void> {
    if (rows.length === 0) return;
    const settings = this.#insertSettings(dedupToken);
    const raw = this.#rawInsert;
    if (raw !== null) {
      let body = '';
      for (const row of rows) body += `${JSON.stringify(row)}\n`;
      await this.#bounded(`insert ${table}`, () => raw({ table, values: Buffer.from(body, 'utf8'), format: 'JSONEachRow', settings }), timeoutMs);
      return;
    }
    await this.#bounded(
      `insert ${table}`,
      (c) => c.insert({ table, values: rows, format: 'JSONEachRow', clickhouse_settings: settings as ClickHouseSettings }),
      timeoutMs,
    );
  }

  /**
   * One INSERT of pre-encoded TabSeparated rows (newline-terminated): the engine parses it about
   * twice as fast as JSONEachRow. Same deduplication as `insert`.
   */
  async insertTsv(table: string, columns: readonly string[], body: Buffer, dedupToken: string | null = null, timeoutMs?: number): Promise<void> {
    if (body.length === 0) return;
    // Several materialized views read `events`: let them work side by side (measured faster on 2 cores).
    const settings = { ...this.#insertSettings(dedupToken), parallel_view_processing: 1 };
    const raw = this.#rawInsert;
    if (raw !== null) {
      await this.#bounded(
        `insert ${table}`,
        () => raw({ table, columns: [...columns], values: body, format: 'TabSeparated', settings }),
        timeoutMs,
      );
      return;
    }
    await this.#bounded(
      `insert ${table}`,
      (c) => c.insert({
        table,
        columns: columns as [string, ...string[]],
        values: Readable.from([body], { objectMode: false }),
        format: 'TabSeparated',
        clickhouse_settings: settings as ClickHouseSettings,
      }),
      timeoutMs,
    );
  }

  #insertSettings(dedupToken: string | null): InsertSettings {
    const settings: InsertSettings = {};
    if (dedupToken !== null) {
      settings.insert_deduplicate = 1;
      settings.insert_deduplication_token = dedupToken;
      // Materialized views must skip a deduplicated block too, or the rollups would count it twice.
      settings.deduplicate_blocks_in_dependent_materialized_views = 1;
    }
    // Through a Distributed table, wait for the shards so the ack still means "stored".
    if (this.options.cluster !== null) settings.distributed_foreground_insert = 1;
    return settings;
  }

  async ping(timeoutMs = Math.min(this.options.timeoutMs, 2000)): Promise<boolean> {
    if (this.#closed || this.#lost) return false;
    try {
      await this.#bounded('ping', async (c) => {
        const r = await c.ping();
        if (!r.success) throw r.error;
      }, timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Drops the connection as an outage would (tests use it mid-flight). Calls fail with 503 until
   * `probe()` (run by the health monitor) reconnects: recovery needs no restart.
   */
  async disconnect(): Promise<void> {
    if (this.#lost || this.#closed) return;
    this.#lost = true;
    this.#healthy = false;
    await this.#client.close();
  }

  /** Reconnects a dropped connection, then pings; true when the store answers. */
  async probe(): Promise<boolean> {
    if (this.#closed) return false;
    if (this.#lost) {
      this.#client = this.#connect();
      this.#lost = false;
    }
    return this.ping();
  }

  /** Final: on shutdown. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#lost) await this.#client.close();
  }
}

/** An error the ClickHouse engine answered with (it has a numeric code), as opposed to no answer. */
function isServerError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && err.name === 'ClickHouseError' && typeof code === 'string' && /^\d+$/.test(code);
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}
