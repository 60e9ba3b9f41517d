// Network decode benchmark: packets per second per core through decode + DNS/TLS parsing +
// classification, on a mixed capture built in memory (mostly non-matching TCP/UDP traffic of
// realistic sizes, plus real DNS messages and real ClientHellos from agent/test/captures), and the
// same file through tshark (when installed) for the ratio. Prints one JSON object.
//   node --import tsx agent/bench/network-decode.ts [frames=200000]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultClassifier } from '@aiscout/signatures';
import { openCapture } from '../src/network/capture-file.js';
import { NetworkDecoder } from '../src/network/decode.js';
import type { NetworkFinding, RawFrame } from '../src/network/packet.js';
import { ipv4Frame, pcapFile, readFrames, view } from '../test/network-frames.js';

const FRAMES = Number(process.argv[2] ?? 200_000);
const classifier = defaultClassifier();

/** Real frames that carry names: every DNS frame, and each TLS client's SYN and ClientHello segments. */
function matchingFrames(): RawFrame[] {
  const out: RawFrame[] = [];
  for (const file of ['dns-udp-tcp.pcap', 'tls-clients.pcap', 'tls-chromium-pq.pcap']) {
    const helloBytesLeft = new Map<number, number>();
    for (const f of readFrames(file)) {
      const v = view(f);
      if (v === null) continue;
      if (v.sport === 53 || v.dport === 53) out.push(f);
      else if (v.transport === 'tcp' && v.dport === 443) {
        const p = v.payload();
        if (v.flags & 0x02) out.push(f);
        else if (p[0] === 22 && p.length >= 5) {
          helloBytesLeft.set(v.sport, 5 + ((p[3]! << 8) | p[4]!) - p.length);
          out.push(f);
        } else if ((helloBytesLeft.get(v.sport) ?? 0) > 0 && p.length > 0) {
          helloBytesLeft.set(v.sport, helloBytesLeft.get(v.sport)! - p.length);
          out.push(f);
        }
      }
    }
  }
  return out;
}

/** Ordinary traffic the sensor must skip: bulk TCP data and ACKs, HTTP, QUIC-sized UDP, NTP. */
function nonMatching(i: number): Uint8Array {
  const kind = i % 10;
  const src = [10, 1, (i >> 8) & 255, i & 255];
  const dst = [192, 0, 2, 10 + (i % 50)];
  const sport = 30000 + (i % 20000);
  if (kind < 4) return ipv4Frame({ src: dst, dst: src, proto: 'tcp', sport: 443, dport: sport, seq: i * 1448, flags: 0x10, payload: new Uint8Array(1448).fill(0x17) });
  if (kind < 7) return ipv4Frame({ src, dst, proto: 'tcp', sport, dport: 443, seq: i, flags: 0x10, payload: new Uint8Array(0) });
  if (kind === 7) return ipv4Frame({ src, dst, proto: 'tcp', sport, dport: 80, seq: i, flags: 0x18, payload: new Uint8Array(420).fill(0x41) });
  if (kind === 8) return ipv4Frame({ src, dst, proto: 'udp', sport, dport: 443, payload: new Uint8Array(1200).fill(0x40) });
  return ipv4Frame({ src, dst, proto: 'udp', sport: 123, dport: 123, payload: new Uint8Array(48) });
}

function mixedCapture(matching: RawFrame[], share: number): RawFrame[] {
  const out: RawFrame[] = [];
  let m = 0;
  let ts = 1_763_000_000_000_000;
  for (let i = 0; i < FRAMES; i++) {
    ts += 10;
    if (i % share === 0) {
      // Whole runs of real frames, so TCP streams see their segments in order.
      const f = matching[m++ % matching.length]!;
      out.push({ tsMicros: ts, linkType: f.linkType, data: f.data });
    } else out.push({ tsMicros: ts, linkType: 1, data: nonMatching(i) });
  }
  return out;
}

function run(frames: RawFrame[]): { seconds: number; findings: number; ai: number } {
  let findings = 0;
  let ai = 0;
  const onFinding = (f: NetworkFinding): void => {
    findings++;
    if (classifier.classify({ type: 'host', name: f.name }).tool !== null) ai++;
  };
  const decoder = new NetworkDecoder({ onFinding });
  const start = process.hrtime.bigint();
  for (const f of frames) decoder.feed(f);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, findings, ai };
}

function best(frames: RawFrame[], rounds = 5): { seconds: number; findings: number; ai: number } {
  run(frames); // warm-up (JIT)
  let r = run(frames);
  for (let i = 1; i < rounds; i++) {
    const next = run(frames);
    if (next.seconds < r.seconds) r = next;
  }
  return r;
}

function tshark(file: string): { seconds: number; lines: number } | null {
  if (spawnSync('tshark', ['--version']).status !== 0) return null;
  const start = process.hrtime.bigint();
  const r = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'dns.qry.name', '-e', 'tls.handshake.extensions_server_name', '-Y', 'dns or tls.handshake.type == 1'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return r.status === 0 ? { seconds, lines: r.stdout.split('\n').filter((l) => l.trim() !== '').length } : null;
}

const matching = matchingFrames();
const onlyMatching = Array.from({ length: Math.ceil(100_000 / matching.length) }, () => matching).flat();
const mixed = mixedCapture(matching, 20);
const handshake = best(onlyMatching);
const mix = best(mixed);

const dir = mkdtempSync(path.join(os.tmpdir(), 'aiscout-bench-'));
try {
  const file = path.join(dir, 'mixed.pcap');
  const bytes = pcapFile(mixed);
  writeFileSync(file, bytes);
  // Our whole path from the file, as tshark runs it: read + decode + classify.
  const start = process.hrtime.bigint();
  const reader = openCapture(file);
  let fileFindings = 0;
  const decoder = new NetworkDecoder({ onFinding: (f) => (fileFindings++, classifier.classify({ type: 'host', name: f.name })) });
  for (let f = reader.next(); f !== null; f = reader.next()) decoder.feed(f);
  reader.close();
  const fileSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const t = tshark(file);
  const result = {
    benchmark: 'network-decode',
    node: process.version,
    frames_mixed: mixed.length,
    matching_share: 1 / 20,
    mixed_packets_per_second: Math.round(mixed.length / mix.seconds),
    handshake_dns_packets_per_second: Math.round(onlyMatching.length / handshake.seconds),
    handshake_dns_frames: onlyMatching.length,
    findings_mixed: mix.findings,
    ai_findings_mixed: mix.ai,
    file_bytes: bytes.length,
    file_packets_per_second: Math.round(mixed.length / fileSeconds),
    file_findings: fileFindings,
    tshark_seconds: t?.seconds ?? null,
    tshark_packets_per_second: t ? Math.round(mixed.length / t.seconds) : null,
    tshark_names: t?.lines ?? null,
    speedup_vs_tshark: t ? Math.round((t.seconds / fileSeconds) * 10) / 10 : null,
    note: t ? 'single core each; tshark -r FILE -T fields -Y "dns or tls.handshake.type == 1"' : 'tshark not installed: no comparison',
  };
  console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
