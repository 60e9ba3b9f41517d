import { createHmac, createHash } from 'node:crypto';
import type { UsageEvent } from '@aiscout/protocol';
import type { UsageRecord } from './types.js';

/** A usage event without the id the daemon assigns when it spools it. */
export type UsageAggregate = Omit<UsageEvent, 'id'>;

export interface AggregateOptions {
  /** Key for the session hash (HMAC-SHA256); without one, plain SHA-256. */
  sessionKey?: string | Buffer;
}

/** A short, one-way stand-in for a session id: 16 hex characters of an HMAC or SHA-256. */
export function sessionHash(tool: string, session: string | null, key?: string | Buffer): string | null {
  if (session === null) return null;
  const h = key !== undefined ? createHmac('sha256', key) : createHash('sha256');
  return h.update(`${tool}\u0000${session}`).digest('hex').slice(0, 16);
}

const MAX_MODEL = 128;

/**
 * Sums usage records into one event per tool, user, model, session and window, with the source
 * and quality of the figures. Where OpenTelemetry reported a session, the log figures of that
 * session in the same batch are left out: OTel counts are the better source.
 */
export function aggregateUsage(records: UsageRecord[], windowSeconds: number, options: AggregateOptions = {}): UsageAggregate[] {
  if (!Number.isInteger(windowSeconds) || windowSeconds <= 0) throw new RangeError('windowSeconds must be a positive integer');
  const windowMs = windowSeconds * 1000;
  const otelSessions = new Set(records.filter((r) => r.source === 'otel').map((r) => `${r.tool}\u0000${r.user}\u0000${r.session}`));
  const groups = new Map<string, UsageAggregate>();
  for (const r of records) {
    if (r.source === 'log' && otelSessions.has(`${r.tool}\u0000${r.user}\u0000${r.session}`)) continue;
    const start = Math.floor(r.ts / windowMs) * windowMs;
    const hash = sessionHash(r.tool, r.session, options.sessionKey);
    const model = r.model ? r.model.slice(0, MAX_MODEL) : null;
    const key = [r.tool, r.user, model, hash, start, r.source, r.quality].join('\u0000');
    let g = groups.get(key);
    if (!g) {
      g = {
        kind: 'usage',
        tool: r.tool,
        window_start: new Date(start).toISOString(),
        window_end: new Date(start + windowMs).toISOString(),
        user: r.user,
        evidence: { matcher: r.source === 'otel' ? 'otel' : 'usage-log', value: r.origin },
        count: 0,
        confidence: 1,
        candidates: [r.tool],
        model,
        tokens_in: 0,
        tokens_out: 0,
        tokens_cache_read: 0,
        tokens_cache_write: 0,
        requests: 0,
        source: r.source,
        quality: r.quality,
        session_hash: hash,
      };
      groups.set(key, g);
    }
    g.count += 1;
    g.tokens_in += r.tokens_in;
    g.tokens_out += r.tokens_out;
    g.tokens_cache_read += r.tokens_cache_read;
    g.tokens_cache_write += r.tokens_cache_write;
    g.requests += r.requests;
  }
  return [...groups.values()].sort((a, b) =>
    a.window_start === b.window_start ? (a.tool + a.user + (a.model ?? '')).localeCompare(b.tool + b.user + (b.model ?? '')) : a.window_start.localeCompare(b.window_start),
  );
}
