// `aiscout-agent pcap`: JSON lines per finding with the catalog's tool, errors and exit statuses.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/command.js';
import { CAPTURES, captureBytes } from './network-frames.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aiscout-pcap-cmd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe('aiscout-agent pcap', () => {
  it('prints one JSON line per finding, fields in the documented order, for several files', async () => {
    const { code, out, err } = await run(['pcap', path.join(CAPTURES, 'dns-udp-tcp.pcap'), path.join(CAPTURES, 'tls-clients.pcap')]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBe(19 + 8);
    expect(Object.keys(lines[0]!).slice(0, 10)).toEqual(['ts', 'kind', 'name', 'src', 'dst', 'sport', 'dport', 'transport', 'ip', 'tool']);
    expect(lines.find((l) => l.kind === 'tls-sni' && l.name === 'api.anthropic.com')).toMatchObject({ tool: 'anthropic-api', transport: 'tcp', dport: 443, ech: false });
    expect(lines[0]!.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('prints the QUIC Initial SNI of a real Chromium capture (parsed by quic.ts)', async () => {
    const file = path.join(CAPTURES, '..', 'fixtures', 'network', 'quic-chromium-anthropic.pcap');
    const { code, out } = await run(['pcap', file]);
    expect(code).toBe(0);
    expect(out.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ kind: 'quic-sni', name: 'api.anthropic.com', transport: 'udp', dport: 443, tool: 'anthropic-api' }),
    ]);
  });

  it('--ai-only drops names that are not AI tools', async () => {
    const { code, out } = await run(['pcap', '--ai-only', path.join(CAPTURES, 'tls-clients.pcap')]);
    expect(code).toBe(0);
    const names = out.trim().split('\n').map((l) => (JSON.parse(l) as { name: string }).name);
    expect(names).not.toContain('github.com');
    expect(names).toContain('api.mistral.ai');
  });

  it('--stats adds decoder statistics on stderr', async () => {
    const { code, err } = await run(['pcap', '--stats', path.join(CAPTURES, 'tls-chromium-pq.pcap')]);
    expect(code).toBe(0);
    expect(JSON.parse(err)).toMatchObject({ tlsHellos: 4, decode: { ok: expect.any(Number) }, reassembly: { dropped: { flowBytes: 0 } } });
  });

  it('reports a missing, foreign or damaged file on stderr with exit status 1, and still reads the others', async () => {
    const foreign = path.join(tmp, 'notes.txt');
    writeFileSync(foreign, 'not a capture at all');
    const cut = path.join(tmp, 'cut.pcap');
    const bytes = captureBytes('tls-clients.pcap');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    const { code, out, err } = await run(['pcap', path.join(tmp, 'missing.pcap'), foreign, cut, path.join(CAPTURES, 'sll-dns-tls.pcap')]);
    expect(code).toBe(1);
    expect(err).toMatch(/missing\.pcap: ENOENT/);
    expect(err).toMatch(/notes\.txt: not a capture file/);
    expect(err).toMatch(/cut\.pcap: pcap: record at byte \d+ is truncated/);
    expect(out.trim().split('\n').length).toBe(8 + 3); // the damaged file's hellos are all before the damage
  });

  it('rejects bad usage with exit status 2', async () => {
    for (const [argv, message] of [
      [['pcap'], /pcap needs at least one capture file/],
      [['pcap', '--once', 'x.pcap'], /pcap does not take --once/],
      [['scan', '--once', '--ai-only'], /--ai-only and --stats are pcap options/],
    ] as [string[], RegExp][]) {
      const { code, out, err } = await run(argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(out).toBe('');
      expect(err).toMatch(message);
    }
  });
});
