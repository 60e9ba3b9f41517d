import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadCatalog } from '@aiscout/signatures';
import { buildApp, tempDir, testConfig } from './helpers.js';

describe('collector start-up', () => {
  const dir = tempDir();
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp(testConfig(dir.path));
  });
  afterAll(async () => {
    await app.close();
    dir.cleanup();
  });

  it('writes the signature catalog into the tools table the dashboards and reports join on', async () => {
    const catalog = loadCatalog();
    const rows = await app.collector.store.query<{ id: string; category: string; catalog_version: string }>(
      'SELECT id, argMax(category, synced_at) AS category, argMax(catalog_version, synced_at) AS catalog_version FROM tools GROUP BY id ORDER BY id',
    );
    expect(rows.map((r) => r.id)).toEqual(catalog.tools.map((t) => t.id).sort());
    expect(rows.find((r) => r.id === 'claude-code')?.category).toBe('agent-cli');
    expect(new Set(rows.map((r) => r.catalog_version))).toEqual(new Set([catalog.version]));
  });
});
