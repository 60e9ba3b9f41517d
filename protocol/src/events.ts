import Type, { type Static } from 'typebox';
import { Count, LIMITS, NameString, PathString, ShortString, Timestamp, ToolId, Uuid } from './common.js';

/** The kinds of evidence a detection can rest on; also the `kind` of the event that carries it. */
export const EVENT_KINDS = ['process', 'extension', 'usage', 'network', 'agent'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/**
 * What matched: the matcher that fired and the value it fired on (an executable name, an
 * extension id, a host name). Never a command line, URL path or prompt.
 */
export const Evidence = Type.Object(
  {
    matcher: Type.Union([
      Type.Literal('process-name'),
      Type.Literal('executable'),
      Type.Literal('cmdline-marker'),
      Type.Literal('vscode-extension'),
      Type.Literal('jetbrains-plugin'),
      Type.Literal('browser-extension'),
      Type.Literal('mcp-server'),
      Type.Literal('host'),
      Type.Literal('port'),
      Type.Literal('usage-log'),
      Type.Literal('otel'),
      Type.Literal('heartbeat'),
    ]),
    value: NameString,
  },
  { additionalProperties: false },
);
export type Evidence = Static<typeof Evidence>;

/** Fields every event carries. Events are aggregates over a window, not single sightings. */
const common = {
  id: Uuid,
  window_start: Timestamp,
  window_end: Timestamp,
  user: NameString,
  evidence: Evidence,
  count: Count,
  confidence: Type.Number({ minimum: 0, maximum: 1 }),
  /** Every tool the evidence could belong to (shared hosts name several). */
  candidates: Type.Array(ToolId, { maxItems: LIMITS.listItems }),
};

export const ProcessEvent = Type.Object(
  {
    kind: Type.Literal('process'),
    tool: ToolId,
    ...common,
    /** Executable path (no arguments). */
    exe: Type.Union([PathString, Type.Null()]),
    process_name: NameString,
    version: Type.Union([ShortString, Type.Null()]),
  },
  { additionalProperties: false },
);
export type ProcessEvent = Static<typeof ProcessEvent>;

export const ExtensionEvent = Type.Object(
  {
    kind: Type.Literal('extension'),
    tool: ToolId,
    ...common,
    /** Which product the extension lives in: vscode, cursor, windsurf, jetbrains, chrome, firefox, claude-code... */
    ecosystem: ShortString,
    item_kind: Type.Union([
      Type.Literal('ide-extension'),
      Type.Literal('jetbrains-plugin'),
      Type.Literal('browser-extension'),
      Type.Literal('mcp-server'),
      Type.Literal('agent-setting'),
    ]),
    extension_id: NameString,
    version: Type.Union([ShortString, Type.Null()]),
    /** Profile or product folder the item was found in, relative to the user's home. */
    location: Type.Union([PathString, Type.Null()]),
    /** Risk flags (for MCP servers: literal-secret, shell-exec, permission-bypass...). */
    flags: Type.Array(ShortString, { maxItems: LIMITS.listItems }),
  },
  { additionalProperties: false },
);
export type ExtensionEvent = Static<typeof ExtensionEvent>;

export const UsageEvent = Type.Object(
  {
    kind: Type.Literal('usage'),
    tool: ToolId,
    ...common,
    model: Type.Union([ShortString, Type.Null()]),
    tokens_in: Count,
    tokens_out: Count,
    tokens_cache_read: Count,
    tokens_cache_write: Count,
    requests: Count,
    /** Where the counts came from. */
    source: Type.Union([Type.Literal('log'), Type.Literal('otel')]),
    /** How far the counts can be trusted: exact, or known to undercount (Claude Code's JSONL input tokens). */
    quality: Type.Union([Type.Literal('exact'), Type.Literal('undercount'), Type.Literal('partial')]),
    session_hash: Type.Union([ShortString, Type.Null()]),
  },
  { additionalProperties: false },
);
export type UsageEvent = Static<typeof UsageEvent>;

export const NetworkEvent = Type.Object(
  {
    kind: Type.Literal('network'),
    tool: ToolId,
    ...common,
    server_name: NameString,
    name_source: Type.Union([
      Type.Literal('dns'),
      Type.Literal('tls-sni'),
      Type.Literal('quic-sni'),
      Type.Literal('dns-cache'),
      Type.Literal('connection'),
    ]),
    transport: Type.Union([Type.Literal('tcp'), Type.Literal('udp')]),
    dst_port: Type.Integer({ minimum: 0, maximum: 65535 }),
    /** Executable of the local process that owns the connection, when attributed. */
    process_exe: Type.Union([PathString, Type.Null()]),
    bytes_up: Count,
    bytes_down: Count,
    connections: Count,
    /** Estimates derived from bytes; never mixed with exact usage counts. */
    est_tokens_in: Count,
    est_tokens_out: Count,
    ech: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type NetworkEvent = Static<typeof NetworkEvent>;

export const SENSOR_ERROR_TYPES = ['permission', 'parse', 'io', 'vanished', 'limit', 'other'] as const;

export const SensorHealth = Type.Object(
  {
    name: ShortString,
    enabled: Type.Boolean(),
    disabled_reason: Type.Union([NameString, Type.Null()]),
    observations: Count,
    errors: Type.Object(
      {
        permission: Count,
        parse: Count,
        io: Count,
        vanished: Count,
        limit: Count,
        other: Count,
      },
      { additionalProperties: false },
    ),
    dropped: Count,
  },
  { additionalProperties: false },
);
export type SensorHealth = Static<typeof SensorHealth>;

/** Heartbeat and health of the agent itself; `tool` is always null. */
export const AgentEvent = Type.Object(
  {
    kind: Type.Literal('agent'),
    tool: Type.Null(),
    ...common,
    sensors: Type.Array(SensorHealth, { maxItems: LIMITS.listItems }),
    spool_bytes: Count,
    spool_dropped: Count,
    rss_bytes: Count,
    cpu_percent: Type.Number({ minimum: 0, maximum: 100_000 }),
    uptime_s: Count,
    config_source: Type.Union([NameString, Type.Null()]),
  },
  { additionalProperties: false },
);
export type AgentEvent = Static<typeof AgentEvent>;

export const Event = Type.Union([ProcessEvent, ExtensionEvent, UsageEvent, NetworkEvent, AgentEvent]);
export type Event = Static<typeof Event>;
