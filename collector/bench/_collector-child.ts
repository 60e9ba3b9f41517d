/**
 * The collector under test, in its own process (as in production), on a fresh embedded store.
 * Talks to the bench over IPC: sends { port } when listening, answers { cmd: 'count' } with the
 * number of event rows in ClickHouse.
 */
import { build } from '../src/app.js';
import { catalogFacts } from '../src/catalog.js';
import { DEFAULT_CONFIG } from '../src/config.js';

const [dataDir, secret, token] = process.argv.slice(2) as [string, string, string];
const catalog = catalogFacts();
const app = await build({
  config: {
    ...structuredClone(DEFAULT_CONFIG),
    listen: { host: '127.0.0.1', port: 0 },
    clickhouse: { ...DEFAULT_CONFIG.clickhouse, path: `${dataDir}/clickhouse` },
    enrollmentSecrets: [{ id: 'bench', secret, retired: false }],
    adminTokens: [{ id: 'bench', token }],
    logLevel: 'warn',
    collectorId: 'bench',
    source: '(bench)',
  },
  knownToolIds: catalog.toolIds,
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.send!({ port: typeof address === 'object' && address ? address.port : 0 });
// The bench went away (killed, crashed): do not linger.
process.on('disconnect', () => void app.close().then(() => process.exit(0)));
process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'count') {
    app.collector.store
      .query<{ n: string }>('SELECT toString(count()) AS n FROM events')
      .then((rows) => process.send!({ count: Number(rows[0]?.n ?? 0) }))
      .catch((err: Error) => process.send!({ error: err.message }));
  } else if (msg.cmd === 'stop') {
    void app.close().then(() => process.exit(0));
  }
});
