import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_TOOLS_DIR, loadCatalog, readCatalogBundle, writeCatalogBundle } from '../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'aiscout-bundle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('catalog bundle', () => {
  it('holds exactly what the YAML files load to, with the same version', () => {
    const out = join(tmp, 'catalog.json');
    const written = writeCatalogBundle(BUNDLED_TOOLS_DIR, out);
    expect(written.issues).toEqual([]);
    const yaml = loadCatalog();
    const bundle = readCatalogBundle(BUNDLED_TOOLS_DIR, out);
    expect(bundle?.version).toBe(yaml.version);
    expect(bundle?.tools).toEqual(yaml.tools);
  });

  it('is stale, and ignored, once a tool file changes or is added', () => {
    const dir = join(tmp, 'tools');
    cpSync(BUNDLED_TOOLS_DIR, dir, { recursive: true });
    const out = join(tmp, 'stale.json');
    expect(writeCatalogBundle(dir, out).issues).toEqual([]);
    expect(readCatalogBundle(dir, out)).not.toBeNull();
    const file = join(dir, 'ollama.yaml');
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect(readCatalogBundle(dir, out)).toBeNull();
    expect(writeCatalogBundle(dir, out).issues).toEqual([]);
    writeFileSync(join(dir, 'zz-new.yaml'), readFileSync(join(dir, 'ollama.yaml'), 'utf8').replace('id: ollama', 'id: zz-new'));
    expect(readCatalogBundle(dir, out)).toBeNull();
  });

  it('refuses to write a bundle from a catalog with issues, and a damaged bundle reads as absent', () => {
    const dir = join(tmp, 'broken');
    cpSync(BUNDLED_TOOLS_DIR, dir, { recursive: true });
    writeFileSync(join(dir, 'bad.yaml'), 'id: bad\nname: [unclosed\n');
    const out = join(tmp, 'never.json');
    const r = writeCatalogBundle(dir, out);
    expect(r.issues.length).toBeGreaterThan(0);
    expect(() => readFileSync(out)).toThrow();
    writeFileSync(out, '{"format":1,"tools":');
    expect(readCatalogBundle(dir, out)).toBeNull();
  });

  it('lets a process classify from the bundle without loading a schema validator (ajv)', () => {
    const out = join(tmp, 'agent.json');
    writeCatalogBundle(BUNDLED_TOOLS_DIR, out);
    const script = [
      `const s = await import('@aiscout/signatures');`,
      `const b = s.readCatalogBundle(s.BUNDLED_TOOLS_DIR, ${JSON.stringify(out)});`,
      `const c = s.compileCatalog(b.tools, b.version);`,
      `const { createRequire } = await import('node:module');`,
      `const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/ajv/'));`,
      `console.log(JSON.stringify({ tool: c.classify({ type: 'host', name: 'api.anthropic.com' }).tool, ajv: loaded }));`,
    ].join('\n');
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', '--conditions', 'source', '--input-type=module', '-e', script], {
      cwd: resolve(import.meta.dirname, '..'),
      encoding: 'utf8',
    });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ tool: 'anthropic-api', ajv: false });
  });
});
