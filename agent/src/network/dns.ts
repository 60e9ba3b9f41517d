/**
 * DNS messages (RFC 1035 §4.1) with the hardening a sensor on hostile traffic needs: compression
 * pointers (§4.1.4) must point strictly backwards — each jump lands before the previous one, so a
 * loop is impossible — jumps are capped, and names are limited to 255 octets in wire form. Answers:
 * A/AAAA (address → name with TTL), CNAME chains, HTTPS/SVCB (RFC 9460) ipv4hint/ipv6hint/target.
 * DNS over TCP (RFC 7766 §8) is framed by a two-byte length; see TcpReassembler.
 * Every function returns null on malformed input; nothing throws.
 */
import { ipv4String, ipv6String, u16, u32 } from './bytes.js';

export const DNS_TYPE = { A: 1, CNAME: 5, AAAA: 28, SVCB: 64, HTTPS: 65 } as const;
const HEADER = 12;
const MAX_NAME_WIRE = 255;
const MAX_POINTER_JUMPS = 32;
/** Questions and answer records read per message; real messages have 1 and a handful. */
const MAX_QUESTIONS = 8;
const MAX_ANSWERS = 64;
const SVC_IPV4HINT = 4;
const SVC_IPV6HINT = 6;

export interface DnsQuestion {
  name: string;
  type: number;
}

export interface DnsAnswer {
  name: string;
  type: number;
  ttl: number;
  /** A/AAAA: the address; CNAME: the target; HTTPS/SVCB: the target name ('' when it is the owner). */
  value: string;
  /** HTTPS/SVCB: the addresses of ipv4hint/ipv6hint. */
  hints?: string[];
}

export interface DnsMessage {
  id: number;
  response: boolean;
  opcode: number;
  rcode: number;
  truncated: boolean;
  questions: DnsQuestion[];
  answers: DnsAnswer[];
}

/** Where the name just read ended (module scratch, so reading a name allocates only its string). */
let nameNext = 0;

function labelText(b: Uint8Array, at: number, len: number): string {
  let s = '';
  for (let i = at; i < at + len; i++) {
    let c = b[i] as number;
    if (c >= 0x41 && c <= 0x5a) c += 0x20; // DNS names compare case-insensitively: report lower case
    // Presentation format (RFC 4343): escape the dot, the backslash and non-printable bytes.
    if (c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c) s += String.fromCharCode(c);
    else s += `\\${String(c).padStart(3, '0')}`;
  }
  return s;
}

/**
 * Reads the (possibly compressed) name at `at` of the message `b[msg..end)`; returns it without
 * the trailing dot ('' for the root), or null when it is malformed. Sets nameNext.
 */
export function readName(b: Uint8Array, msg: number, end: number, at: number): string | null {
  let pos = at;
  let runStart = at; // a pointer must land before the run of labels it is part of
  let jumps = 0;
  let wire = 0;
  let next = -1;
  let name = '';
  for (;;) {
    if (pos >= end) return null;
    const len = b[pos] as number;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= end) return null;
      const target = msg + (((len & 0x3f) << 8) | (b[pos + 1] as number));
      if (target >= runStart || target < msg + HEADER || ++jumps > MAX_POINTER_JUMPS) return null;
      if (next < 0) next = pos + 2;
      pos = target;
      runStart = target;
      continue;
    }
    if (kind !== 0) return null; // 0x40 extended and 0x80 reserved label types
    wire += len + 1;
    if (wire + 1 > MAX_NAME_WIRE || pos + 1 + len > end) return null;
    name += name === '' ? labelText(b, pos + 1, len) : `.${labelText(b, pos + 1, len)}`;
    pos += 1 + len;
  }
  nameNext = next;
  return name;
}

/** Skips a name without building it (for sections we do not report); returns the next offset or -1. */
function skipName(b: Uint8Array, end: number, at: number): number {
  let pos = at;
  for (let labels = 0; labels < 128; labels++) {
    if (pos >= end) return -1;
    const len = b[pos] as number;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2 <= end ? pos + 2 : -1;
    if (len & 0xc0) return -1;
    pos += 1 + len;
  }
  return -1;
}

function svcHints(b: Uint8Array, at: number, end: number): string[] | undefined {
  let hints: string[] | undefined;
  for (let p = at; p + 4 <= end; ) {
    const key = u16(b, p);
    const len = u16(b, p + 2);
    const v = p + 4;
    if (v + len > end) return hints;
    if (key === SVC_IPV4HINT && len % 4 === 0) {
      for (let i = v; i < v + len; i += 4) (hints ??= []).push(ipv4String(b, i));
    } else if (key === SVC_IPV6HINT && len % 16 === 0) {
      for (let i = v; i < v + len; i += 16) (hints ??= []).push(ipv6String(b, i));
    }
    p = v + len;
  }
  return hints;
}

/** RFC 2181 §8: a TTL with the top bit set is treated as zero. */
function ttlOf(raw: number): number {
  return raw > 0x7fffffff ? 0 : raw;
}

/** Parses the DNS message `b[at..at+length)`. Returns null when it is not a well-formed message. */
export function parseDns(b: Uint8Array, at: number, length: number): DnsMessage | null {
  const end = at + length;
  if (length < HEADER || end > b.length) return null;
  const flags = u16(b, at + 2);
  const qd = u16(b, at + 4);
  const an = u16(b, at + 6);
  if (qd === 0 || qd > MAX_QUESTIONS) return null;
  const msg: DnsMessage = {
    id: u16(b, at),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0x0f,
    rcode: flags & 0x0f,
    truncated: (flags & 0x0200) !== 0,
    questions: [],
    answers: [],
  };
  let pos = at + HEADER;
  for (let i = 0; i < qd; i++) {
    const name = readName(b, at, end, pos);
    if (name === null || nameNext + 4 > end) return null;
    msg.questions.push({ name, type: u16(b, nameNext) });
    pos = nameNext + 4;
  }
  if (!msg.response) return msg;
  const answers = Math.min(an, MAX_ANSWERS);
  for (let i = 0; i < answers; i++) {
    const nameAt = pos;
    const afterName = skipName(b, end, pos);
    if (afterName < 0 || afterName + 10 > end) return msg; // keep what was read before the damage
    const type = u16(b, afterName);
    const ttl = ttlOf(u32(b, afterName + 4));
    const rdLength = u16(b, afterName + 8);
    const rd = afterName + 10;
    if (rd + rdLength > end) return msg; // keep what was read before the damage
    pos = rd + rdLength;
    let value: string | null = null;
    let hints: string[] | undefined;
    if (type === DNS_TYPE.A && rdLength === 4) value = ipv4String(b, rd);
    else if (type === DNS_TYPE.AAAA && rdLength === 16) value = ipv6String(b, rd);
    else if (type === DNS_TYPE.CNAME) value = readName(b, at, rd + rdLength, rd);
    else if ((type === DNS_TYPE.HTTPS || type === DNS_TYPE.SVCB) && rdLength >= 3) {
      value = readName(b, at, rd + rdLength, rd + 2);
      if (value !== null) hints = svcHints(b, nameNext, rd + rdLength);
    }
    if (value === null) continue; // other types (TXT, MX...) and malformed record data
    const name = readName(b, at, end, nameAt);
    if (name === null) continue;
    const answer: DnsAnswer = { name, type, ttl, value };
    if (hints !== undefined) answer.hints = hints;
    msg.answers.push(answer);
  }
  return msg;
}

export interface ResolvedName {
  /** The name asked for. */
  name: string;
  /** Aliases followed from the name (CNAME, HTTPS/SVCB targets), in order. */
  cnames: string[];
  addresses: { address: string; ttl: number }[];
}

/** Chains followed per question; CNAME chains longer than this are not seen in practice. */
const MAX_CHAIN = 16;

/**
 * For each question of a response, the addresses its name resolved to, following CNAME and
 * HTTPS/SVCB aliases in the answer section. The TTL of an address is the smallest along its chain.
 */
export function resolveAnswers(msg: DnsMessage): ResolvedName[] {
  const out: ResolvedName[] = [];
  for (const q of msg.questions) {
    const cnames: string[] = [];
    const addresses: { address: string; ttl: number }[] = [];
    let current = q.name;
    let chainTtl = Number.MAX_SAFE_INTEGER;
    for (let hop = 0; hop < MAX_CHAIN; hop++) {
      let alias: string | null = null;
      for (const a of msg.answers) {
        if (a.name !== current) continue;
        if (a.type === DNS_TYPE.A || a.type === DNS_TYPE.AAAA) {
          addresses.push({ address: a.value, ttl: Math.min(a.ttl, chainTtl) });
        } else if (a.type === DNS_TYPE.HTTPS || a.type === DNS_TYPE.SVCB) {
          for (const h of a.hints ?? []) addresses.push({ address: h, ttl: Math.min(a.ttl, chainTtl) });
          if (a.value !== '' && alias === null && a.value !== q.name && !cnames.includes(a.value)) alias = a.value;
        } else if (a.type === DNS_TYPE.CNAME && alias === null && a.value !== q.name && !cnames.includes(a.value)) {
          alias = a.value;
          chainTtl = Math.min(chainTtl, a.ttl);
        }
      }
      if (alias === null) break;
      cnames.push(alias);
      current = alias;
    }
    if (addresses.length > 0 || cnames.length > 0) out.push({ name: q.name, cnames, addresses });
  }
  return out;
}
