/**
 * The few OTLP shapes the agent needs, decoded from either encoding into one form. Only
 * allow-listed attributes are kept (ids, model names, token counts): prompt text that a tool may
 * attach to its events (e.g. OTEL_LOG_USER_PROMPTS) is dropped while decoding.
 */
export type AttrValue = string | number | boolean;
export type Attrs = Record<string, AttrValue>;

export interface MetricPoint {
  resource: Attrs;
  metric: string;
  temporality: 'delta' | 'cumulative' | 'unspecified';
  monotonic: boolean;
  attrs: Attrs;
  startNs: bigint;
  timeNs: bigint;
  value: number;
}

export interface LogEntry {
  resource: Attrs;
  /** Event name from LogRecord.event_name, or the body when it looks like one (Claude Code). */
  eventName: string | null;
  attrs: Attrs;
  timeNs: bigint;
}

export interface OtlpLimits {
  /** Largest request body, compressed or not (bytes). */
  maxBodyBytes: number;
  /** Largest body after gunzip (bytes). */
  maxDecodedBytes: number;
  /** Data points or log records decoded per request; more is a 413. */
  maxItems: number;
  /** Longest attribute string kept. */
  maxStringChars: number;
}

export const OTLP_LIMITS: OtlpLimits = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxDecodedBytes: 16 * 1024 * 1024,
  maxItems: 50_000,
  maxStringChars: 256,
};

/** Attributes read from resources, data points and log records. Everything else is dropped. */
export const KEPT_ATTRIBUTES = new Set([
  'service.name',
  'event.name',
  'event.kind',
  'event.sequence',
  'session.id',
  'conversation.id',
  'prompt.id',
  'prompt_id',
  'request_id',
  'response.id',
  'model',
  'type',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_creation_tokens',
  'input_token_count',
  'output_token_count',
  'cached_content_token_count',
  'cached_token_count',
  'cache_write_token_count',
  'thoughts_token_count',
  'reasoning_token_count',
  'tool_token_count',
]);

const EVENT_NAME = /^[a-z][a-z0-9_.-]{0,127}$/;

/** A body string that is an event name (claude_code.api_request), never free text. */
export function eventNameFromBody(body: string | null): string | null {
  return body !== null && EVENT_NAME.test(body) ? body : null;
}

/** Thrown for bodies that are not valid OTLP: answered with 400. */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

/** Thrown when a body holds more than the limits allow: answered with 413. */
export class OtlpTooLarge extends Error {
  override readonly name = 'OtlpTooLarge';
}
