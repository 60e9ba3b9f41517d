// `npm start`: the whole system on this machine, for a first look.
//   1. a one-shot scan of this machine, printed as a table;
//   2. the collector on its embedded ClickHouse (chDB, data in ./data/clickhouse);
//   3. a local agent enrolled against it (state in ./data/agent), delivering every minute;
//   4. where to look: health, metrics, admin API, the weekly report (written to ./data/reports/).
// Ctrl-C stops the agent (it drains its spool) and then the collector.
// Settings: AISCOUT_START_PORT (default 8480), AISCOUT_START_DATA (default ./data).
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const data = resolve(process.env.AISCOUT_START_DATA ?? join(root, 'data'));
const port = Number(process.env.AISCOUT_START_PORT ?? 8480);
const base = `http://127.0.0.1:${port}`;
const node = process.execPath;
const say = (line = '') => process.stdout.write(`${line}\n`);

if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`AISCOUT_START_PORT must be a port number, got ${process.env.AISCOUT_START_PORT}`);
  process.exit(2);
}
mkdirSync(join(data, 'reports'), { recursive: true });

// Children get only what they need: no AISCOUT_* from this shell leaks between agent and collector.
function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AISCOUT_')) env[k] = v;
  return { ...env, ...extra };
}

say('== 1. One-shot scan of this machine ==');
const scan = spawnSync(node, [join(root, 'agent/dist/cli.js'), 'scan', '--once'], { stdio: 'inherit', env: cleanEnv({}) });
if (scan.status !== 0) say(`(scan exited with ${scan.status}; continuing)`);

say('\n== 2. Collector on the embedded ClickHouse ==');
const collectorLog = join(data, 'collector.log');
const collector = spawn(node, ['--max-semi-space-size=64', join(root, 'collector/dist/cli.js'), 'serve'], {
  cwd: root,
  env: cleanEnv({
    AISCOUT_CLICKHOUSE_PATH: join(data, 'clickhouse'),
    AISCOUT_LISTEN_HOST: '127.0.0.1',
    AISCOUT_LISTEN_PORT: String(port),
  }),
  stdio: ['ignore', 'pipe', 'pipe'],
  // Own process group: Ctrl-C reaches only this script, which stops the agent first (it drains to the collector).
  detached: true,
});
collector.stdout.pipe(process.stdout);
collector.stderr.pipe(createWriteStream(collectorLog, { flags: 'a' }));
let stopping = false;
collector.on('exit', (code) => {
  if (!stopping) {
    console.error(`collector exited (${code}); see ${collectorLog}`);
    process.exit(1);
  }
});

async function waitReady(deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
if (!(await waitReady(90_000))) {
  console.error(`collector not ready after 90 s; see ${collectorLog}`);
  collector.kill('SIGTERM');
  process.exit(1);
}

const credsFile = join(data, 'collector-credentials.json');
if (!existsSync(credsFile)) {
  console.error(`expected the collector's local credentials in ${credsFile}`);
  collector.kill('SIGTERM');
  process.exit(1);
}
const creds = JSON.parse(readFileSync(credsFile, 'utf8'));

say('== 3. Local agent, enrolled against the collector ==');
const agentLog = join(data, 'agent.log');
// The agent's deployed flags (deploy/linux/aiscout-agent.service): small heap, no optimizing compiler.
const agent = spawn(node, ['--max-semi-space-size=1', '--lite-mode', join(root, 'agent/dist/cli.js'), 'run'], {
  cwd: root,
  env: cleanEnv({
    AISCOUT_COLLECTOR_URL: base,
    AISCOUT_ENROLLMENT_SECRET: creds.enrollment_secret,
    AISCOUT_STATE_DIR: join(data, 'agent'),
    // Short windows so a first look shows data within a minute or two.
    AISCOUT_WINDOW_SECONDS: '60',
    AISCOUT_INTERVALS_HEARTBEAT: '60',
    AISCOUT_INTERVALS_EXTENSIONS: '300',
    AISCOUT_INTERVALS_USAGE_LOGS: '60',
  }),
  stdio: ['ignore', 'ignore', 'pipe'],
  detached: true,
});
agent.stderr.pipe(createWriteStream(agentLog, { flags: 'a' }));
agent.on('exit', (code) => {
  if (!stopping) say(`agent exited (${code}); see ${agentLog}`);
});

function isoWeek(d) {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const year = t.getUTCFullYear();
  const week = Math.ceil(((t.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}
const week = isoWeek(new Date());
const reportFile = join(data, 'reports', 'latest.html');

say(`
== 4. Where to look ==
  collector      ${base}   (health ${base}/healthz, readiness ${base}/readyz, Prometheus ${base}/metrics)
  data           ClickHouse (embedded) in ${join(data, 'clickhouse')}; agent state and spool in ${join(data, 'agent')}
  logs           ${collectorLog}, ${agentLog}
  admin token    in ${credsFile} (mode 0600; never printed)
  agents         curl -s -H "Authorization: Bearer $(node -p "require('${credsFile}').admin_token")" ${base}/v1/admin/agents
  inventory      curl -s -H "Authorization: Bearer $(node -p "require('${credsFile}').admin_token")" '${base}/v1/admin/inventory'
  weekly report  ${reportFile} (rewritten every minute; this week so far, ${week})
                 or: curl -s -H "Authorization: Bearer …" '${base}/reports/latest?week=${week}&format=html'
                 or: node collector/dist/cli.js report --week ${week} --format md
  dashboards     Grafana cannot run here: see dashboards/README.md and deploy/compose/ to provision them
  agent status   node agent/dist/cli.js status --state-dir ${join(data, 'agent')}

The agent's first window closes within a minute; then rows appear. Ctrl-C stops both.
`);

async function saveReport() {
  try {
    const r = await fetch(`${base}/reports/latest?week=${week}&format=html`, { headers: { authorization: `Bearer ${creds.admin_token}` } });
    if (r.ok) writeFileSync(reportFile, Buffer.from(await r.arrayBuffer()));
  } catch {
    // the collector may be restarting; try again next minute
  }
}
await saveReport();
const timer = setInterval(saveReport, 60_000);

async function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  say('\nstopping: agent drains its spool, then the collector closes');
  const agentDone = new Promise((r) => (agent.exitCode !== null ? r() : agent.once('exit', r)));
  agent.kill('SIGTERM');
  await Promise.race([agentDone, new Promise((r) => setTimeout(r, 15_000))]);
  const collectorDone = new Promise((r) => (collector.exitCode !== null ? r() : collector.once('exit', r)));
  collector.kill('SIGTERM');
  await Promise.race([collectorDone, new Promise((r) => setTimeout(r, 15_000))]);
  process.exit(0);
}
process.on('SIGINT', stop);
// If this script dies some other way, do not leave the children running.
process.on('exit', () => {
  for (const child of [agent, collector]) if (child.exitCode === null) child.kill('SIGTERM');
});
process.on('SIGTERM', stop);
