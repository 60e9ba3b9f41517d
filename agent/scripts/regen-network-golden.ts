// Regenerates agent/test/captures/<capture>.expected.jsonl: what `aiscout-agent pcap` prints for
// each committed capture. Never edit those files by hand; run this after re-recording:
//   node --import tsx agent/scripts/regen-network-golden.ts
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClassifier } from '@aiscout/signatures';
import { runPcap } from '../src/network/pcap-command.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'captures');
for (const file of readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).sort()) {
  let out = '';
  let err = '';
  const status = runPcap([path.join(dir, file)], { stdout: (t) => (out += t), stderr: (t) => (err += t) }, { classifier: defaultClassifier() });
  if (status !== 0) throw new Error(`${file}: ${err}`);
  writeFileSync(path.join(dir, `${file}.expected.jsonl`), out);
  console.log(`${file}: ${out.split('\n').length - 1} findings`);
}
