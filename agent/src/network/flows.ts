/**
 * Flow byte accounting without capturing the bulk traffic.
 *
 * Decision: the kernel filter (bpf.ts) passes only TCP SYN, FIN and RST segments of TLS ports, not
 * the data. TCP sequence numbers count bytes: a side's ISN comes from its SYN, and the sequence
 * number of its FIN (plus any data the FIN segment carries) or RST is ISN + 1 + bytes it sent. So
 * four to six packets per connection give the exact payload bytes of each direction, on every OS
 * libpcap runs on, at no cost per data packet. Limits, documented: bytes are known when the
 * connection ends (a connection still open at the end of a window is reported in the window it
 * closes in); more than 4 GiB in one direction wraps (counted modulo 2^32); a connection whose SYN
 * was not seen is not measured; QUIC connections are counted but their bytes are not measured
 * (1-RTT packets are not captured).
 *
 * Token estimates (labelled est_* everywhere, never mixed with the usage-log sensor's exact counts):
 * see TOKEN_ESTIMATE below for the constants and their reasons.
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './ip.js';

export const FLOW_LIMITS = {
  /** TCP connections tracked at once (between SYN and close). */
  openFlows: 65_536,
  /** A tracked connection with no edge for this long is dropped (counted as expired, bytes unknown). */
  idleMs: 2 * 60 * 60 * 1000,
  /** Aggregate rows per window: (process, server name, transport, port). */
  windowRows: 10_000,
} as const;

/** Bounds of a flow tracker (FLOW_LIMITS by default; tests use small ones). */
export type FlowLimits = { readonly [K in keyof typeof FLOW_LIMITS]: number };

/**
 * Estimated tokens from bytes. Constants and why:
 * - Upload: request bodies are JSON text, ~4 characters per token for English text and code
 *   (OpenAI, "What are tokens and how to count them?"; Anthropic documents a similar ratio), minus a
 *   per-request overhead for the TLS handshake from the client (~0.6-2 KB with a post-quantum key
 *   share) and HTTP headers (~0.5 KB). JSON escaping and the conversation's message framing make
 *   this an overestimate of new prompt tokens, which is the safe side for "how much was sent".
 * - Download: streamed answers (SSE) wrap each small text delta in an event. Anthropic's
 *   `event: content_block_delta` + `data: {"type":"content_block_delta","index":0,"delta":{"type":
 *   "text_delta","text":"…"}}` is ~110 bytes of framing per delta, OpenAI's chat.completion.chunk
 *   ~200 bytes; a delta carries 1-3 tokens. 150 bytes per output token sits between them. Server
 *   handshakes (certificate chain ~4-6 KB) are subtracted per connection.
 */
export const TOKEN_ESTIMATE = {
  uploadBytesPerToken: 4,
  downloadBytesPerToken: 150,
  uploadOverheadPerConnection: 2_500,
  downloadOverheadPerConnection: 6_000,
} as const;

export function estimateTokens(bytesUp: number, bytesDown: number, connections: number): { in: number; out: number } {
  const up = Math.max(0, bytesUp - connections * TOKEN_ESTIMATE.uploadOverheadPerConnection);
  const down = Math.max(0, bytesDown - connections * TOKEN_ESTIMATE.downloadOverheadPerConnection);
  return { in: Math.round(up / TOKEN_ESTIMATE.uploadBytesPerToken), out: Math.round(down / TOKEN_ESTIMATE.downloadBytesPerToken) };
}

/** What the flow tracker needs of a TCP segment (PacketView and TransportPacket both fit). */
export interface TcpEdge {
  tsMicros: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  flags: number;
  /** TCP payload bytes carried by this segment. */
  payloadLength: number;
}

export interface ClosedFlow {
  client: string;
  server: string;
  clientPort: number;
  serverPort: number;
  bytesUp: number;
  bytesDown: number;
  startMicros: number;
  endMicros: number;
  /** Name attached while the flow was open (TLS SNI, or a DNS answer for the server address). */
  serverName: string | null;
  /** Whether the byte counts are exact (both ends seen) or a side is unknown (0). */
  complete: boolean;
  /** Owning process, when the connection table was read while the connection was open. */
  exe: string | null;
  user: string | null;
}

/** Who owns a connection (from the connection table). */
export interface FlowOwner {
  exe: string | null;
  user: string | null;
}

interface OpenFlow {
  client: string;
  server: string;
  clientPort: number;
  serverPort: number;
  clientIsn: number;
  serverIsn: number | null;
  clientEnd: number | null;
  serverEnd: number | null;
  startMicros: number;
  lastMicros: number;
  serverName: string | null;
  ech: boolean;
  owner: FlowOwner | null;
}

const MOD = 2 ** 32;

function flowKey(a: string, ap: number, b: string, bp: number): string {
  return `${a}|${ap}|${b}|${bp}`;
}

export interface FlowStats {
  opened: number;
  closed: number;
  expired: number;
  dropped: number;
  /** Edges of connections whose SYN was not seen. */
  untracked: number;
}

/** Tracks TCP connections from their SYN/FIN/RST segments and reports each one's bytes when it ends. */
export class TcpFlowTracker {
  private readonly flows = new Map<string, OpenFlow>();
  readonly stats: FlowStats = { opened: 0, closed: 0, expired: 0, dropped: 0, untracked: 0 };

  constructor(
    private readonly onClose: (flow: ClosedFlow & { ech: boolean }) => void,
    private readonly limits: FlowLimits = FLOW_LIMITS,
  ) {}

  get size(): number {
    return this.flows.size;
  }

  /** Feeds one TCP segment; only SYN, FIN and RST segments change anything. */
  edge(e: TcpEdge): void {
    const syn = (e.flags & TCP_SYN) !== 0;
    if (syn && (e.flags & TCP_ACK) === 0) {
      const key = flowKey(e.src, e.sport, e.dst, e.dport);
      if (this.flows.has(key)) return; // SYN retransmission
      this.expire(e.tsMicros);
      if (this.flows.size >= this.limits.openFlows) {
        this.stats.dropped += 1;
        return;
      }
      this.flows.set(key, {
        client: e.src,
        server: e.dst,
        clientPort: e.sport,
        serverPort: e.dport,
        clientIsn: e.seq,
        serverIsn: null,
        clientEnd: null,
        serverEnd: null,
        startMicros: e.tsMicros,
        lastMicros: e.tsMicros,
        serverName: null,
        ech: false,
        owner: null,
      });
      this.stats.opened += 1;
      return;
    }
    const fromClient = this.flows.get(flowKey(e.src, e.sport, e.dst, e.dport));
    const f = fromClient ?? this.flows.get(flowKey(e.dst, e.dport, e.src, e.sport));
    if (!f) {
      if (e.flags & (TCP_FIN | TCP_RST)) this.stats.untracked += 1;
      return;
    }
    f.lastMicros = e.tsMicros;
    if (syn) {
      if (!fromClient) f.serverIsn = e.seq; // SYN-ACK
      return;
    }
    // FIN: its sequence number is that of its first data byte; the FIN itself follows its data.
    // RST: its sequence number is the next byte the sender would have sent.
    const end = (e.flags & TCP_FIN ? e.seq + e.payloadLength : e.seq) % MOD;
    if (e.flags & (TCP_FIN | TCP_RST)) {
      if (fromClient) f.clientEnd ??= end;
      else f.serverEnd ??= end;
    }
    const bothFinished = f.clientEnd !== null && f.serverEnd !== null;
    if (bothFinished || e.flags & TCP_RST) this.close(fromClient ? flowKey(e.src, e.sport, e.dst, e.dport) : flowKey(e.dst, e.dport, e.src, e.sport), f);
  }

  /** Attaches a server name (TLS SNI) to the open connection with this client and server endpoint. */
  name(client: string, clientPort: number, server: string, serverPort: number, serverName: string, ech = false): boolean {
    const f = this.flows.get(flowKey(client, clientPort, server, serverPort));
    if (!f) return false;
    f.serverName = serverName;
    f.ech = ech;
    return true;
  }

  private close(key: string, f: OpenFlow): void {
    this.flows.delete(key);
    this.stats.closed += 1;
    const sent = (isn: number | null, end: number | null) => (isn === null || end === null ? null : (end - isn - 1 + MOD) % MOD);
    const up = sent(f.clientIsn, f.clientEnd);
    const down = sent(f.serverIsn, f.serverEnd);
    this.onClose({
      client: f.client,
      server: f.server,
      clientPort: f.clientPort,
      serverPort: f.serverPort,
      bytesUp: up ?? 0,
      bytesDown: down ?? 0,
      startMicros: f.startMicros,
      endMicros: f.lastMicros,
      serverName: f.serverName,
      ech: f.ech,
      complete: up !== null && down !== null,
      exe: f.owner?.exe ?? null,
      user: f.owner?.user ?? null,
    });
  }

  /** Open connections not yet attributed to a process. */
  get unattributed(): number {
    let n = 0;
    for (const f of this.flows.values()) if (f.owner === null) n++;
    return n;
  }

  /** Attributes open connections to their owning process while they still exist (short ones close fast). */
  attribute(ownerOf: (p: { transport: 'tcp'; src: string; sport: number; dst: string; dport: number }) => FlowOwner | null): void {
    for (const f of this.flows.values()) {
      if (f.owner !== null) continue;
      const o = ownerOf({ transport: 'tcp', src: f.client, sport: f.clientPort, dst: f.server, dport: f.serverPort });
      if (o) f.owner = { exe: o.exe, user: o.user };
    }
  }

  /** Drops connections with no edge for longer than the idle limit. */
  expire(nowMicros: number): void {
    for (const [key, f] of this.flows) {
      if (nowMicros - f.lastMicros <= this.limits.idleMs * 1000) continue;
      this.flows.delete(key);
      this.stats.expired += 1;
    }
  }
}

/** NetworkEvent-compatible observation: one row per (process, server name, transport, port) per window. */
export interface NetworkObservation {
  type: 'network';
  window_start: string;
  window_end: string;
  server_name: string;
  name_source: 'dns' | 'tls-sni' | 'quic-sni' | 'dns-cache' | 'connection';
  transport: 'tcp' | 'udp';
  dst_port: number;
  process_exe: string | null;
  user: string | null;
  bytes_up: number;
  bytes_down: number;
  connections: number;
  /** Estimates derived from bytes (TOKEN_ESTIMATE), never exact counts. */
  est_tokens_in: number;
  est_tokens_out: number;
  ech: boolean;
}

export type FlowSighting = Omit<NetworkObservation, 'type' | 'window_start' | 'window_end' | 'est_tokens_in' | 'est_tokens_out'>;

/** Sums sightings per key within a window; `flush` returns the rows with token estimates and starts a new window. */
export class FlowWindow {
  private rows = new Map<string, FlowSighting>();
  dropped = 0;

  constructor(
    private windowStartMs: number,
    private readonly maxRows: number = FLOW_LIMITS.windowRows,
  ) {}

  add(s: FlowSighting): void {
    const key = `${s.process_exe ?? ''}|${s.server_name}|${s.transport}|${s.dst_port}|${s.user ?? ''}`;
    const row = this.rows.get(key);
    if (row) {
      row.bytes_up += s.bytes_up;
      row.bytes_down += s.bytes_down;
      row.connections += s.connections;
      row.ech ||= s.ech;
      // A stronger name source wins: SNI over DNS over cache over bare connection.
      if (SOURCE_RANK[s.name_source] > SOURCE_RANK[row.name_source]) row.name_source = s.name_source;
      return;
    }
    if (this.rows.size >= this.maxRows) {
      this.dropped += 1;
      return;
    }
    this.rows.set(key, { ...s });
  }

  get size(): number {
    return this.rows.size;
  }

  flush(nowMs: number): NetworkObservation[] {
    const start = new Date(this.windowStartMs).toISOString();
    const end = new Date(nowMs).toISOString();
    const out = [...this.rows.values()].map((r): NetworkObservation => {
      const est = estimateTokens(r.bytes_up, r.bytes_down, r.connections);
      return { type: 'network', window_start: start, window_end: end, ...r, est_tokens_in: est.in, est_tokens_out: est.out };
    });
    this.rows = new Map();
    this.windowStartMs = nowMs;
    return out;
  }
}

const SOURCE_RANK: Record<NetworkObservation['name_source'], number> = { connection: 0, 'dns-cache': 1, dns: 2, 'quic-sni': 3, 'tls-sni': 4 };
