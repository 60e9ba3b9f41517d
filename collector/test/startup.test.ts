import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadCatalog } from '@aiscout/signatures';
import type { NetworkEvent } from '@aiscout/protocol';
import { buildApp, enroll, makeBatch, sampleEvents, sendBatch, tempDir, testConfig } from './helpers.js';

describe('collector start-up and the columns dashboards read', () => {
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

  it('stores name_source and ech as columns and the host rollup counts TLS, ECH and DNS flows from them', async () => {
    const agent = await enroll(app);
    const events = sampleEvents(8).filter((e) => e.kind === 'network') as NetworkEvent[];
    expect(events).toHaveLength(2);
    events[0] = { ...events[0]!, ech: true, connections: 3 };
    events[1] = { ...events[1]!, name_source: 'dns', connections: 1 };
    const res = await sendBatch(app, agent, makeBatch(agent, events));
    expect(res.statusCode).toBe(200);
    const stored = await app.collector.store.query<{ name_source: string; ech: number }>(
      'SELECT name_source, ech FROM events FINAL WHERE kind = \'network\' ORDER BY name_source',
    );
    expect(stored.map((r) => [r.name_source, Number(r.ech)])).toEqual([['dns', 0], ['tls-sni', 1]]);
    const [rollup] = await app.collector.store.query<{ tls: string; ech: string; dns: string }>(
      'SELECT sum(tls_flows) AS tls, sum(ech_flows) AS ech, sum(dns_names) AS dns FROM usage_host_daily',
    );
    expect({ tls: Number(rollup!.tls), ech: Number(rollup!.ech), dns: Number(rollup!.dns) }).toEqual({ tls: 3, ech: 3, dns: 1 });
  });
});
