// Capture conversions for record-captures.sh, for formats no tool records here:
//   big-endian IN OUT      rewrite a little-endian microsecond pcap in big-endian byte order
//   relink raw|null IN OUT strip the Ethernet header of each frame of an Ethernet pcap and write
//                          LINKTYPE_RAW (101) or LINKTYPE_NULL (0, 4-byte host-order address family)
import { readFileSync, writeFileSync } from 'node:fs';

const [mode, ...rest] = process.argv.slice(2);

function records(buf) {
  const out = [];
  for (let p = 24; p + 16 <= buf.length; ) {
    const len = buf.readUInt32LE(p + 8);
    out.push({ sec: buf.readUInt32LE(p), frac: buf.readUInt32LE(p + 4), orig: buf.readUInt32LE(p + 12), data: buf.subarray(p + 16, p + 16 + len) });
    p += 16 + len;
  }
  return out;
}

function write(out, linkType, recs, bigEndian) {
  const w32 = (b, v, at) => (bigEndian ? b.writeUInt32BE(v, at) : b.writeUInt32LE(v, at));
  const w16 = (b, v, at) => (bigEndian ? b.writeUInt16BE(v, at) : b.writeUInt16LE(v, at));
  const head = Buffer.alloc(24);
  w32(head, 0xa1b2c3d4, 0); w16(head, 2, 4); w16(head, 4, 6); w32(head, 262144, 16); w32(head, linkType, 20);
  const parts = [head];
  for (const r of recs) {
    const h = Buffer.alloc(16);
    w32(h, r.sec, 0); w32(h, r.frac, 4); w32(h, r.data.length, 8); w32(h, r.orig, 12);
    parts.push(h, r.data);
  }
  writeFileSync(out, Buffer.concat(parts));
}

if (mode === 'big-endian') {
  const [input, output] = rest;
  const buf = readFileSync(input);
  write(output, buf.readUInt32LE(20), records(buf), true);
} else if (mode === 'relink') {
  const [kind, input, output] = rest;
  const recs = records(readFileSync(input)).flatMap((r) => {
    const type = r.data.readUInt16BE(12);
    if (type !== 0x0800 && type !== 0x86dd) return [];
    const ip = r.data.subarray(14);
    if (kind === 'raw') return [{ ...r, data: ip, orig: r.orig - 14 }];
    const af = Buffer.alloc(4);
    af.writeUInt32LE(type === 0x0800 ? 2 : 30); // AF_INET, Darwin's AF_INET6
    return [{ ...r, data: Buffer.concat([af, ip]), orig: r.orig - 10 }];
  });
  write(output, kind === 'raw' ? 101 : 0, recs, false);
} else {
  console.error('usage: record-captures-convert.mjs big-endian IN OUT | relink raw|null IN OUT');
  process.exit(2);
}
