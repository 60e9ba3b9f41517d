/**
 * Weekly report build time for an organisation of 10,000 users in 500 teams (8 time zones).
 * Seeds a fresh embedded store with INSERT … SELECT FROM numbers() (five weeks of events, so the
 * anomaly baselines have history), then builds every team report for one week (HTML + JSON, no PDF)
 * and the organisation report. Prints one JSON object.
 *
 *   node --import tsx collector/bench/reports.ts [--users 10000] [--teams 500] [--events-per-user-day 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { syncCatalogTable } from '../src/catalog-sync.js';
import { migrate } from '../src/store/migrate.js';
import { Store } from '../src/store/store.js';
import { buildOrgReport, buildTeamReports } from '../src/reports/build.js';
import { renderJson } from '../src/reports/render-data.js';
import { renderHtml } from '../src/reports/render-html.js';

const { values } = parseArgs({ options: { users: { type: 'string' }, teams: { type: 'string' }, 'events-per-user-day': { type: 'string' } } });
const USERS = Number(values.users ?? 10_000);
const TEAMS = Number(values.teams ?? 500);
const PER_DAY = Number(values['events-per-user-day'] ?? 3);
const WEEK = '2026-W47';
const DAYS = 35; // 2026-10-19 .. 2026-11-22: W43..W47
const ZONES = ['UTC', 'Europe/Berlin', 'Europe/London', 'America/New_York', 'America/Los_Angeles', 'Asia/Tokyo', 'Asia/Kolkata', 'Australia/Sydney'];
const TOOLS = ['claude-code', 'github-copilot', 'cursor', 'anthropic-api', 'ollama', 'chatgpt'];

const dir = mkdtempSync(join(tmpdir(), 'aiscout-bench-reports-'));
const store = new Store({ path: join(dir, 'clickhouse'), url: null, user: null, password: null, database: null, caFile: null, cluster: null, timeoutMs: 600_000 });

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;

try {
  await migrate(store, { retentionDays: 3650, auditRetentionDays: 3650, collectorId: 'bench' });
  const t0 = performance.now();
  const version = Date.now() * 1000;
  const zones = `[${ZONES.map((z) => `'${z}'`).join(',')}]`;
  // Directory: one version, a marker, the teams (two managers, a zone each) and the users.
  await store.command(`INSERT INTO directory (version, kind, key, pseudonym, team, managers, timezone, loaded_at, is_marker)
    SELECT ${version}, 'marker', '', '', '', [], '', now64(3), 1`);
  await store.command(`INSERT INTO directory (version, kind, key, pseudonym, team, managers, timezone, loaded_at, is_marker)
    SELECT ${version}, 'team', concat('team-', toString(number)), '', concat('team-', toString(number)),
      [concat('lead', toString(number), '@corp.example'), concat('deputy', toString(number), '@corp.example')],
      ${zones}[1 + number % ${ZONES.length}], now64(3), 0 FROM numbers(${TEAMS})`);
  await store.command(`INSERT INTO directory (version, kind, key, pseudonym, team, managers, timezone, loaded_at, is_marker)
    SELECT ${version}, 'user', concat('u', toString(number)), '', concat('team-', toString(number % ${TEAMS})), [], '', now64(3), 0 FROM numbers(${USERS})`);
  await store.command(`INSERT INTO policy (version, tool, team, state, reason, expires, loaded_at, is_marker) VALUES
    (${version}, '', '', 'unapproved', 'default', NULL, now64(3), 1),
    (${version}, 'github-copilot', '', 'approved', 'contract', NULL, now64(3), 0),
    (${version}, 'claude-code', '', 'approved', 'pilot', '2099-12-31 23:59:59.999', now64(3), 0),
    (${version}, 'ollama', '', 'tolerated', '', NULL, now64(3), 0)`);
  await syncCatalogTable(store, TOOLS.map((id) => ({ id, name: id, vendor: 'x', category: 'chat-web' as const, status: 'stable' as const })), 'bench');
  // Events: USERS × DAYS × PER_DAY rows, each user in team u % TEAMS, on one or two hosts.
  const events = USERS * DAYS * PER_DAY;
  await store.command(`INSERT INTO events (event_id, batch_id, agent_id, received_at, window_start, window_end, kind, tool, user, host, os, team,
      team_source, policy_state, evidence_matcher, evidence_value, count, confidence, tokens_in, tokens_out, est_tokens_in, est_tokens_out, bytes_up, bytes_down)
    SELECT generateUUIDv4(number), generateUUIDv4(), generateUUIDv4(), ws, ws, ws + INTERVAL 5 MINUTE, kind, tool, user,
      concat(user, if(h % 5 = 0, '-b', '-a')), 'linux', team, 'directory', 'unapproved', 'bench', tool, 1 + h % 3, 1,
      if(kind = 'usage', 1000 + h % 4000, 0), if(kind = 'usage', 200 + h % 800, 0),
      if(kind = 'network', 500 + h % 2000, 0), if(kind = 'network', 100 + h % 400, 0),
      if(kind = 'network', 2000 + h % 8000, 0), if(kind = 'network', 6000 + h % 20000, 0)
    FROM (
      SELECT number, cityHash64(number) AS h, number % ${USERS} AS u, concat('u', toString(u)) AS user, concat('team-', toString(u % ${TEAMS})) AS team,
        ${JSON.stringify(TOOLS).replace(/"/g, "'")}[1 + (u + intDiv(number, ${USERS}) % ${PER_DAY}) % ${TOOLS.length}] AS tool,
        ['usage', 'network', 'process', 'extension'][1 + h % 4] AS kind,
        toDateTime64('2026-10-19 00:00:00', 3, 'UTC') + toIntervalSecond(intDiv(number, ${USERS * PER_DAY}) * 86400 + h % 86400) AS ws
      FROM numbers(${events})
    )`, {}, {}, 600_000);
  // One agent per user, a batch per agent per day in the last week except every 20th host (silent).
  await store.command(`INSERT INTO agents (agent_id, public_key, hostname, os, os_version, arch, serial, primary_user, team, agent_version, enrolled_at, enrolled_with, revoked, revoked_at, revoked_reason, updated_at, version)
    SELECT generateUUIDv4(number), '', concat('u', toString(number), '-a'), 'linux', '12', 'x64', toString(number), concat('u', toString(number)),
      concat('team-', toString(number % ${TEAMS})), '0.1.0', toDateTime64('2026-10-01 00:00:00', 3, 'UTC'), 'bench', 0, NULL, '', now64(3), 1 FROM numbers(${USERS})`);
  await store.command(`INSERT INTO batches (batch_id, agent_id, seq, received_at, sent_at, events, agent_version, catalog_version, collector)
    SELECT generateUUIDv4(), agent_id, 1, toDateTime64('2026-11-18 12:00:00', 3, 'UTC'), toDateTime64('2026-11-18 12:00:00', 3, 'UTC'), 1, '0.1.0', 'bench', 'bench'
    FROM agents WHERE toUInt64(serial) % 20 != 0`);
  const seedSeconds = (performance.now() - t0) / 1000;

  // All team reports for the week, built together (one set of statements per time zone).
  const now = new Date('2026-11-24T08:00:00Z');
  const tBuild = performance.now();
  const reports = await buildTeamReports(store, { week: WEEK, k: 5, now });
  const buildMs = performance.now() - tBuild;
  const renderMs: number[] = [];
  let bytes = 0;
  const tRender = performance.now();
  for (const r of reports) {
    const t = performance.now();
    bytes += renderHtml(r).length + renderJson(r).length;
    renderMs.push(performance.now() - t);
  }
  const renderTotalMs = performance.now() - tRender;
  const tOrg = performance.now();
  const org = await buildOrgReport(store, { week: WEEK, k: 5, now });
  const orgHtml = renderHtml(org);
  const orgMs = performance.now() - tOrg;
  // A single team on demand (what GET /reports/latest?team= costs), over a sample of teams.
  const singleMs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const [r] = await buildTeamReports(store, { week: WEEK, k: 5, now, teams: [`team-${(i * 37) % TEAMS}`] });
    renderHtml(r!);
    renderJson(r!);
    singleMs.push(performance.now() - t);
  }
  // Per team, the batch build is shared out evenly; rendering is measured per team.
  const perTeam = renderMs.map((ms) => ms + buildMs / reports.length);
  console.log(JSON.stringify({
    users: USERS, teams: TEAMS, time_zones: ZONES.length, events, seed_seconds: round(seedSeconds),
    team_reports: reports.length, total_seconds: round((buildMs + renderTotalMs + orgMs) / 1000, 2),
    all_teams_build_seconds: round(buildMs / 1000, 2), all_teams_render_seconds: round(renderTotalMs / 1000, 2),
    per_team_ms_p50: round(percentile(perTeam, 50), 2), per_team_ms_p95: round(percentile(perTeam, 95), 2),
    render_ms_p50: round(percentile(renderMs, 50), 2), render_ms_p95: round(percentile(renderMs, 95), 2),
    single_team_on_demand_ms_p50: round(percentile(singleMs, 50)), single_team_on_demand_ms_p95: round(percentile(singleMs, 95)),
    org_report_seconds: round(orgMs / 1000, 2), org_sections: org.sections.length, output_mb: round((bytes + orgHtml.length) / 1e6, 2),
    tools_per_team_mean: round(reports.reduce((n, r) => n + r.tools.length, 0) / reports.length),
    users_per_team_mean: round(reports.reduce((n, r) => n + r.totals.users, 0) / reports.length),
  }));
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
