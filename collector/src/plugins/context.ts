import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { AgentRegistry } from '../agents.js';
import { AuditTrail } from '../audit.js';
import type { CollectorConfig } from '../config.js';
import { CollectorMetrics } from '../metrics.js';
import { ReferenceData } from '../reference-data.js';
import { migrate } from '../store/migrate.js';
import { loadCatalog } from '@aiscout/signatures';
import { syncCatalogTable } from '../catalog-sync.js';
import { Store, StoreUnavailableError } from '../store/store.js';
import type { PolicyOptions } from '../policy/index.js';

/** Everything the routes share, built once per app. */
export interface CollectorContext {
  config: CollectorConfig;
  store: Store;
  agents: AgentRegistry;
  audit: AuditTrail;
  reference: ReferenceData;
  metrics: CollectorMetrics;
  /** Migrations ran and policy and directory are loaded: until then every store-backed route answers 503. */
  ready: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    collector: CollectorContext;
  }
}

export interface ContextOptions {
  config: CollectorConfig;
  knownToolIds: ReadonlySet<string>;
  policyOptions?: PolicyOptions;
  /** Run migrations at start (default true). */
  migrate?: boolean;
  /** How often an unhealthy store is probed for recovery. */
  probeIntervalMs?: number;
}

/**
 * Infrastructure: the store (embedded chDB or a server), migrations, the agent registry, policy and
 * directory, metrics. A monitor probes an unhealthy store and brings it back without a restart.
 */
async function context(app: FastifyInstance, opts: ContextOptions): Promise<void> {
  const { config } = opts;
  const store = new Store(config.clickhouse);
  const audit = new AuditTrail(store, config.collectorId);
  const reference = new ReferenceData(
    store,
    audit,
    { policyFile: config.policyFile, directoryFile: config.directoryFile, pseudonymKey: config.pseudonymKey },
    opts.knownToolIds,
    opts.policyOptions,
  );
  // Bad policy or directory files stop the start, with every problem listed; a down store does not.
  const checked = reference.check();
  const errors = checked.issues.filter((i) => (i.severity ?? 'error') === 'error');
  if (!checked.policy || !checked.directory || errors.length > 0) {
    await store.close();
    throw new Error(`policy or directory has problems:\n${errors.map((i) => `  - ${i.code} ${i.file}:${i.line ?? '-'} ${i.message}`).join('\n')}`);
  }
  const ctx: CollectorContext = { config, store, agents: new AgentRegistry(store), audit, reference, metrics: new CollectorMetrics(), ready: false };

  /** Migrations, reference data, secrets audit: needs the store. Until it has run, the API answers 503. */
  const startup = async (): Promise<void> => {
    if (opts.migrate !== false) {
      await migrate(store, { retentionDays: config.retentionDays, auditRetentionDays: config.auditRetentionDays, collectorId: config.collectorId });
      // Dashboards and reports join on the catalog (names, categories): keep the `tools` table current.
      const catalog = loadCatalog();
      await syncCatalogTable(store, catalog.tools, catalog.version);
    }
    const loaded = await reference.reload('system', '');
    if (!loaded.ok) throw new Error('policy or directory changed while starting; fix them and restart');
    await recordSecretChanges(audit, config);
    ctx.ready = true;
  };
  try {
    await startup();
  } catch (err) {
    // Unreachable: start anyway and retry. Reachable but refusing (a broken migration): stop, loudly.
    if (!(err instanceof StoreUnavailableError) || err.answered) {
      await store.close();
      throw err;
    }
    app.log.warn({ store: store.kind, reason: err.message }, 'store unreachable at start: answering 503 until it is back');
  }

  app.addHook('onClose', async () => {
    clearInterval(monitor);
    await store.close();
  });
  let probing = false;
  const monitor = setInterval(() => {
    if ((store.healthy && ctx.ready) || probing) return;
    probing = true;
    void (async () => {
      try {
        if (!(await store.probe())) return;
        if (!ctx.ready) await startup();
        app.log.info({ store: store.kind }, 'store reachable again');
      } catch (err) {
        app.log.warn({ reason: err instanceof Error ? err.message : String(err) }, 'store still unavailable');
      } finally {
        probing = false;
      }
    })();
  }, opts.probeIntervalMs ?? 1000);
  monitor.unref();

  app.decorate('collector', ctx);
}

/**
 * Audits enrollment secret changes between starts (ids and retired flags only, never the secret):
 * compares with the last recorded set.
 */
async function recordSecretChanges(audit: AuditTrail, config: CollectorConfig): Promise<void> {
  const now = config.enrollmentSecrets.map((s) => `${s.id}${s.retired ? ' (retired)' : ''}`).sort();
  const last = await audit.query({ action: 'secrets.change', limit: 1 });
  let before: string[] = [];
  try {
    before = last[0] ? ((JSON.parse(last[0].detail) as { secrets?: string[] }).secrets ?? []) : [];
  } catch {
    before = [];
  }
  if (last[0] && JSON.stringify(before) === JSON.stringify(now)) return;
  await audit.append({
    actor: 'system', action: 'secrets.change', target: 'enrollment_secrets', outcome: 'ok',
    detail: { secrets: now, added: now.filter((s) => !before.includes(s)), removed: before.filter((s) => !now.includes(s)) }, remoteIp: '',
  });
}

export const contextPlugin = fp(context, { name: 'aiscout-context', fastify: '5.x' });
