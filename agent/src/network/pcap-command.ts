/**
 * `aiscout-agent pcap FILE...`: the network sensor over capture files. Prints one JSON line per
 * finding (DNS query/answer, TLS SNI, QUIC Initial SNI) with the catalog's tool, for incident response ("which AI
 * endpoints appear in this capture?") and for checking the sensor against a known capture.
 */
import type { Classifier } from '@aiscout/signatures';
import { openCapture, type CaptureReader } from './capture-file.js';
import { NetworkDecoder } from './decode.js';
import { classifyFinding, findingJsonLine } from './findings.js';
import { isoMicros } from './bytes.js';
import type { PacketView } from './ip.js';
import type { NetworkFinding } from './packet.js';
import { extractQuicSni, QuicReassembly } from './quic.js';

export interface PcapIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface PcapOptions {
  classifier: Pick<Classifier, 'classify'>;
  /** Only findings whose name the catalog maps to a tool. */
  aiOnly?: boolean;
  /** After each file, one JSON line of decoder statistics on stderr. */
  stats?: boolean;
}

const FLUSH_BYTES = 64 * 1024;

/** Reads each file in turn; returns 0 when every file was read to its end, 1 when one could not be. */
export function runPcap(files: string[], io: PcapIo, options: PcapOptions): number {
  let status = 0;
  for (const file of files) {
    let reader: CaptureReader;
    try {
      reader = openCapture(file);
    } catch (err) {
      io.stderr(`aiscout-agent pcap: ${file}: ${(err as Error).message}\n`);
      status = 1;
      continue;
    }
    let out = '';
    const onFinding = (f: NetworkFinding): void => {
      const c = classifyFinding(f, options.classifier);
      if (options.aiOnly && c.tool === null) return;
      out += `${findingJsonLine(c)}\n`;
      if (out.length >= FLUSH_BYTES) {
        io.stdout(out);
        out = '';
      }
    };
    // One decoder per file: a stream never continues from one capture into the next.
    const quic = new QuicReassembly();
    const onUdp = (v: PacketView): void => quicFinding(v, quic, onFinding);
    const decoder = new NetworkDecoder({ onFinding, onUdp });
    try {
      for (let frame = reader.next(); frame !== null; frame = reader.next()) decoder.feed(frame);
    } finally {
      reader.close();
    }
    if (out !== '') io.stdout(out);
    if (reader.error !== null) {
      // What was read before the damage is printed: a capture cut short (tcpdump killed) is common.
      io.stderr(`aiscout-agent pcap: ${file}: ${reader.error} (after ${reader.frames} frames)\n`);
      status = 1;
    }
    if (options.stats) {
      io.stderr(`${JSON.stringify({ file, skipped: reader.skipped, ...decoder.stats, reassembly: decoder.reassembly.stats })}\n`);
    }
  }
  return status;
}

/** QUIC long-header datagrams: the Initial's ClientHello SNI (parsed by quic.ts). */
function quicFinding(v: PacketView, quic: QuicReassembly, onFinding: (f: NetworkFinding) => void): void {
  if (v.payloadLength === 0 || ((v.data[v.payloadAt] as number) & 0x80) === 0) return;
  const src = v.src();
  const r = extractQuicSni(v.payload(), quic, { flowKey: `${src}|${v.sport}`, nowMs: v.tsMicros / 1000 });
  if (!r) return;
  onFinding({ ts: isoMicros(v.tsMicros), kind: 'quic-sni', name: r.sni, src, dst: v.dst(), sport: v.sport, dport: v.dport, transport: 'udp', ip: v.ip, ech: r.ech });
}
