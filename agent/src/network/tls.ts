/**
 * TLS ClientHello: the record layer (RFC 8446 §5.1; versions 0x0300–0x0304 on the wire), a handshake
 * message spanning several records, and the ClientHello body (RFC 8446 §4.1.2) down to the
 * server_name extension (RFC 6066 §3) and the ECH extension (draft-ietf-tls-esni, 0xfe0d: the SNI
 * seen is then the outer, public name). GREASE values (RFC 8701) are unknown extension types and
 * are skipped like any other. Every function returns a status or null; nothing throws.
 */
import { u16, u24 } from './bytes.js';

const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
/** RFC 8446 §5.1: a plaintext record is at most 2^14 bytes. */
const MAX_RECORD = 16384;
const EXT_SERVER_NAME = 0x0000;
const EXT_ECH = 0xfe0d;
const SNI_HOST_NAME = 0;
const MAX_HOST_NAME = 253;

export interface ClientHello {
  /** The server_name host name, lower case; null when the hello carries none. */
  sni: string | null;
  /** The ECH extension is present (a real ECH offer and Chrome's GREASE ECH look the same on the wire). */
  ech: boolean;
  /** legacy_version of the hello (0x0303 for TLS 1.2 and 1.3). */
  version: number;
}

/** Outcomes of reading a ClientHello from the start of a client's byte stream. */
export const HELLO_NEED_MORE = 0;
export const HELLO_NOT_TLS = 1;
export const HELLO_TOO_BIG = 2;
export const HELLO_MALFORMED = 3;
export type HelloStatus = typeof HELLO_NEED_MORE | typeof HELLO_NOT_TLS | typeof HELLO_TOO_BIG | typeof HELLO_MALFORMED;

/** Whether `b[at..]` starts like a TLS handshake record carrying a ClientHello (cheap first-segment test). */
export function looksLikeClientHello(b: Uint8Array, at: number, length: number): boolean {
  if (length < 6) return false;
  return b[at] === CONTENT_HANDSHAKE && b[at + 1] === 3 && (b[at + 2] as number) <= 4 && b[at + 5] === HANDSHAKE_CLIENT_HELLO;
}

/**
 * Reads the ClientHello at the start of a client stream `b[0..length)` (records not yet stripped).
 * Returns the hello, or a status: need more bytes, not TLS, larger than `cap` bytes, malformed.
 */
export function clientHelloFromStream(b: Uint8Array, length: number, cap: number): ClientHello | HelloStatus {
  if (length < 5) return HELLO_NEED_MORE;
  let needed = -1; // handshake message length (with its 4-byte header) once known
  let collected: Uint8Array | null = null; // only when the message spans records
  let have = 0;
  for (let pos = 0; ; ) {
    if (pos + 5 > length) return pos + 5 > cap ? HELLO_TOO_BIG : HELLO_NEED_MORE;
    if (b[pos] !== CONTENT_HANDSHAKE || b[pos + 1] !== 3 || (b[pos + 2] as number) > 4) return HELLO_NOT_TLS;
    const recordLength = u16(b, pos + 3);
    if (recordLength === 0 || recordLength > MAX_RECORD) return HELLO_MALFORMED;
    const body = pos + 5;
    if (body + recordLength > length) return body + recordLength > cap ? HELLO_TOO_BIG : HELLO_NEED_MORE;
    if (needed < 0) {
      // The 4-byte handshake header may itself be split across records; RFC 8446 allows it, nobody does it.
      if (recordLength < 4) return HELLO_MALFORMED;
      if (b[body] !== HANDSHAKE_CLIENT_HELLO) return HELLO_NOT_TLS;
      needed = 4 + u24(b, body + 1);
      if (needed > cap) return HELLO_TOO_BIG;
      if (recordLength >= needed) return parseClientHello(b, body + 4, body + needed);
      collected = new Uint8Array(needed);
    }
    const take = Math.min(recordLength, needed - have);
    (collected as Uint8Array).set(b.subarray(body, body + take), have);
    have += take;
    if (have >= needed) return parseClientHello(collected as Uint8Array, 4, needed);
    pos = body + recordLength;
  }
}

function hostName(b: Uint8Array, at: number, len: number): string | null {
  if (len === 0 || len > MAX_HOST_NAME) return null;
  let s = '';
  for (let i = at; i < at + len; i++) {
    let c = b[i] as number;
    // Host names are ASCII (RFC 6066 §3); control characters, spaces and bytes above 0x7e are refused.
    if (c <= 0x20 || c >= 0x7f) return null;
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    s += String.fromCharCode(c);
  }
  return s;
}

/** Parses a ClientHello body `b[at..end)` (after the handshake header); null when malformed. */
export function parseClientHello(b: Uint8Array, at: number, end: number): ClientHello | HelloStatus {
  let p = at;
  if (p + 2 + 32 + 1 > end) return HELLO_MALFORMED;
  const version = u16(b, p);
  if (b[p] !== 3) return HELLO_MALFORMED;
  p += 2 + 32; // legacy_version, random
  const sessionId = b[p] as number;
  if (sessionId > 32) return HELLO_MALFORMED;
  p += 1 + sessionId;
  if (p + 2 > end) return HELLO_MALFORMED;
  const suites = u16(b, p);
  if (suites < 2 || suites % 2 !== 0) return HELLO_MALFORMED;
  p += 2 + suites;
  if (p + 1 > end) return HELLO_MALFORMED;
  const compression = b[p] as number;
  if (compression < 1) return HELLO_MALFORMED;
  p += 1 + compression;
  if (p > end) return HELLO_MALFORMED;
  const hello: ClientHello = { sni: null, ech: false, version };
  if (p === end) return hello; // no extensions (SSL 3.0 / early TLS 1.0 clients)
  if (p + 2 > end) return HELLO_MALFORMED;
  const extEnd = p + 2 + u16(b, p);
  if (extEnd > end) return HELLO_MALFORMED;
  p += 2;
  let sniSeen = false;
  while (p + 4 <= extEnd) {
    const type = u16(b, p);
    const len = u16(b, p + 2);
    const v = p + 4;
    if (v + len > extEnd) return HELLO_MALFORMED;
    if (type === EXT_SERVER_NAME && !sniSeen) {
      sniSeen = true;
      // ServerNameList: length, then (name_type, HostName<1..2^16-1>) entries; the first host_name counts.
      if (len >= 2 && v + 2 + u16(b, v) <= v + len) {
        const listEnd = v + 2 + u16(b, v);
        for (let q = v + 2; q + 3 <= listEnd; ) {
          const nameLength = u16(b, q + 1);
          if (q + 3 + nameLength > listEnd) break;
          if (b[q] === SNI_HOST_NAME) {
            hello.sni = hostName(b, q + 3, nameLength);
            break;
          }
          q += 3 + nameLength;
        }
      }
    } else if (type === EXT_ECH) {
      hello.ech = true;
    }
    p = v + len;
  }
  return hello;
}

export function isClientHello(r: ClientHello | HelloStatus): r is ClientHello {
  return typeof r === 'object';
}
