// A tiny authoritative DNS responder for record-captures.sh (UDP and TCP on port 53 of the
// address given), answering a fixed table of names. Answers use compression pointers back to the
// question, a CNAME chain and an HTTPS record with address hints, so the captures exercise them.
//   node record-captures-dns.mjs 10.99.0.2 fd99::2
import dgram from 'node:dgram';
import net from 'node:net';

const A = 1, CNAME = 5, AAAA = 28, HTTPS = 65;
const table = {
  'api.anthropic.com': [[A, '10.99.0.2'], [AAAA, 'fd99::2']],
  'api.openai.com': [[CNAME, 'api.openai.com.cdn.cloudflare.net'], [A, '10.99.0.3', 'api.openai.com.cdn.cloudflare.net']],
  'chatgpt.com': [[HTTPS, { hint4: '10.99.0.4', hint6: 'fd99::4' }], [A, '10.99.0.4']],
  'github.com': [[A, '10.99.0.5']],
  'claude.ai': [[A, '10.99.0.6']],
};

function name(n) {
  const parts = n === '' ? [] : n.split('.');
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])), Buffer.from([0])]);
}
function ip4(s) { return Buffer.from(s.split('.').map(Number)); }
function ip6(s) {
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(groups.flatMap((g) => { const v = parseInt(g, 16); return [v >> 8, v & 255]; }));
}
function u16(v) { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; }
function u32(v) { const b = Buffer.alloc(4); b.writeUInt32BE(v); return b; }

function answer(query) {
  const id = query.readUInt16BE(0);
  let p = 12; const labels = [];
  while (query[p] !== 0) { labels.push(query.subarray(p + 1, p + 1 + query[p]).toString()); p += 1 + query[p]; }
  const qname = labels.join('.').toLowerCase();
  const qtype = query.readUInt16BE(p + 1);
  const question = query.subarray(12, p + 5);
  const rrs = [];
  const known = table[qname];
  for (const [type, value, owner] of known ?? []) {
    if (type !== qtype && type !== CNAME && !(qtype === A && type === A)) continue;
    if (qtype === HTTPS && type !== HTTPS) continue;
    if (qtype === AAAA && type === A) continue;
    const ownerName = owner ? name(owner) : Buffer.from([0xc0, 12]); // pointer to the question name
    let rdata;
    if (type === A) rdata = ip4(value);
    else if (type === AAAA) rdata = ip6(value);
    else if (type === CNAME) rdata = name(value);
    else rdata = Buffer.concat([u16(1), Buffer.from([0]), u16(1), u16(6), Buffer.from([2, 0x68, 0x33, 2, 0x68, 0x32]), u16(4), u16(4), ip4(value.hint4), u16(6), u16(16), ip6(value.hint6)]);
    rrs.push(Buffer.concat([ownerName, u16(type), u16(1), u32(300), u16(rdata.length), rdata]));
  }
  const flags = 0x8400 | (query.readUInt16BE(2) & 0x0100) | (known ? 0 : 3);
  return Buffer.concat([u16(id), u16(flags), u16(1), u16(rrs.length), u16(0), u16(0), question, ...rrs]);
}

for (const address of process.argv.slice(2)) {
  const udp = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  udp.on('message', (msg, rinfo) => udp.send(answer(msg), rinfo.port, rinfo.address));
  udp.bind(53, address);
  net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const a = answer(msg);
        sock.write(Buffer.concat([u16(a.length), a]));
      }
    });
    sock.on('error', () => {});
  }).listen(53, address);
}
console.log('dns ready');
