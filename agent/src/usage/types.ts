/**
 * One model request's token counts as read from a tool's local log or its OpenTelemetry export.
 * Numbers, a model name and ids only: the parsers never copy prompt or response text here.
 */
export interface UsageRecord {
  /** Catalog tool id: claude-code, openai-codex, gemini-cli. */
  tool: string;
  /** Account the usage belongs to (the home's owner, or the OTLP sender's uid). */
  user: string;
  /** The tool's session id. Kept in memory only; events carry a hash of it. */
  session: string | null;
  /** Identifies the request inside its session (message id + request id, response id...). */
  request: string;
  /** Milliseconds since the epoch. */
  ts: number;
  model: string | null;
  /** Input tokens that were not read from a prompt cache. */
  tokens_in: number;
  /** Output tokens, reasoning/thinking included where the source reports them. */
  tokens_out: number;
  tokens_cache_read: number;
  tokens_cache_write: number;
  /** 1 for a new request, 0 for a correction of one already counted (a later streaming line). */
  requests: number;
  source: 'log' | 'otel';
  quality: 'exact' | 'undercount' | 'partial';
  /** Format or signal the figures came from (claude-code-jsonl, otlp-logs...), for evidence. */
  origin: string;
}

export type TokenFields = Pick<UsageRecord, 'tokens_in' | 'tokens_out' | 'tokens_cache_read' | 'tokens_cache_write'>;

export const TOKEN_FIELDS = ['tokens_in', 'tokens_out', 'tokens_cache_read', 'tokens_cache_write'] as const;

/** A record before the reader stamps the user and origin on it. */
export type ParsedUsage = Omit<UsageRecord, 'user' | 'origin' | 'source'>;

/** A non-negative safe integer from an untrusted JSON value, or 0. */
export function count(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    return Math.min(Math.floor(value), Number.MAX_SAFE_INTEGER);
  }
  if (typeof value === 'string' && /^\d{1,16}$/.test(value)) return Math.min(Number(value), Number.MAX_SAFE_INTEGER);
  return 0;
}

/** A short identifier string from an untrusted value, or null (ids and model names only). */
export function idString(value: unknown, max = 128): string | null {
  if (typeof value !== 'string') return null;
  const s = value.trim();
  return s === '' ? null : s.slice(0, max);
}

/** Milliseconds from an ISO timestamp, or null. */
export function isoMillis(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : null;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
