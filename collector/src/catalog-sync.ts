import type { ToolSignature } from '@aiscout/signatures';
import type { Store } from './store/store.js';

/** The catalog facts the dashboards and reports join on (table `tools`, schema/0100_dashboards.sql). */
export type CatalogTool = Pick<ToolSignature, 'id' | 'name' | 'vendor' | 'category' | 'status'>;

/**
 * Writes the catalog into the `tools` table in one INSERT (one block: all or nothing). The table is a
 * ReplacingMergeTree on `synced_at`, so the newest sync of each id wins and re-running is harmless.
 * A tool removed from the catalog keeps its last row: old events still resolve to a name.
 */
export async function syncCatalogTable(store: Pick<Store, 'insert'>, tools: readonly CatalogTool[], catalogVersion = '', now = new Date()): Promise<number> {
  const seen = new Set<string>();
  for (const t of tools) {
    if (!t.id || seen.has(t.id)) throw new Error(`catalog sync: tool id ${JSON.stringify(t.id)} is empty or repeated`);
    seen.add(t.id);
  }
  const syncedAt = now.toISOString().replace('T', ' ').replace('Z', '');
  await store.insert('tools', tools.map((t) => ({
    id: t.id, name: t.name, vendor: t.vendor, category: t.category, status: t.status, catalog_version: catalogVersion, synced_at: syncedAt,
  })));
  return tools.length;
}
