/**
 * Builds protected QUIC client Initial packets from chosen frames (RFC 9001 §5), so tests can feed
 * the parser shapes real clients rarely send: shuffled CRYPTO, hostile offsets, random frames.
 * The RFC test vectors pin the real implementation; this only encrypts.
 */
import { createCipheriv } from 'node:crypto';
import { deriveClientInitialKeys, QUIC_V1, QUIC_V2 } from '../../src/network/quic.js';

export function varint(v: number): Buffer {
  if (v < 0x40) return Buffer.of(v);
  if (v < 0x4000) return Buffer.of(0x40 | (v >> 8), v & 0xff);
  if (v < 0x40000000) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v + 0x80000000, 0);
    return b;
  }
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(v) | (0xc0n << 56n), 0);
  return b;
}

export function cryptoFrame(offset: number, data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(0x06), varint(offset), varint(data.length), data]);
}

/** A TLS ClientHello handshake message (no record layer) carrying `sni` and optionally an ECH extension. */
export function clientHello(sni: string, opts: { ech?: boolean; padTo?: number } = {}): Buffer {
  const name = Buffer.from(sni, 'ascii');
  const sniBody = Buffer.concat([u16(name.length + 3), Buffer.of(0), u16(name.length), name]);
  const exts: Buffer[] = [Buffer.concat([u16(0), u16(sniBody.length), sniBody])];
  if (opts.ech) exts.push(Buffer.concat([u16(0xfe0d), u16(4), Buffer.of(0, 1, 2, 3)]));
  // A large extension (like a post-quantum key share) to push the hello over one packet.
  if (opts.padTo) exts.push(Buffer.concat([u16(0x0015), u16(opts.padTo), Buffer.alloc(opts.padTo)]));
  const extBytes = Buffer.concat(exts);
  const body = Buffer.concat([
    Buffer.of(3, 3),
    Buffer.alloc(32, 7),
    Buffer.of(0),
    u16(2),
    Buffer.of(0x13, 0x01),
    Buffer.of(1, 0),
    u16(extBytes.length),
    extBytes,
  ]);
  return Buffer.concat([Buffer.of(1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff), body]);
}

function u16(v: number): Buffer {
  return Buffer.of(v >> 8, v & 0xff);
}

/** One protected client Initial packet (2-byte packet number), frames padded to a 1200-byte datagram when `pad`. */
export function protectInitial(dcid: Buffer, pn: number, frames: Buffer, opts: { version?: number; pad?: boolean } = {}): Buffer {
  const version = opts.version ?? QUIC_V1;
  const keys = deriveClientInitialKeys(dcid, version)!;
  const typeBits = version === QUIC_V2 ? 0x10 : 0x00;
  const scid = Buffer.alloc(8, 0xab);
  const pre = Buffer.concat([Buffer.of(0xc0 | typeBits | 0x01), u32(version), Buffer.of(dcid.length), dcid, Buffer.of(scid.length), scid, varint(0)]);
  let payload = frames.length < 4 ? Buffer.concat([frames, Buffer.alloc(4 - frames.length)]) : frames;
  if (opts.pad) {
    const room = 1200 - pre.length - 2 - 2 - 16;
    if (payload.length < room) payload = Buffer.concat([payload, Buffer.alloc(room - payload.length)]);
  }
  const lengthField = Buffer.of(0x40 | ((2 + payload.length + 16) >> 8), (2 + payload.length + 16) & 0xff);
  const header = Buffer.concat([pre, lengthField, u16(pn & 0xffff)]);
  const nonce = Buffer.from(keys.iv);
  for (let i = 0, x = pn; i < 8 && x > 0; i++, x = Math.floor(x / 256)) nonce[11 - i]! ^= x % 256;
  const c = createCipheriv('aes-128-gcm', keys.key, nonce);
  c.setAAD(header);
  const sealed = Buffer.concat([c.update(payload), c.final(), c.getAuthTag()]);
  const pnOffset = header.length - 2;
  const sample = sealed.subarray(4 - 2, 20 - 2);
  const mask = createCipheriv('aes-128-ecb', keys.hp, null).update(sample);
  const out = Buffer.concat([header, sealed]);
  out[0]! ^= mask[0]! & 0x0f;
  out[pnOffset]! ^= mask[1]!;
  out[pnOffset + 1]! ^= mask[2]!;
  return out;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}
