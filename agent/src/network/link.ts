/**
 * Link layers: where the IP header starts in a frame of a given LINKTYPE (pcap link-type registry,
 * https://www.tcpdump.org/linktypes.html). Returns -1 for frames that do not carry IPv4/IPv6.
 */
import { u16, u32, u32le } from './bytes.js';

export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW_12: 12,
  RAW_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100; // 802.1Q
const ETHERTYPE_QINQ = 0x88a8; // 802.1ad
const ETHERTYPE_QINQ_OLD = 0x9100;
/** Stacked VLAN tags we walk before giving up (QinQ is 2; more is not seen in practice). */
const MAX_VLAN_TAGS = 4;

/** BSD address-family values for IPv6 differ per OS (NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30); Linux 10. */
function isNullFamily(af: number): boolean {
  return af === 2 || af === 10 || af === 24 || af === 28 || af === 30;
}

function afterEthertype(b: Uint8Array, typeAt: number): number {
  let at = typeAt;
  for (let tags = 0; tags <= MAX_VLAN_TAGS; tags++) {
    if (at + 2 > b.length) return -1;
    const type = u16(b, at);
    if (type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6) return at + 2;
    if (type !== ETHERTYPE_VLAN && type !== ETHERTYPE_QINQ && type !== ETHERTYPE_QINQ_OLD) return -1;
    at += 4; // TCI (2 bytes) then the next ethertype
  }
  return -1;
}

/** Offset of the IP header inside `b` for link type `linkType`, or -1 when there is none. */
export function ipOffset(linkType: number, b: Uint8Array): number {
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      // dst(6) src(6) ethertype(2); 802.3 length frames (< 0x0600) carry LLC, not IP.
      return afterEthertype(b, 12);
    case LINKTYPE.LINUX_SLL:
      // packet type(2) ARPHRD(2) address length(2) address(8) protocol(2)
      return afterEthertype(b, 14);
    case LINKTYPE.LINUX_SLL2: {
      // protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) address length(1) address(8)
      if (b.length < 20) return -1;
      const type = u16(b, 0);
      return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? 20 : -1;
    }
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_12:
    case LINKTYPE.RAW_14:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      return 0;
    case LINKTYPE.NULL: {
      // Address family in the capturing host's byte order: try both.
      if (b.length < 4) return -1;
      return isNullFamily(u32le(b, 0)) || isNullFamily(u32(b, 0)) ? 4 : -1;
    }
    case LINKTYPE.LOOP:
      if (b.length < 4) return -1;
      return isNullFamily(u32(b, 0)) ? 4 : -1;
    default:
      return -1;
  }
}

/** Whether this decoder understands the link type at all (for a one-time "unsupported" notice). */
export function isSupportedLinkType(linkType: number): boolean {
  return (Object.values(LINKTYPE) as number[]).includes(linkType);
}
