import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { applyOverrides, checkOverrides, compileCatalog, loadOverrides, type ToolSignature } from '../src/index.js';
import { host, tempDir, tool, writeFiles } from './helpers.js';

const SRC = 'https://example.com/source';
const tools: ToolSignature[] = [
  tool('alpha', {
    hosts: [host('api.alpha.ai'), host('alpha.ai', 'suffix'), host('*.alpha-models.net', 'wildcard')],
    processes: [{ name: 'alpha', source: SRC }],
    vscode_extensions: [{ id: 'alpha.coder', source: SRC }],
  }),
  tool('beta', { hosts: [host('api.beta.ai')], ports: [{ port: 4891, protocol: 'tcp', source: SRC }] }),
];

function load(text: string) {
  const dir = tempDir();
  writeFiles(dir, { 'overrides.yaml': text });
  return loadOverrides(join(dir, 'overrides.yaml'));
}

describe('overrides', () => {
  const good = load(`# operator tuning
tools:
  alpha:
    add:
      hosts:
        - name: alpha-gw.corp.example
          match: exact
          note: our gateway in front of Alpha
        - name: gpu.lab.alpha.ai
          match: exact
          note: lab cluster
      processes:
        - name: alpha-wrapper
          note: packaged by IT
    ignore:
      processes: [alpha]
  beta:
    disabled: true
    note: approved, not worth reporting
ignore:
  hosts:
    - name: internal.alpha-models.net
      note: our own deployment
    - name: lab.alpha.ai
      match: suffix
  extensions: [Alpha.Coder]
`);

  it('loads a valid file without issues', () => {
    expect(good.issues).toEqual([]);
    expect(good.overrides).not.toBeNull();
    expect(checkOverrides(tools, good.overrides!)).toEqual([]);
  });

  it('disables, adds and ignores without touching the catalog objects', () => {
    const before = JSON.stringify(tools);
    const applied = applyOverrides(tools, good.overrides!);
    expect(JSON.stringify(tools)).toBe(before);
    expect(applied.map((t) => t.id)).toEqual(['alpha']);
    const c = compileCatalog(applied, undefined, { ignore: good.overrides!.ignore });
    const hostTool = (name: string) => c.classify({ type: 'host', name }).tool;
    expect(hostTool('alpha-gw.corp.example')).toBe('alpha');
    expect(hostTool('api.beta.ai')).toBeNull();
    expect(c.classify({ type: 'port', port: 4891 }).tool).toBeNull();
    expect(c.classify({ type: 'process', name: 'alpha-wrapper' }).tool).toBe('alpha');
    expect(c.classify({ type: 'process', name: 'alpha' }).tool).toBeNull();
    // Global ignores win over the catalog pattern they fall under, and only there.
    expect(hostTool('internal.alpha-models.net')).toBeNull();
    expect(hostTool('other.alpha-models.net')).toBe('alpha');
    expect(hostTool('lab.alpha.ai')).toBeNull();
    expect(hostTool('x.lab.alpha.ai')).toBeNull();
    // An ignore wins even over a more specific catalog entry below it.
    expect(hostTool('gpu.lab.alpha.ai')).toBeNull();
    expect(hostTool('www.alpha.ai')).toBe('alpha');
    expect(c.classify({ type: 'extension', ecosystem: 'vscode', id: 'alpha.coder' }).tool).toBeNull();
    expect(c.version).not.toBe(compileCatalog(tools).version);
  });

  it('reports unknown tools and identifiers the tool does not list', () => {
    const r = load('tools:\n  gamma:\n    disabled: true\n  alpha:\n    ignore:\n      hosts: [api.not-alpha.ai]\n');
    expect(r.issues).toEqual([]);
    expect(checkOverrides(tools, r.overrides!).map((i) => i.code)).toEqual(['unknown-tool', 'unknown-identifier']);
    expect(applyOverrides(tools, r.overrides!).map((t) => t.id)).toEqual(['alpha', 'beta']);
  });

  it('rejects bad files with coded issues and lines, and applies nothing', () => {
    const cases: [string, string, number | null][] = [
      ['tools:\n  alpha:\n    disabled: yes please\n', 'schema', 3],
      ['tools:\n  alpha:\n    add:\n      hosts:\n        - name: api.x.ai\n          match: exact\n', 'schema', 5],
      ['tools:\n  alpha:\n    add:\n      hosts:\n        - name: amazonaws.com\n          match: suffix\n          note: too broad\n', 'invalid-host', 5],
      ['tools:\n  Alpha!:\n    disabled: true\n', 'schema', 2],
      ['tools: [\n', 'yaml-syntax', 2],
      ['tools:\n  alpha:\n    colour: red\n', 'schema', 3],
      ['ignore:\n  hosts:\n    - name: "bad host"\n', 'invalid-host', 3],
    ];
    for (const [text, code, line] of cases) {
      const r = load(text);
      expect(r.overrides, text).toBeNull();
      expect(r.issues[0], text).toMatchObject({ code, line });
    }
    expect(loadOverrides('/no/such/overrides.yaml')).toMatchObject({ overrides: null, issues: [{ code: 'file-unreadable' }] });
  });

  it('treats an empty file as no overrides', () => {
    const r = load('# nothing yet\n');
    expect(r).toEqual({ overrides: { tools: {}, ignore: {} }, issues: [] });
  });
});
