import { describe, expect, it } from 'vitest';
import { answerLine } from '../src/cli.js';
import { compileCatalog, defaultClassifier, loadCatalog, type Observation } from '../src/index.js';
import { prng as rng } from '../../testing/prng.js';


const SEED = 20261122;
const catalog = loadCatalog();
const known = catalog.tools.flatMap((t) => [...(t.match.hosts ?? []).map((h) => h.name), ...(t.match.processes ?? []).map((p) => p.name)]);

function randomString(r: () => number): string {
  const pools = ['abcdefghijklmnopqrstuvwxyz0123456789.-_*', 'ÀÉ€😀\u0000\u200b\ud800\t\r\n"\\/ ', '..........', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
  const pool = pools[Math.floor(r() * pools.length)] as string;
  const len = Math.floor(r() ** 3 * 300);
  let s = r() < 0.3 ? (known[Math.floor(r() * known.length)] ?? '') : '';
  for (let i = 0; i < len; i++) s += pool[Math.floor(r() * pool.length)];
  return s;
}

function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * 10);
  if (depth > 4 || k < 2) return randomString(r);
  if (k === 2) return Math.floor(r() * 200000) - 50000;
  if (k === 3) return [null, true, false, NaN, Infinity, -0, 1e308, 0.5][Math.floor(r() * 8)];
  if (k === 4) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  const keys = ['type', 'name', 'exe', 'cmdline', 'os', 'ecosystem', 'id', 'port', 'protocol', 'toString', 'valueOf', 'hasOwnProperty', 'x'];
  for (let i = 0; i < 1 + Math.floor(r() * 5); i++) o[keys[Math.floor(r() * keys.length)] as string] = randomValue(r, depth + 1);
  if (r() < 0.7) o.type = ['host', 'process', 'extension', 'port', 'other', 7][Math.floor(r() * 6)];
  return o;
}

describe('fuzz', () => {
  const classifiers = [defaultClassifier(), compileCatalog(catalog.tools, catalog.version)];

  it('classify never throws on random and hostile observations', () => {
    const r = rng(SEED);
    for (let i = 0; i < 20000; i++) {
      const obs = randomValue(r) as Observation;
      for (const c of classifiers) {
        const result = c.classify(obs);
        expect(result.confidence).toBeGreaterThanOrEqual(0);
        expect(result.confidence).toBeLessThanOrEqual(1);
        expect(result.tool === null).toBe(result.candidates.length === 0);
      }
    }
    for (const hostile of [null, undefined, 0, 'host', [], {}, { type: 'host' }, { type: 'host', name: null }, { type: 'process' }, { type: 'extension', ecosystem: 'vscode', id: 5 }, { type: 'port', port: '11434' }]) {
      expect(classifiers[0]?.classify(hostile as unknown as Observation).tool).toBeNull();
    }
  });

  it('every CLI line gets exactly one JSON answer, never an exception', () => {
    const r = rng(SEED + 1);
    const c = classifiers[0]!;
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const k = r();
      if (k < 0.5) lines.push(JSON.stringify(randomValue(r)));
      else if (k < 0.8) lines.push(randomString(r));
      else if (k < 0.9) lines.push(JSON.stringify(randomValue(r)).slice(0, Math.floor(r() * 40)));
      else lines.push(`{"type":"host","name":"a","__proto__":{"x":1},"constructor":{"prototype":{}}}`);
    }
    lines.push('['.repeat(20000) + ']'.repeat(20000));
    lines.push(`{"type":"host","name":"a","deep":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    for (const line of lines) {
      const out = answerLine(c, line.replace(/\n/g, ' '));
      expect(out.includes('\n')).toBe(false);
      const parsed = JSON.parse(out) as Record<string, unknown>;
      expect('error' in parsed || 'tool' in parsed).toBe(true);
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
