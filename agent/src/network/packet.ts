/** Shapes shared by the network sensor's parts: capture sources, decoders and protocol parsers. */

/** One captured frame as a source delivers it. */
export interface RawFrame {
  /** Capture time, microseconds since the epoch (nanosecond files are rounded down). */
  tsMicros: number;
  /** Link-layer type (LINKTYPE_* numbers from the pcap registry: 1 Ethernet, 113 SLL, 276 SLL2, 101 raw, 0 null, 228 IPv4, 229 IPv6). */
  linkType: number;
  data: Uint8Array;
  /** Interface index in a pcapng file or the live interface name. */
  iface?: number | string;
}

/** A UDP datagram or TCP segment, decoded down to its transport payload. */
export interface TransportPacket {
  tsMicros: number;
  ip: 4 | 6;
  src: string;
  dst: string;
  transport: 'tcp' | 'udp';
  sport: number;
  dport: number;
  /** TCP only. */
  seq?: number;
  flags?: number;
  /** Total IP payload length on the wire (for byte accounting even when the capture is truncated). */
  wireLength: number;
  payload: Uint8Array;
}

/** What the parsers find; also the JSON line `aiscout-agent pcap` prints (plus `tool`). */
export interface NetworkFinding {
  ts: string;
  kind: 'dns-query' | 'dns-answer' | 'tls-sni' | 'quic-sni';
  name: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  transport: 'tcp' | 'udp';
  ip: 4 | 6;
  /** dns-answer: the addresses the name resolved to, with TTL; tls/quic: whether ECH was offered. */
  addresses?: { address: string; ttl: number }[];
  /** dns-answer: aliases followed from the name (CNAME, HTTPS/SVCB targets), in order; absent when none. */
  cnames?: string[];
  ech?: boolean;
}
