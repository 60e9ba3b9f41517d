import { randomUUID, type KeyObject } from 'node:crypto';
import { publicKeyFromBase64, type EnrollRequest, type HostFacts } from '@aiscout/protocol';
import { clickhouseTime } from './store/migrate.js';
import type { Store } from './store/store.js';

export interface AgentRecord {
  agent_id: string;
  public_key: string;
  hostname: string;
  os: string;
  os_version: string;
  arch: string;
  serial: string;
  primary_user: string;
  team: string;
  agent_version: string;
  enrolled_at: string;
  enrolled_with: string;
  revoked: number;
  revoked_at: string | null;
  revoked_reason: string;
  updated_at: string;
  version: number;
}

export interface AgentView extends AgentRecord {
  last_seen: string | null;
  last_seq: number;
  batches: number;
  events: number;
}

interface Cached {
  record: AgentRecord | null;
  key: KeyObject | null;
  loadedAt: number;
}

export type EnrollOutcome = 'new' | 'same-key' | 'rotated-key';

/** How long a cached agent is trusted before it is re-read (another collector may have revoked it). */
const CACHE_MS = 30_000;
/** How long "no such agent" is remembered, so unknown ids cannot make every request hit the store. */
const NEGATIVE_CACHE_MS = 5_000;

const SELECT = `SELECT toString(agent_id) AS agent_id, public_key, hostname, os, os_version, arch, serial, primary_user, team,
  agent_version, toString(enrolled_at) AS enrolled_at, enrolled_with, revoked, toString(revoked_at) AS revoked_at, revoked_reason,
  toString(updated_at) AS updated_at, version FROM agents FINAL`;

/**
 * Enrolled agents: their keys, host facts and revocation. Rows are versions (ReplacingMergeTree);
 * a change is a new row. Also tracks each agent's last stored sequence number and serializes the
 * batches of one agent inside this process.
 */
export class AgentRegistry {
  readonly #cache = new Map<string, Cached>();
  readonly #lastSeq = new Map<string, number>();
  readonly #locks = new Map<string, Promise<unknown>>();
  #version = 0;

  constructor(private readonly store: Store) {}

  /** Monotonic row version: milliseconds * 1000 + a counter, so two changes in one ms still order. */
  #nextVersion(): number {
    this.#version = Math.max(this.#version + 1, Date.now() * 1000);
    return this.#version;
  }

  async get(agentId: string): Promise<{ record: AgentRecord; key: KeyObject } | null> {
    const now = Date.now();
    const hit = this.#cache.get(agentId);
    if (hit && now - hit.loadedAt < (hit.record ? CACHE_MS : NEGATIVE_CACHE_MS)) {
      return hit.record && hit.key ? { record: hit.record, key: hit.key } : null;
    }
    const rows = await this.store.query<AgentRecord>(`${SELECT} WHERE agent_id = {id:String}`, { id: agentId });
    const record = rows[0] ?? null;
    let key: KeyObject | null = null;
    if (record) {
      try {
        key = publicKeyFromBase64(record.public_key);
      } catch {
        key = null;
      }
    }
    if (this.#cache.size > 100_000) this.#cache.clear();
    this.#cache.set(agentId, { record, key, loadedAt: now });
    return record && key ? { record, key } : null;
  }

  /**
   * Same public key as an enrolled, unrevoked agent: that agent (idempotent retry). Same host
   * (serial, or hostname and OS) with a new key: the agent keeps its id and gets the new key (a
   * reinstall). A revoked agent is never revived: its host gets a new id.
   */
  async enroll(req: EnrollRequest, secretId: string): Promise<{ agentId: string; lastSeq: number; outcome: EnrollOutcome }> {
    return this.#withLock(`host:${hostIdentity(req.host)}`, async () => {
      const byKey = await this.store.query<AgentRecord>(`${SELECT} WHERE public_key = {k:String} AND revoked = 0 ORDER BY enrolled_at LIMIT 1`, { k: req.public_key });
      let existing = byKey[0] ?? null;
      let outcome: EnrollOutcome = 'same-key';
      if (!existing) {
        const serial = req.host.serial ?? '';
        const byHost = await this.store.query<AgentRecord>(
          serial !== ''
            ? `${SELECT} WHERE serial = {serial:String} AND os = {os:String} AND revoked = 0 ORDER BY updated_at DESC LIMIT 1`
            : `${SELECT} WHERE serial = '' AND hostname = {hostname:String} AND os = {os:String} AND revoked = 0 ORDER BY updated_at DESC LIMIT 1`,
          { serial, hostname: req.host.hostname, os: req.host.os },
        );
        existing = byHost[0] ?? null;
        outcome = 'rotated-key';
      }
      const now = clickhouseTime(new Date());
      const agentId = existing?.agent_id ?? randomUUID();
      if (!existing) outcome = 'new';
      const record: AgentRecord = {
        agent_id: agentId,
        public_key: req.public_key,
        ...hostColumns(req.host),
        agent_version: req.agent_version,
        enrolled_at: existing?.enrolled_at ?? now,
        enrolled_with: secretId,
        revoked: 0,
        revoked_at: null,
        revoked_reason: '',
        updated_at: now,
        version: this.#nextVersion(),
      };
      await this.store.insert('agents', [record as unknown as Record<string, unknown>]);
      // Cache what we just wrote: the agent's first batch then needs no lookup behind queued INSERTs.
      this.#cache.set(agentId, { record, key: publicKeyFromBase64(record.public_key), loadedAt: Date.now() });
      const lastSeq = existing ? await this.lastSeq(agentId, true) : 0;
      this.#lastSeq.set(agentId, lastSeq);
      return { agentId, lastSeq, outcome };
    });
  }

  /** Marks the agent revoked (a new row version). False when there is no such agent. */
  async revoke(agentId: string, reason: string): Promise<AgentRecord | null> {
    this.#cache.delete(agentId);
    const current = await this.get(agentId);
    if (!current) return null;
    const now = clickhouseTime(new Date());
    const record: AgentRecord = { ...current.record, revoked: 1, revoked_at: now, revoked_reason: reason, updated_at: now, version: this.#nextVersion() };
    await this.store.insert('agents', [record as unknown as Record<string, unknown>]);
    this.#cache.delete(agentId);
    return record;
  }

  async list(filter: { revoked?: boolean; limit?: number } = {}): Promise<AgentView[]> {
    const where = filter.revoked === undefined ? '' : `WHERE revoked = ${filter.revoked ? 1 : 0}`;
    return this.store.query<AgentView>(
      `SELECT toString(agent_id) AS agent_id, public_key, hostname, os, os_version, arch, serial, primary_user, team, agent_version,
        toString(enrolled_at) AS enrolled_at, enrolled_with, revoked, toString(revoked_at) AS revoked_at, revoked_reason,
        toString(updated_at) AS updated_at, version, if(last_seen = toDateTime64(0, 3, 'UTC'), NULL, toString(last_seen)) AS last_seen,
        last_seq, batches, events
       FROM agents_current ${where} ORDER BY hostname, agent_id LIMIT {limit:UInt32}`,
      { limit: filter.limit ?? 1000 },
    );
  }

  /** Agents seen in the last `seconds`, for the metrics gauge. */
  async activeCount(seconds: number): Promise<number> {
    const rows = await this.store.query<{ n: string }>(
      `SELECT toString(count()) AS n FROM (SELECT agent_id FROM agent_activity GROUP BY agent_id HAVING max(last_seen) > now64(3) - toIntervalSecond({s:UInt32}))`,
      { s: seconds },
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Last stored sequence number: from memory, or the store on first use. */
  async lastSeq(agentId: string, refresh = false): Promise<number> {
    const known = this.#lastSeq.get(agentId);
    if (known !== undefined && !refresh) return known;
    const rows = await this.store.query<{ s: string }>('SELECT toString(max(last_seq)) AS s FROM agent_activity WHERE agent_id = {id:UUID}', { id: agentId });
    const seq = Math.max(Number(rows[0]?.s ?? 0), known ?? 0);
    this.#lastSeq.set(agentId, seq);
    return seq;
  }

  noteStored(agentId: string, seq: number): void {
    if (seq > (this.#lastSeq.get(agentId) ?? 0)) this.#lastSeq.set(agentId, seq);
  }

  async batchStored(agentId: string, batchId: string): Promise<boolean> {
    const rows = await this.store.query<{ n: string }>(
      'SELECT toString(count()) AS n FROM batches WHERE agent_id = {a:UUID} AND batch_id = {b:UUID}',
      { a: agentId, b: batchId },
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }

  /** Runs `fn` after every earlier call with the same key finished (one batch per agent at a time). */
  withAgentLock<T>(agentId: string, fn: () => Promise<T>): Promise<T> {
    return this.#withLock(`agent:${agentId}`, fn);
  }

  #withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#locks.set(key, tail);
    void tail.then(() => {
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    });
    return run;
  }
}

function hostIdentity(h: HostFacts): string {
  return h.serial ? `${h.os}|serial|${h.serial}` : `${h.os}|name|${h.hostname}`;
}

function hostColumns(h: HostFacts): Pick<AgentRecord, 'hostname' | 'os' | 'os_version' | 'arch' | 'serial' | 'primary_user' | 'team'> {
  return {
    hostname: h.hostname,
    os: h.os,
    os_version: h.os_version,
    arch: h.arch,
    serial: h.serial ?? '',
    primary_user: h.primary_user ?? '',
    team: h.team ?? '',
  };
}
