import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { pendingMigrations } from '../store/migrate.js';

const Status = Type.Object({ status: Type.String(), store: Type.Optional(Type.String()), pending_migrations: Type.Optional(Type.Array(Type.Integer())) });

/** Liveness, readiness (store reachable and migrated) and Prometheus metrics. No auth: they reveal no data. */
export async function healthApi(app: FastifyInstance): Promise<void> {
  const ctx = app.collector;
  let migrated = false;
  // The embedded engine runs one statement at a time: a scrape must not queue behind INSERTs every time.
  let active: { n: number; at: number } | null = null;

  app.get('/healthz', { schema: { response: { 200: Status } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { response: { 200: Status, 503: Status } } }, async (_request, reply) => {
    const reachable = await ctx.store.ping();
    if (reachable && !migrated) migrated = (await pendingMigrations(ctx.store)).length === 0;
    if (reachable && migrated && ctx.ready) return { status: 'ready', store: 'reachable', pending_migrations: [] };
    const pending = reachable ? await pendingMigrations(ctx.store) : [];
    reply.code(503).header('retry-after', '5');
    return { status: 'not ready', store: reachable ? 'reachable' : 'unreachable', pending_migrations: pending };
  });

  app.get('/metrics', { schema: { response: { 200: Type.String() } } }, async (_request, reply) => {
    let activeText = '';
    try {
      if (!active || Date.now() - active.at > 30_000) active = { n: await ctx.agents.activeCount(3600), at: Date.now() };
      activeText = `# HELP aiscout_agents_active Agents that sent a batch in the last hour.\n# TYPE aiscout_agents_active gauge\naiscout_agents_active ${active.n}\n`;
    } catch {
      // The store is down: the other metrics still matter, and say so through rejects.
    }
    const up = `# HELP aiscout_store_up 1 when the last store call succeeded.\n# TYPE aiscout_store_up gauge\naiscout_store_up ${ctx.store.healthy ? 1 : 0}\n`;
    reply.type('text/plain; version=0.0.4');
    return ctx.metrics.render() + activeText + up;
  });
}
