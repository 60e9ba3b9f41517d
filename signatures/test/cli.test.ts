import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli, MAX_LINE_BYTES } from '../src/cli.js';
import { tempDir, toolYaml, writeFiles } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN = new URL('./golden/', import.meta.url);

async function run(argv: string[], input: string | Buffer[] = ''): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const stdin = Readable.from(typeof input === 'string' ? [Buffer.from(input)] : input);
  const code = await runCli(argv, { stdin, stdout, stderr });
  return { code, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() };
}

const outLines = (s: string) => s.split('\n').slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('aiscout classify (in process)', () => {
  it('matches the golden output (regenerate: node --import tsx signatures/scripts/regen-golden.ts)', async () => {
    const r = await run(['classify'], readFileSync(new URL('classify-input.jsonl', GOLDEN), 'utf8'));
    expect(r.code).toBe(0);
    expect(r.out).toBe(readFileSync(new URL('classify-expected.jsonl', GOLDEN), 'utf8'));
  });

  it('answers every input line in order, whatever the chunking, including CRLF and a last line without newline', async () => {
    const text = '{"type":"host","name":"api.openai.com"}\r\n\n{"type":"port","port":22}\n{"type":"host","name":"github.com"}';
    const bytes = Buffer.from(text);
    const chunks = [...bytes].map((b) => Buffer.from([b])); // one byte at a time
    const r = await run(['classify'], chunks);
    const lines = outLines(r.out);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ name: 'api.openai.com', tool: 'openai-api' });
    expect(lines[1]).toEqual({ error: 'blank line' });
    expect(lines[2]).toMatchObject({ port: 22, tool: null });
    expect(lines[3]).toMatchObject({ name: 'github.com', tool: null });
  });

  it('answers a line over 64 KiB with an error without buffering it, and goes on', async () => {
    const huge = `{"type":"host","name":"${'a'.repeat(MAX_LINE_BYTES + 10)}"}`;
    const chunks = [Buffer.from('{"type":"host","name":"api.openai.com"}\n'), ...Array.from({ length: 4 }, (_, i) => Buffer.from(huge.slice(i * 20000, (i + 1) * 20000))), Buffer.from(huge.slice(80000) + '\n{"type":"port","port":11434}\n')];
    const lines = outLines((await run(['classify'], chunks)).out);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toEqual({ error: `line longer than ${MAX_LINE_BYTES} bytes` });
    expect(lines[2]).toMatchObject({ tool: 'ollama' });
    // A line of exactly the limit is still read.
    const atLimit = `{"type":"host","name":"x","pad":"${'p'.repeat(MAX_LINE_BYTES - 35)}"}`;
    expect(Buffer.byteLength(atLimit)).toBe(MAX_LINE_BYTES);
    expect(outLines((await run(['classify'], atLimit + '\r\n')).out)[0]).toMatchObject({ tool: null, name: 'x' });
    expect(outLines((await run(['classify'], atLimit + ' \n')).out)[0]).toEqual({ error: `line longer than ${MAX_LINE_BYTES} bytes` });
  });

  it('respects backpressure from a slow reader', async () => {
    const input = Array.from({ length: 20000 }, (_, i) => `{"type":"host","name":"h${i}.example.com"}`).join('\n') + '\n';
    let received = 0;
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        received += chunk.toString().split('\n').length - 1;
        writes++;
        setImmediate(cb);
      },
    });
    const code = await runCli(['classify'], { stdin: Readable.from([Buffer.from(input)]), stdout: slow, stderr: new PassThrough() });
    await new Promise((r) => setImmediate(r));
    expect(code).toBe(0);
    expect(received).toBe(20000);
    expect(writes).toBeGreaterThan(0);
  });

  it('stops quietly with exit 0 when the reader goes away', async () => {
    const input = Array.from({ length: 50000 }, (_, i) => `{"type":"host","name":"h${i}.example.com"}`).join('\n') + '\n';
    const broken = new Writable({
      highWaterMark: 16,
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const stderr = new PassThrough();
    const code = await runCli(['classify'], { stdin: Readable.from([Buffer.from(input)]), stdout: broken, stderr });
    expect(code).toBe(0);
    expect(broken.listenerCount('drain')).toBe(0);
  });

  it('uses an overrides file and refuses a bad one', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'alpha.yaml': toolYaml('alpha'),
      'ok.overrides': 'tools:\n  alpha:\n    disabled: true\n',
      'bad.overrides': 'tools:\n  alpha:\n    disabled: maybe\n',
    });
    const input = '{"type":"host","name":"api.alpha.example"}\n';
    const plain = await run(['classify', '--dir', dir], input);
    expect(outLines(plain.out)[0]).toMatchObject({ tool: 'alpha' });
    const ok = await run(['classify', '--dir', dir, '--overrides', join(dir, 'ok.overrides')], input);
    expect(ok.code).toBe(0);
    expect(outLines(ok.out)[0]).toMatchObject({ tool: null });
    const bad = await run(['classify', '--dir', dir, '--overrides', join(dir, 'bad.overrides')], input);
    expect(bad.code).toBe(2);
    expect(bad.out).toBe('');
    expect(bad.err).toContain('bad.overrides:3 schema');
  });
});

describe('aiscout catalog', () => {
  it('check prints issues with file:line and a summary, exit 1 on issues', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'good.yaml': toolYaml('good'), 'wrong.yaml': toolYaml('not-wrong') });
    const r = await run(['catalog', 'check', '--dir', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${join(dir, 'wrong.yaml')}:1 id-mismatch`);
    expect(r.out).toMatch(/1 tools \(model-api: 1\), 1 issues, version sha256:[0-9a-f]{16}/);
  });

  it('check passes on the bundled catalog', async () => {
    const r = await run(['catalog', 'check']);
    expect(r.out).toMatch(/tools \(.*\), 0 issues, version sha256:/);
    expect(r.code).toBe(0);
  });

  it('list prints tools as a table or JSON', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'good.yaml': toolYaml('good') });
    const table = await run(['catalog', 'list', '--dir', dir]);
    expect(table.out.split('\n')[1]).toMatch(/^good\s+Tool good\s+model-api\s+stable$/);
    const json = await run(['catalog', 'list', '--dir', dir, '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ version: expect.stringMatching(/^sha256:/), tools: [{ id: 'good', name: 'Tool good', category: 'model-api', status: 'stable' }] });
  });

  it('prints help, and usage errors with exit 2', async () => {
    expect((await run(['help'])).out).toContain('aiscout classify');
    for (const argv of [[], ['frobnicate'], ['catalog'], ['catalog', 'nope'], ['classify', '--bogus'], ['catalog', 'list', 'extra']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain('Usage:');
    }
  });
});

describe('aiscout as a real child process', () => {
  it('streams classify answers through stdin and stdout', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'signatures/src/cli.ts', 'classify'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.end('{"type":"process","name":"node","exe":"/usr/bin/node","cmdline":"node /srv/app.js"}\n{"type":"host","name":"api.anthropic.com"}\nnot json\n{"type":"extension","ecosystem":"vscode","id":"esbenp.prettier-vscode"}\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(Buffer.concat(err).toString()).toBe('');
    expect(code).toBe(0);
    const lines = outLines(Buffer.concat(out).toString());
    expect(lines.map((l) => ('error' in l ? l.error : l.tool))).toEqual([null, 'anthropic-api', 'invalid JSON', null]);
  });
});
