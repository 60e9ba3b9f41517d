import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadCatalog } from '../src/index.js';
import { tempDir, toolYaml, writeFiles } from './helpers.js';

describe('loadCatalog on a folder of broken files', () => {
  const dir = tempDir();
  writeFiles(dir, {
    'good-one.yaml': toolYaml('good-one'),
    'good-two.yml': toolYaml('good-two'),
    '_skipped.yaml': 'this: [is not even valid',
    'notes.txt': 'not a tool',
    // line 3 opens a flow sequence that never closes
    'bad-yaml.yaml': 'id: bad-yaml\nname: x\nvendor: [unclosed\ncategory: model-api\n',
    'bad-schema.yaml': toolYaml('bad-schema').replace('category: model-api', 'category: robot').replace('      role: api\n', '      role: api\n      colour: red\n'),
    'missing-match.yaml': 'id: missing-match\nname: x\nvendor: y\ncategory: model-api\nstatus: stable\nhomepage: https://example.com/\n',
    'wrong-name.yaml': toolYaml('other-id'),
    'dupe-ident.yaml': toolYaml('dupe-ident') + `    - name: api.dupe-ident.example
      match: suffix
      role: web
      source: https://example.com/docs
`,
    'bad-host.yaml': toolYaml('bad-host', `${'a'.repeat(64)}.example.com`),
    'star-exact.yaml': toolYaml('star-exact', '"api*.example.com"'),
    'broad-host.yaml': toolYaml('broad-host', 'amazonaws.com').replace('match: exact', 'match: suffix'),
    'bare-wildcard.yaml': toolYaml('bare-wildcard', '"*.googleapis.com"').replace('match: exact', 'match: wildcard'),
    'two-stars.yaml': toolYaml('two-stars', '"*.*.example.com"').replace('match: exact', 'match: wildcard'),
    'upper-host.yaml': toolYaml('upper-host', 'API.Example.com'),
    'empty.yaml': '',
    'dup-key.yaml': toolYaml('dup-key') + 'name: again\n',
  });
  // Same id as good-one via a second extension: a duplicate tool, reported on the later file.
  writeFileSync(join(dir, 'good-one.yml'), toolYaml('good-one', 'api.other.example'));

  const result = loadCatalog(dir);
  const byFile = (name: string) => result.issues.filter((i) => i.file === join(dir, name));

  it('never throws and loads the good files', () => {
    expect(result.tools.map((t) => t.id)).toEqual(['good-one', 'good-two']);
    expect(result.version).toMatch(/^sha256:[0-9a-f]{16}$/);
  });

  it('reports YAML syntax errors with a line', () => {
    const [issue] = byFile('bad-yaml.yaml');
    expect(issue?.code).toBe('yaml-syntax');
    expect(issue?.line).toBeGreaterThanOrEqual(3);
    expect(byFile('dup-key.yaml')[0]?.code).toBe('yaml-syntax');
    expect(byFile('dup-key.yaml')[0]?.line).toBe(13);
  });

  it('reports schema violations at the line of the offending node', () => {
    const issues = byFile('bad-schema.yaml');
    expect(issues.map((i) => [i.code, i.line])).toEqual(
      expect.arrayContaining([
        ['schema', 4],
        ['schema', 12],
      ]),
    );
    expect(issues.find((i) => i.line === 12)?.message).toContain("unknown property 'colour'");
    expect(issues.find((i) => i.line === 4)?.message).toContain('must be one of');
    const missing = byFile('missing-match.yaml');
    expect(missing[0]).toMatchObject({ code: 'schema', line: 1 });
    expect(missing[0]?.message).toContain("missing required property 'match'");
    expect(byFile('empty.yaml')[0]?.code).toBe('schema');
  });

  it('reports an id that differs from the file name', () => {
    expect(byFile('wrong-name.yaml')).toEqual([expect.objectContaining({ code: 'id-mismatch', line: 1 })]);
  });

  it('reports duplicate tools and duplicate identifiers', () => {
    expect(byFile('good-one.yml')).toEqual([expect.objectContaining({ code: 'duplicate-tool' })]);
    expect(byFile('dupe-ident.yaml')).toEqual([expect.objectContaining({ code: 'duplicate-identifier', line: 13 })]);
  });

  it('reports invalid and too broad host patterns', () => {
    expect(byFile('broad-host.yaml')).toEqual([expect.objectContaining({ code: 'host-too-broad', line: 9 })]);
    expect(byFile('bare-wildcard.yaml')).toEqual([expect.objectContaining({ code: 'host-too-broad' })]);
    expect(byFile('two-stars.yaml')).toEqual([expect.objectContaining({ code: 'invalid-host' })]);
    expect(byFile('upper-host.yaml').map((i) => i.code)).toContain('schema');
    expect(byFile('bad-host.yaml')).toEqual([expect.objectContaining({ code: 'invalid-host', line: 9 })]);
    expect(byFile('star-exact.yaml')).toEqual([expect.objectContaining({ code: 'invalid-host', line: 9 })]);
  });

  it('skips files starting with _ and files that are not YAML', () => {
    expect(result.issues.some((i) => i.file.endsWith('_skipped.yaml') || i.file.endsWith('notes.txt'))).toBe(false);
  });

  it('survives a folder named like a tool, binary garbage and an alias bomb', () => {
    const d = tempDir();
    mkdirSync(join(d, 'folder.yaml'));
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    writeFiles(d, { 'garbage.yaml': '\u0000\u0001\u00ff{{{:::\n\t- ]', 'bomb.yaml': bomb, 'ok.yaml': toolYaml('ok') });
    const r = loadCatalog(d);
    expect(r.tools.map((t) => t.id)).toEqual(['ok']);
    const codes = Object.fromEntries(r.issues.map((i) => [i.file.split('/').pop(), i.code]));
    expect(codes).toEqual({ 'folder.yaml': 'file-unreadable', 'garbage.yaml': 'yaml-syntax', 'bomb.yaml': 'yaml-syntax' });
  });

  it('reports an unreadable folder instead of throwing', () => {
    const r = loadCatalog(join(dir, 'no-such-folder'));
    expect(r.tools).toEqual([]);
    expect(r.issues[0]?.code).toBe('dir-unreadable');
  });
});
