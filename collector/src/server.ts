import type { FastifyInstance } from 'fastify';
import { build } from './app.js';
import { catalogFacts } from './catalog.js';
import type { CollectorConfig } from './config.js';
import { reload } from './routes/admin.js';

/** Builds, listens, reloads policy and directory on SIGHUP, closes cleanly on SIGINT/SIGTERM. */
export async function serve(config: CollectorConfig): Promise<FastifyInstance> {
  const catalog = catalogFacts();
  const app = await build({ config, knownToolIds: catalog.toolIds, policyOptions: { toolCategories: catalog.toolCategories } });
  const address = await app.listen({ host: config.listen.host, port: config.listen.port });
  process.on('SIGHUP', () => {
    reload(app, 'signal:SIGHUP', '')
      .then((r) => app.log.info({ policy_changes: r.policy_diff.length, directory_changes: r.directory_diff.length }, 'policy and directory reloaded'))
      .catch((err: Error) => app.log.warn({ reason: err.message }, 'reload rejected; the previous policy and directory stay in force'));
  });
  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      app.close().then(() => process.exit(0), () => process.exit(1));
    });
  }
  const c = app.collector;
  process.stdout.write(
    [
      `aiscout collector listening on ${address}`,
      `  store:     ${c.store.kind}`,
      `  config:    ${config.source}`,
      `  health:    ${address}/healthz  ready: ${address}/readyz  metrics: ${address}/metrics`,
      `  agents:    POST ${address}/v1/enroll, POST ${address}/v1/batches`,
      `  admin:     ${address}/v1/admin/* (bearer token${config.adminTokens.length ? '' : ': none configured, admin API closed'})`,
      `  policy:    ${config.policyFile ?? '(none: every tool unapproved)'}   directory: ${config.directoryFile ?? '(none)'}`,
      '',
    ].join('\n'),
  );
  return app;
}
