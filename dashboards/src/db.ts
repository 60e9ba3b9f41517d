/** Opens the real engine (chDB) on a folder and applies the collector's migrations, 0100+ included. */
import { loadCatalog } from '@aiscout/signatures';
import { syncCatalogTable } from '../../collector/src/catalog-sync.js';
import { migrate } from '../../collector/src/store/migrate.js';
import { Store } from '../../collector/src/store/store.js';

export async function openStore(path: string, timeoutMs = 600_000): Promise<Store> {
  const store = new Store({ path, url: null, user: null, password: null, database: null, caFile: null, cluster: null, timeoutMs });
  await migrate(store, { retentionDays: 400, auditRetentionDays: 1095, collectorId: 'dashboards' });
  const { tools, version } = loadCatalog();
  await syncCatalogTable(store, tools, version);
  return store;
}
