import { count, type UsageRecord } from '../usage/types.js';
import type { Attrs, LogEntry, MetricPoint } from './model.js';
import type { CumulativeToDelta } from './temporality.js';

/** Tool ids by the prefix of their OTel metric and event names. */
const PREFIXES: [string, string][] = [
  ['claude_code.', 'claude-code'],
  ['gemini_cli.', 'gemini-cli'],
  ['codex.', 'openai-codex'],
];

/** Event-name prefixes by service.name, for exporters that put a bare name in `event.name`. */
const SERVICE_PREFIX: Record<string, string> = {
  'claude-code': 'claude_code.',
  'gemini-cli': 'gemini_cli.',
  codex_cli_rs: 'codex.',
  'codex-cli': 'codex.',
  codex_exec: 'codex.',
};

function toolOf(name: string): string | null {
  for (const [prefix, tool] of PREFIXES) if (name.startsWith(prefix)) return tool;
  return null;
}

function str(a: Attrs, key: string): string | null {
  const v = a[key];
  if (typeof v === 'string' && v !== '') return v.slice(0, 128);
  if (typeof v === 'number') return String(v);
  return null;
}

function ms(ns: bigint): number {
  return Number(ns / 1_000_000n);
}

function eventName(e: LogEntry): string | null {
  const raw = str(e.attrs, 'event.name') ?? e.eventName;
  if (!raw) return null;
  if (toolOf(raw)) return raw;
  const prefix = SERVICE_PREFIX[String(e.resource['service.name'] ?? '')];
  return prefix ? prefix + raw : raw;
}

/**
 * One usage record per model request event: Claude Code `claude_code.api_request`, Gemini CLI
 * `gemini_cli.api_response`, Codex `codex.sse_event` of kind response.completed. Input counts
 * are made uncached (Gemini and Codex report input with the cached part included).
 */
export function usageFromLog(e: LogEntry, user: string, now: number): UsageRecord | null {
  const name = eventName(e);
  if (!name) return null;
  const a = e.attrs;
  const ts = e.timeNs > 0n ? ms(e.timeNs) : now;
  const base = { user, ts, model: str(a, 'model'), requests: 1, source: 'otel' as const, quality: 'exact' as const, origin: 'otlp-logs' };
  if (name === 'claude_code.api_request') {
    const session = str(a, 'session.id');
    return {
      ...base,
      tool: 'claude-code',
      session,
      request: str(a, 'request_id') ?? `${str(a, 'prompt.id') ?? ''}:${str(a, 'event.sequence') ?? e.timeNs}`,
      tokens_in: count(a.input_tokens),
      tokens_out: count(a.output_tokens),
      tokens_cache_read: count(a.cache_read_tokens),
      tokens_cache_write: count(a.cache_creation_tokens),
    };
  }
  if (name === 'gemini_cli.api_response') {
    const input = count(a.input_token_count);
    const cached = Math.min(count(a.cached_content_token_count), input);
    return {
      ...base,
      tool: 'gemini-cli',
      session: str(a, 'session.id'),
      request: `${str(a, 'prompt_id') ?? ''}:${e.timeNs}`,
      tokens_in: input - cached + count(a.tool_token_count),
      tokens_out: count(a.output_token_count) + count(a.thoughts_token_count),
      tokens_cache_read: cached,
      tokens_cache_write: 0,
    };
  }
  if (name === 'codex.sse_event' && str(a, 'event.kind') === 'response.completed') {
    const input = count(a.input_token_count);
    const cached = Math.min(count(a.cached_token_count), input);
    return {
      ...base,
      tool: 'openai-codex',
      session: str(a, 'conversation.id'),
      request: str(a, 'response.id') ?? `t:${e.timeNs}`,
      tokens_in: input - cached,
      tokens_out: count(a.output_token_count),
      tokens_cache_read: cached,
      tokens_cache_write: count(a.cache_write_token_count),
    };
  }
  return null;
}

/** Token counter metrics and how their `type` attribute maps onto the record's fields. */
const TOKEN_METRICS: Record<string, { tool: string; types: Record<string, 'in' | 'out' | 'cr' | 'cw' | 'tool'> }> = {
  'claude_code.token.usage': { tool: 'claude-code', types: { input: 'in', output: 'out', cacheRead: 'cr', cacheCreation: 'cw' } },
  'gemini_cli.token.usage': { tool: 'gemini-cli', types: { input: 'in', output: 'out', thought: 'out', cache: 'cr', tool: 'tool' } },
};

/**
 * Token counter metrics (claude_code.token.usage, gemini_cli.token.usage) → one record per tool,
 * session, model and export time. Metrics carry no request ids or counts, so `requests` is 0.
 */
export function usageFromMetrics(points: MetricPoint[], user: string, deltas: CumulativeToDelta): UsageRecord[] {
  const groups = new Map<string, { rec: UsageRecord; input: number; cache: number; tool: number; geminiStyle: boolean }>();
  for (const p of points) {
    const spec = TOKEN_METRICS[p.metric];
    if (!spec) continue;
    const kind = spec.types[String(p.attrs.type ?? '')];
    const d = deltas.delta(p);
    if (!kind || !(d > 0)) continue;
    const session = str(p.attrs, 'session.id');
    const model = str(p.attrs, 'model');
    const key = JSON.stringify([spec.tool, session, model, String(p.timeNs)]);
    let g = groups.get(key);
    if (!g) {
      g = {
        rec: {
          tool: spec.tool, user, session, model, request: `metric:${p.timeNs}:${model ?? ''}`, ts: ms(p.timeNs),
          tokens_in: 0, tokens_out: 0, tokens_cache_read: 0, tokens_cache_write: 0,
          requests: 0, source: 'otel', quality: 'exact', origin: 'otlp-metrics',
        },
        input: 0, cache: 0, tool: 0, geminiStyle: spec.tool === 'gemini-cli',
      };
      groups.set(key, g);
    }
    const v = Math.floor(d);
    if (kind === 'in') g.input += v;
    else if (kind === 'out') g.rec.tokens_out += v;
    else if (kind === 'cr') g.cache += v;
    else if (kind === 'cw') g.rec.tokens_cache_write += v;
    else g.tool += v;
  }
  return [...groups.values()].map((g) => {
    // Gemini's "input" includes the cached part; Claude Code's does not.
    const cached = g.geminiStyle ? Math.min(g.cache, g.input) : g.cache;
    return { ...g.rec, tokens_in: (g.geminiStyle ? g.input - cached : g.input) + g.tool, tokens_cache_read: g.geminiStyle ? cached : g.cache };
  });
}
