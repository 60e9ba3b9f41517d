import { createHash } from 'node:crypto';
import { TOKEN_FIELDS, type UsageRecord } from './types.js';

export interface DedupLimits {
  /** Request keys remembered; the least recently used go first. */
  maxEntries: number;
  /** How long a request key is remembered (ms). */
  ttlMs: number;
  /** Sessions remembered as covered by OpenTelemetry. */
  maxOtelSessions: number;
  /** Log lines this much older than a session's first OTel figure still count (ms). */
  otelSlackMs: number;
}

export const DEDUP_LIMITS: DedupLimits = {
  maxEntries: 100_000,
  ttlMs: 14 * 24 * 3600_000,
  maxOtelSessions: 20_000,
  otelSlackMs: 60_000,
};

/** The persisted form: hashed keys only, never a raw session or request id. */
export interface DedupSnapshot {
  seen: [key: string, tokensIn: number, tokensOut: number, cacheRead: number, cacheWrite: number, expires: number][];
  otel: [key: string, firstTs: number, expires: number][];
}

interface Seen {
  tokens: [number, number, number, number];
  expires: number;
}

function digest(parts: (string | null)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p ?? ''}\u0000`);
  return h.digest('hex').slice(0, 32);
}

export type DedupVerdict = 'new' | 'grown' | 'duplicate' | 'superseded';

/**
 * Counts each request once, whichever path (log file or OTLP) and however many times it shows
 * up. Keyed by tool + user + session + request id; remembers the largest figures counted so far,
 * so a later, larger line of the same request (Claude Code writes streaming snapshots) counts only
 * its growth. Sessions that OpenTelemetry reports are marked, and log figures for them from then
 * on are dropped: the OTel figure is the better one (see docs/usage-logs.md).
 */
export class UsageDedup {
  private readonly seen = new Map<string, Seen>();
  private readonly otel = new Map<string, { firstTs: number; expires: number }>();
  readonly limits: DedupLimits;
  /** What happened to records, by verdict, since creation. */
  readonly stats: Record<DedupVerdict, number> = { new: 0, grown: 0, duplicate: 0, superseded: 0 };

  constructor(limits: Partial<DedupLimits> = {}, private readonly now: () => number = Date.now) {
    this.limits = { ...DEDUP_LIMITS, ...limits };
  }

  static restore(snapshot: DedupSnapshot | undefined, limits: Partial<DedupLimits> = {}, now: () => number = Date.now): UsageDedup {
    const d = new UsageDedup(limits, now);
    const t = now();
    for (const row of snapshot?.seen ?? []) {
      const [key, a, b, c, e, expires] = row;
      if (typeof key === 'string' && expires > t) d.seen.set(key, { tokens: [a, b, c, e], expires });
    }
    for (const row of snapshot?.otel ?? []) {
      const [key, firstTs, expires] = row;
      if (typeof key === 'string' && expires > t) d.otel.set(key, { firstTs, expires });
    }
    d.trim();
    return d;
  }

  snapshot(): DedupSnapshot {
    this.expire();
    return {
      seen: [...this.seen].map(([k, v]) => [k, ...v.tokens, v.expires]),
      otel: [...this.otel].map(([k, v]) => [k, v.firstTs, v.expires]),
    };
  }

  get size(): number {
    return this.seen.size;
  }

  /**
   * Lets a record through once: returns it unchanged when new, its growth (requests 0) when the
   * same request was counted before with smaller figures, or null when there is nothing new or
   * OpenTelemetry already covers its session.
   */
  admit(record: UsageRecord): { verdict: DedupVerdict; record: UsageRecord | null } {
    const t = this.now();
    if (record.source === 'otel') this.markOtel(record, t);
    else if (this.coveredByOtel(record, t)) return this.verdict('superseded', null);
    const key = digest([record.tool, record.user, record.session, record.request]);
    const tokens = TOKEN_FIELDS.map((f) => record[f]) as [number, number, number, number];
    const prev = this.seen.get(key);
    const expires = t + this.limits.ttlMs;
    if (!prev || prev.expires <= t) {
      this.seen.delete(key);
      this.seen.set(key, { tokens, expires });
      this.trim();
      return this.verdict('new', record);
    }
    const growth = tokens.map((v, i) => Math.max(v - (prev.tokens[i] ?? 0), 0));
    this.seen.delete(key);
    this.seen.set(key, { tokens: tokens.map((v, i) => Math.max(v, prev.tokens[i] ?? 0)) as Seen['tokens'], expires });
    if (growth.every((g) => g === 0)) return this.verdict('duplicate', null);
    const out: UsageRecord = { ...record, requests: 0 };
    TOKEN_FIELDS.forEach((f, i) => (out[f] = growth[i] ?? 0));
    return this.verdict('grown', out);
  }

  /** True when OTel reported this session at or before the record's time (less some slack). */
  coveredByOtel(record: Pick<UsageRecord, 'tool' | 'user' | 'session' | 'ts'>, t = this.now()): boolean {
    const hit = this.otel.get(digest([record.tool, record.user, record.session]));
    return hit !== undefined && hit.expires > t && record.ts >= hit.firstTs - this.limits.otelSlackMs;
  }

  private markOtel(record: UsageRecord, t: number): void {
    const key = digest([record.tool, record.user, record.session]);
    const prev = this.otel.get(key);
    this.otel.delete(key);
    this.otel.set(key, { firstTs: Math.min(prev?.firstTs ?? record.ts, record.ts), expires: t + this.limits.ttlMs });
    while (this.otel.size > this.limits.maxOtelSessions) {
      const oldest = this.otel.keys().next().value;
      if (oldest === undefined) break;
      this.otel.delete(oldest);
    }
  }

  private verdict(verdict: DedupVerdict, record: UsageRecord | null) {
    this.stats[verdict] += 1;
    return { verdict, record };
  }

  private trim(): void {
    while (this.seen.size > this.limits.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
  }

  private expire(): void {
    const t = this.now();
    for (const [k, v] of this.seen) if (v.expires <= t) this.seen.delete(k);
    for (const [k, v] of this.otel) if (v.expires <= t) this.otel.delete(k);
  }
}
