import { describe, expect, it } from 'vitest';
import { compileCatalog, defaultClassifier, loadCatalog, MULTI_TENANT_PARENTS, type Observation } from '../src/index.js';
import { positiveFixtures } from './fixtures.js';
import { benign } from './helpers.js';

const catalog = loadCatalog();
const classifier = compileCatalog(catalog.tools, catalog.version);

describe('the bundled catalog', () => {
  it('loads without a single issue', () => {
    expect(catalog.issues.map((i) => `${i.file}:${i.line} ${i.code} ${i.message}`)).toEqual([]);
    expect(catalog.tools.length).toBeGreaterThan(0);
  });

  it.each(catalog.tools.map((t) => [t.id, t] as const))('%s matches its own identifiers', (id, tool) => {
    const misses = positiveFixtures(tool)
      .filter(({ obs }) => !classifier.classify(obs).candidates.includes(id))
      .map((f) => f.what);
    expect(misses).toEqual([]);
  });

  it('is what defaultClassifier() serves, compiled once', () => {
    expect(defaultClassifier()).toBe(defaultClassifier());
    expect(defaultClassifier().version).toBe(catalog.version);
    expect([...defaultClassifier().tools.keys()]).toEqual(catalog.tools.map((t) => t.id).sort());
  });

  it('has no entry on a shared multi-tenant parent', () => {
    const broad = catalog.tools.flatMap((t) =>
      (t.match.hosts ?? [])
        .filter((h) => MULTI_TENANT_PARENTS.has(h.name) || (h.match === 'wildcard' && h.name.startsWith('*.') && MULTI_TENANT_PARENTS.has(h.name.slice(2))))
        .map((h) => `${t.id}: ${h.match} ${h.name}`),
    );
    expect(broad).toEqual([]);
  });

  it('matches nothing on generic hosts of clouds and code hosting', () => {
    for (const name of ['www.googleapis.com', 's3.amazonaws.com', 'foo.amazonaws.com', 'github.com', 'api.github.com', 'azure.com', 'microsoft.com', 'cloudfront.net', 'githubusercontent.com', 'google.com']) {
      expect(classifier.classify({ type: 'host', name }), name).toMatchObject({ tool: null, candidates: [] });
    }
  });

  it('matches nothing on plain interpreters and browsers', () => {
    for (const name of ['node', 'python', 'python3', 'code', 'chrome', 'Google Chrome', 'firefox', 'java', 'bun', 'deno', 'Electron']) {
      expect(classifier.classify({ type: 'process', name }), name).toMatchObject({ tool: null });
    }
  });
});

describe('the shared benign corpus', () => {
  const kinds = ['processes', 'hosts', 'extensions', 'ports'] as const;
  it('is big enough to mean something', () => {
    expect(benign('processes').length).toBeGreaterThanOrEqual(60);
    expect(benign('hosts').length).toBeGreaterThanOrEqual(80);
    expect(benign('extensions').length).toBeGreaterThanOrEqual(40);
    expect(benign('ports').length).toBeGreaterThanOrEqual(6);
  });

  it.each(kinds)('%s match nothing in the catalog', (kind) => {
    const hits = benign(kind)
      .map((obs: Observation) => ({ obs, c: classifier.classify(obs) }))
      .filter(({ c }) => c.tool !== null)
      .map(({ obs, c }) => `${JSON.stringify(obs)} -> ${c.tool} (${c.evidence?.matcher} ${c.evidence?.value})`);
    expect(hits).toEqual([]);
  });
});
