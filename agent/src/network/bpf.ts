/**
 * The kernel filter for live capture: only the packets the network sensor parses reach user space.
 * Written against pcap-filter(7); every clause is compiled by libpcap in the tests.
 *
 *  1. DNS: `udp port P or tcp port P` for each resolver port (53 by default). DNS traffic is small.
 *  2. TLS handshakes and connection edges on each TLS port (443 by default), for IPv4 and IPv6:
 *     - SYN, FIN or RST segments in either direction (flow byte accounting reads sequence numbers
 *       from them, see flows.ts), and
 *     - client-to-server segments that carry data (`clientData: 'all'`, the default), or only those
 *       whose TCP payload starts with 0x16, a TLS handshake record (`clientData: 'handshake-start'`).
 *       Why 'all' is the default: a browser's ClientHello with a post-quantum key share (~1.8 KB)
 *       spans two segments, browsers shuffle extension order, and the continuation segment does not
 *       start with 0x16 — so the tight filter loses the SNI whenever it sits in the second segment.
 *       Client-to-server data is the small direction for ordinary use (downloads stay out), and the
 *       reassembler drops a flow's later segments at a glance once its ClientHello is complete.
 *       The payload offset is the TCP data offset: `(tcp[12] & 0xf0) >> 2` bytes.
 *  3. QUIC long-header packets sent to each QUIC port (UDP 443): the first payload byte has its
 *     high bit set (RFC 9000 §17.2). Short-header (1-RTT) packets, i.e. all bulk data, stay out.
 *
 * pcap-filter's `tcp[]`/`udp[]` accessors only apply to IPv4, so the IPv6 clauses index from the
 * IPv6 header instead (`ip6[40 + …]`), which assumes no extension header between IPv6 and TCP/UDP:
 * the case for ordinary client traffic. Bytes of a payload past the captured length read as "no
 * match" in BPF, so an empty segment never matches the 0x16 test.
 */

export interface FilterPorts {
  /** Resolver ports (UDP and TCP). */
  dns: number[];
  /** TCP ports whose TLS handshakes and connection edges are captured. */
  tls: number[];
  /** UDP ports whose QUIC long-header packets are captured (client to server). */
  quic: number[];
  /** Which client-to-server TLS-port segments with data pass (see above). Default 'all'. */
  clientData?: 'all' | 'handshake-start';
}

export const DEFAULT_PORTS: FilterPorts = { dns: [53], tls: [443], quic: [443] };

export class FilterConfigError extends Error {
  override readonly name = 'FilterConfigError';
}

function portList(kind: string, ports: number[]): number[] {
  const unique = [...new Set(ports)];
  for (const p of unique) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new FilterConfigError(`${kind} port ${String(p)} is not an integer in 1..65535`);
  }
  if (unique.length > 32) throw new FilterConfigError(`${kind}: at most 32 ports (got ${unique.length})`);
  return unique.sort((a, b) => a - b);
}

/** `(port 1 or port 2)` with an optional qualifier (`dst`, `src`). */
function ports(qual: string, list: number[]): string {
  const prefix = qual ? `${qual} ` : '';
  return list.length === 1 ? `${prefix}port ${list[0]}` : `(${list.map((p) => `${prefix}port ${p}`).join(' or ')})`;
}

/** The libpcap filter expression for the given ports. Throws FilterConfigError on a bad port. */
export function buildCaptureFilter(config: FilterPorts = DEFAULT_PORTS): string {
  const dns = portList('dns', config.dns);
  const tls = portList('tls', config.tls);
  const quic = portList('quic', config.quic);
  const clauses: string[] = [];
  if (dns.length) clauses.push(`(${ports('', dns)} and (udp or tcp))`);
  if (tls.length) {
    // 0x07 = FIN|SYN|RST. IPv4 header length varies, so use tcp[]; IPv6 indexes past its 40-byte header.
    const all = (config.clientData ?? 'all') === 'all';
    const v4Data = all
      ? `ip[2:2] - ((ip[0] & 0x0f) << 2) - ((tcp[12] & 0xf0) >> 2) > 0`
      : `tcp[((tcp[12] & 0xf0) >> 2)] = 0x16`;
    const v6Data = all ? `ip6[4:2] - ((ip6[52] & 0xf0) >> 2) > 0` : `ip6[40 + ((ip6[52] & 0xf0) >> 2)] = 0x16`;
    clauses.push(`(ip and tcp and ${ports('', tls)} and (tcp[13] & 0x07 != 0 or (${ports('dst', tls)} and ${v4Data})))`);
    clauses.push(`(ip6 and ip6[6] = 6 and ${ports('', tls)} and (ip6[53] & 0x07 != 0 or (${ports('dst', tls)} and ${v6Data})))`);
  }
  if (quic.length) {
    clauses.push(`(ip and udp and ${ports('dst', quic)} and udp[8] & 0x80 != 0)`);
    clauses.push(`(ip6 and ip6[6] = 17 and ${ports('dst', quic)} and ip6[48] & 0x80 != 0)`);
  }
  if (clauses.length === 0) throw new FilterConfigError('no ports configured: the filter would capture nothing');
  return clauses.join(' or ');
}
