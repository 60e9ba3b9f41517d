/** syncCatalogTable (collector/src/catalog-sync.ts) writes the catalog the dashboards join on. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadCatalog } from '@aiscout/signatures';
import { syncCatalogTable } from '../../collector/src/catalog-sync.js';
import type { Store } from '../../collector/src/store/store.js';
import { openStore } from '../src/db.js';

const dir = mkdtempSync(join(tmpdir(), 'aiscout-catalog-sync-'));
let store: Store;
beforeAll(async () => {
  store = await openStore(join(dir, 'ch')); // migrates and syncs the bundled catalog once
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const current = async () => store.query<{ id: string; name: string; category: string }>('SELECT id, argMax(name, synced_at) AS name, argMax(category, synced_at) AS category FROM tools GROUP BY id ORDER BY id');

it('holds every catalog tool with its name and category', async () => {
  const { tools } = loadCatalog();
  const rows = await current();
  expect(rows.map((r) => r.id)).toEqual(tools.map((t) => t.id).sort());
  const cc = rows.find((r) => r.id === 'claude-code')!;
  expect(cc.category).toBe(tools.find((t) => t.id === 'claude-code')!.category);
});

it('lets the newest sync win, and refuses a repeated id without writing anything', async () => {
  const before = await store.query<{ n: string }>('SELECT count() AS n FROM tools');
  const tool = { id: 'claude-code', name: 'Claude Code (renamed)', vendor: 'Anthropic', category: 'agent-cli' as const, status: 'stable' as const };
  await expect(syncCatalogTable(store, [tool, tool], 'v2')).rejects.toThrow(/repeated/);
  expect(await store.query('SELECT count() AS n FROM tools')).toEqual(before);
  await syncCatalogTable(store, [tool], 'v2', new Date(Date.now() + 1000));
  expect((await current()).find((r) => r.id === 'claude-code')!.name).toBe('Claude Code (renamed)');
});
