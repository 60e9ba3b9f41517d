import type { Batch, Event } from '@aiscout/protocol';

export interface RowContext {
  batch: Batch;
  /** Epoch milliseconds. */
  receivedAt: number;
  team: string;
  teamSource: string;
  policyState: string;
}

/** Fields that have their own column; the rest of an event goes to `details` as JSON. */
const COLUMNS = new Set([
  'kind', 'tool', 'id', 'window_start', 'window_end', 'user', 'evidence', 'count', 'confidence', 'candidates',
  'version', 'model', 'server_name', 'exe', 'process_exe', 'extension_id', 'ecosystem', 'flags', 'quality',
  'tokens_in', 'tokens_out', 'tokens_cache_read', 'tokens_cache_write', 'requests', 'bytes_up', 'bytes_down', 'connections',
  'est_tokens_in', 'est_tokens_out',
]);

function num(e: Event, key: string): number {
  const v = (e as Record<string, unknown>)[key];
  return typeof v === 'number' ? v : 0;
}

function str(e: Event, key: string): string {
  const v = (e as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : '';
}

export type EventRowValues = Record<(typeof EVENT_COLUMNS)[number], unknown>;

/** One `events` row (times as epoch milliseconds). Column names match schema/0001_ingest.sql. */
export function eventRow(e: Event, ctx: RowContext): EventRowValues {
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (!COLUMNS.has(k)) details[k] = v;
  const flags = (e as { flags?: string[] }).flags;
  return {
    event_id: e.id,
    batch_id: ctx.batch.batch_id,
    agent_id: ctx.batch.agent_id,
    received_at: ctx.receivedAt,
    window_start: Date.parse(e.window_start),
    window_end: Date.parse(e.window_end),
    kind: e.kind,
    tool: e.tool ?? '',
    user: e.user,
    host: ctx.batch.host.hostname,
    os: ctx.batch.host.os,
    team: ctx.team,
    team_source: ctx.teamSource,
    policy_state: ctx.policyState,
    evidence_matcher: e.evidence.matcher,
    evidence_value: e.evidence.value,
    count: e.count,
    confidence: e.confidence,
    candidates: e.candidates,
    version: str(e, 'version'),
    model: str(e, 'model'),
    server_name: str(e, 'server_name'),
    exe: str(e, 'exe') || str(e, 'process_exe'),
    extension_id: str(e, 'extension_id'),
    ecosystem: str(e, 'ecosystem'),
    flags: Array.isArray(flags) ? flags : [],
    quality: str(e, 'quality'),
    tokens_in: num(e, 'tokens_in'),
    tokens_out: num(e, 'tokens_out'),
    tokens_cache_read: num(e, 'tokens_cache_read'),
    tokens_cache_write: num(e, 'tokens_cache_write'),
    requests: num(e, 'requests'),
    bytes_up: num(e, 'bytes_up'),
    bytes_down: num(e, 'bytes_down'),
    connections: num(e, 'connections'),
    est_tokens_in: num(e, 'est_tokens_in'),
    est_tokens_out: num(e, 'est_tokens_out'),
    details: Object.keys(details).length ? JSON.stringify(details) : '',
  };
}

/** The `events` columns in table order, for TabSeparated inserts. */
export const EVENT_COLUMNS = [
  'event_id', 'batch_id', 'agent_id', 'received_at', 'window_start', 'window_end', 'kind', 'tool', 'user', 'host', 'os', 'team',
  'team_source', 'policy_state', 'evidence_matcher', 'evidence_value', 'count', 'confidence', 'candidates', 'version', 'model',
  'server_name', 'exe', 'extension_id', 'ecosystem', 'flags', 'quality', 'tokens_in', 'tokens_out', 'tokens_cache_read',
  'tokens_cache_write', 'requests', 'bytes_up', 'bytes_down', 'connections', 'est_tokens_in', 'est_tokens_out', 'details',
] as const;

const TSV_SPECIAL = /[\\\t\n\r\0]/;
const TSV_SPECIAL_G = /[\\\t\n\r\0]/g;
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };
const QUOTED_SPECIAL_G = /[\\'\t\n\r\0]/g;
const QUOTED_ESCAPES: Record<string, string> = { ...TSV_ESCAPES, "'": "\\'" };

/** A String value in ClickHouse's TabSeparated escaping: the exact bytes round-trip, whatever they hold. */
export function tsvString(s: string): string {
  return TSV_SPECIAL.test(s) ? s.replace(TSV_SPECIAL_G, (c) => TSV_ESCAPES[c]!) : s;
}

/** An Array(String) value: ['a','b'] with quoted-string escaping (also safe inside a TSV field). */
export function tsvStringArray(values: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += `'${values[i]!.replace(QUOTED_SPECIAL_G, (c) => QUOTED_ESCAPES[c]!)}'`;
  }
  return `${out}]`;
}

const TIME_COLUMNS = new Set(['received_at', 'window_start', 'window_end']);

/** ClickHouse parses a DateTime64(3) in TSV from seconds with a fraction: no date formatting needed. */
function tsvTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const frac = ms - s * 1000;
  return `${s}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}

/**
 * One `events` row as a TabSeparated line with its newline, in EVENT_COLUMNS order. TSV is the
 * cheapest format both connections carry (chDB's takes the body as text, so no RowBinary), and
 * ClickHouse parses it about twice as fast as JSONEachRow.
 */
export function eventTsv(row: EventRowValues): string {
  let line = '';
  for (let i = 0; i < EVENT_COLUMNS.length; i++) {
    const col = EVENT_COLUMNS[i]!;
    const v = row[col];
    if (i > 0) line += '\t';
    if (typeof v === 'string') line += tsvString(v);
    else if (typeof v === 'number') line += TIME_COLUMNS.has(col) ? tsvTime(v) : String(v);
    else if (Array.isArray(v)) line += tsvStringArray(v as string[]);
    else line += '\\N';
  }
  return `${line}\n`;
}
