import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogVersion, compileCatalog, loadCatalog } from '../src/index.js';
import { tempDir, tool, host, toolYaml, writeFiles } from './helpers.js';

describe('catalog version', () => {
  it('changes when content changes and not when only formatting, comments, order or broken files change', () => {
    const dir = tempDir();
    writeFiles(dir, { 'one.yaml': toolYaml('one'), 'two.yaml': toolYaml('two') });
    const v1 = loadCatalog(dir).version;
    expect(loadCatalog(dir).version).toBe(v1);

    // Comments, key order, quoting and a skipped file change nothing.
    const reformatted = `# a comment\nmatch:\n  hosts:\n    - source: "https://example.com/docs"\n      role: api\n      match: exact\n      name: 'api.one.example'\nid: one\nname: "Tool one"\nvendor: Vendor\nstatus: stable\ncategory: model-api\nhomepage: https://example.com/\n`;
    writeFiles(dir, { 'one.yaml': reformatted, '_draft.yaml': toolYaml('draft'), 'broken.yaml': 'id: [' });
    const after = loadCatalog(dir);
    expect(after.tools.map((t) => t.id)).toEqual(['one', 'two']);
    expect(after.version).toBe(v1);

    writeFileSync(join(dir, 'one.yaml'), toolYaml('one').replace('name: Tool one', 'name: Tool One'));
    const v2 = loadCatalog(dir).version;
    expect(v2).not.toBe(v1);

    writeFileSync(join(dir, 'three.yaml'), toolYaml('three'));
    expect(loadCatalog(dir).version).not.toBe(v2);
  });

  it('does not depend on the order of the tools', () => {
    const a = tool('a', { hosts: [host('a.example.ai')] });
    const b = tool('b', { hosts: [host('b.example.ai')] });
    expect(catalogVersion([a, b])).toBe(catalogVersion([b, a]));
    expect(compileCatalog([a, b]).version).toBe(catalogVersion([a, b]));
    expect(compileCatalog([a, b], 'v-given').version).toBe('v-given');
    expect(compileCatalog([a, b], undefined, { ignore: { hosts: [{ name: 'a.example.ai' }] } }).version).toMatch(/^sha256:[0-9a-f]{16}\+ignore:[0-9a-f]{8}$/);
  });
});
