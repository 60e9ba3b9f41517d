/**
 * Regenerates test/golden/classify-expected.jsonl from classify-input.jsonl with the bundled
 * catalog: `node --import tsx signatures/scripts/regen-golden.ts`. Never edit the expected file by hand.
 */
import { writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { createReadStream } from 'node:fs';
import { runCli } from '../src/cli.js';

const input = new URL('../test/golden/classify-input.jsonl', import.meta.url);
const expected = new URL('../test/golden/classify-expected.jsonl', import.meta.url);

const stdout = new PassThrough();
const stderr = new PassThrough();
const chunks: Buffer[] = [];
stdout.on('data', (c: Buffer) => chunks.push(c));
stderr.pipe(process.stderr);
const code = await runCli(['classify'], { stdin: createReadStream(input), stdout, stderr });
if (code !== 0) {
  process.stderr.write(`classify exited with ${code}; expected file left unchanged\n`);
  process.exit(1);
}
writeFileSync(expected, Buffer.concat(chunks));
process.stdout.write(`wrote ${expected.pathname}\n`);
