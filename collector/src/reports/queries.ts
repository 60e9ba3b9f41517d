/**
 * Every SQL statement the weekly report runs. Approval state, unapproved usage, token anomalies and
 * the k-anonymity count come from the shared views the dashboards read (schema/0100_dashboards.sql:
 * v_tool_policy, v_unapproved_usage, v_token_anomalies, v_team_k), so a report and a dashboard cannot
 * disagree. Volumes come from raw `events` by window_start: a team's week starts at local midnight,
 * which the per-UTC-day rollups cannot cut (see docs/reports.md).
 *
 * Each function takes a set of teams sharing one time zone, so building 500 team reports costs a
 * few statements per time zone, not per team.
 */
import { clickhouseTime } from '../store/migrate.js';
import type { Store } from '../store/store.js';

type Reader = Pick<Store, 'query'>;

export interface Window {
  start: Date;
  end: Date;
}

function windowParams(teams: readonly string[], w: Window): Record<string, unknown> {
  return { teams, start: clickhouseTime(w.start), end: clickhouseTime(w.end) };
}

const IN_WINDOW = `team IN {teams:Array(String)} AND window_start >= {start:DateTime64(3, 'UTC')} AND window_start < {end:DateTime64(3, 'UTC')} AND kind != 'agent'`;

export interface DirectoryTeam {
  team: string;
  managers: string[];
  timezone: string;
}

/** Teams of the directory in force, with managers and time zone. */
export async function directoryTeams(store: Reader): Promise<DirectoryTeam[]> {
  const rows = await store.query<DirectoryTeam>(
    `SELECT key AS team, managers, if(timezone = '', 'UTC', timezone) AS timezone FROM directory_current WHERE kind = 'team' ORDER BY team`,
  );
  return rows.map((r) => ({ team: r.team, managers: r.managers, timezone: r.timezone }));
}

/** Teams with events in a window (for the organisation report: teams the directory does not name). */
export async function activeTeams(store: Reader, w: Window): Promise<string[]> {
  const rows = await store.query<{ team: string }>(
    `SELECT DISTINCT team FROM events WHERE window_start >= {start:DateTime64(3, 'UTC')} AND window_start < {end:DateTime64(3, 'UTC')} AND kind != 'agent' ORDER BY team`,
    { start: clickhouseTime(w.start), end: clickhouseTime(w.end) },
  );
  return rows.map((r) => r.team);
}

export interface UsageRow {
  team: string;
  tool: string;
  users: number;
  hosts: number;
  kinds: string[];
  tokens: number;
  est_tokens: number;
  bytes: number;
  sightings: number;
}

/** Per team and tool in the window: distinct users and hosts, evidence kinds, exact and estimated tokens, bytes. */
export async function toolUsage(store: Reader, teams: readonly string[], w: Window): Promise<UsageRow[]> {
  const rows = await store.query<Record<string, unknown>>(
    `SELECT team, tool, uniqExactIf(user, user != '') AS users, uniqExactIf(host, host != '') AS hosts,
       arraySort(groupUniqArray(kind)) AS kinds,
       sum(tokens_in + tokens_out) AS tokens, sum(est_tokens_in + est_tokens_out) AS est_tokens,
       sum(bytes_up + bytes_down) AS bytes, sum(count) AS sightings
     FROM events FINAL
     WHERE ${IN_WINDOW}
     GROUP BY team, tool
     ORDER BY team, tool`,
    windowParams(teams, w),
  );
  return rows.map((r) => ({
    team: String(r.team), tool: String(r.tool), users: Number(r.users), hosts: Number(r.hosts), kinds: r.kinds as string[],
    tokens: Number(r.tokens), est_tokens: Number(r.est_tokens), bytes: Number(r.bytes), sightings: Number(r.sightings),
  }));
}

/** Distinct users and hosts per team in the window (what a team's totals rest on). */
export async function teamUsers(store: Reader, teams: readonly string[], w: Window): Promise<Map<string, { users: number; hosts: number }>> {
  const rows = await store.query<{ team: string; users: string; hosts: string }>(
    `SELECT team, uniqExactIf(user, user != '') AS users, uniqExactIf(host, host != '') AS hosts FROM events FINAL WHERE ${IN_WINDOW} GROUP BY team`,
    windowParams(teams, w),
  );
  return new Map(rows.map((r) => [r.team, { users: Number(r.users), hosts: Number(r.hosts) }]));
}

export interface PolicyRow {
  team: string;
  tool: string;
  category: string;
  state: string;
  rule: string;
  reason: string;
  expires: string | null;
}

/** The policy as it stands now for each (team, tool) seen: view v_tool_policy. */
export async function toolPolicy(store: Reader, teams: readonly string[]): Promise<PolicyRow[]> {
  return store.query<PolicyRow>(
    `SELECT team, tool, ifNull(category, '') AS category, state, rule, reason, if(expires IS NULL, NULL, toString(expires)) AS expires
     FROM v_tool_policy WHERE team IN {teams:Array(String)}`,
    { teams },
  );
}

export interface CatalogRow {
  id: string;
  name: string;
  category: string;
}

/** Tool names and categories from the synced catalog (`tools`). */
export async function catalog(store: Reader): Promise<Map<string, CatalogRow>> {
  const rows = await store.query<CatalogRow>(`SELECT id, argMax(name, synced_at) AS name, argMax(category, synced_at) AS category FROM tools GROUP BY id`);
  return new Map(rows.map((r) => [r.id, r]));
}

export interface UnapprovedRow {
  team: string;
  tool: string;
  state: string;
  user: string;
  host: string;
  evidence_kind: string;
}

/**
 * Unapproved use in the window: the rows of view v_unapproved_usage (what the "Unapproved tools"
 * board lists) whose (user, host, tool, evidence kind) has events in the week.
 */
export async function unapprovedUsage(store: Reader, teams: readonly string[], w: Window): Promise<UnapprovedRow[]> {
  return store.query<UnapprovedRow>(
    `SELECT team, tool, state, user, host, evidence_kind
     FROM v_unapproved_usage
     WHERE team IN {teams:Array(String)}
       AND (team, user, host, tool, evidence_kind) IN (SELECT team, user, host, tool, kind FROM events WHERE ${IN_WINDOW})
     ORDER BY team, tool, user, host, evidence_kind`,
    windowParams(teams, w),
  );
}

/** First time each (team, tool) was ever seen (inventory), to tell what is new this week. */
export async function firstSeen(store: Reader, teams: readonly string[]): Promise<Map<string, Date>> {
  const rows = await store.query<{ team: string; tool: string; first: string }>(
    `SELECT team, tool, toString(min(first_seen)) AS first FROM inventory WHERE team IN {teams:Array(String)} GROUP BY team, tool`,
    { teams },
  );
  return new Map(rows.map((r) => [`${r.team}\u0000${r.tool}`, new Date(`${r.first.replace(' ', 'T')}Z`)]));
}

export interface AnomalyRow {
  day: string;
  user: string;
  team: string;
  metric: 'tokens' | 'est_tokens';
  volume: number;
  tool: string;
  baseline: number;
  baseline_kind: string;
  z: number;
  ratio: number;
}

/**
 * Token anomalies flagged on the given days (UTC days, the view's grain): view v_token_anomalies.
 * The view gives one row per user and day with both metrics (tokens_*, est_*); the tool named is the
 * one with the user's largest volume of that metric that day (raw events).
 */
export async function tokenAnomalies(store: Reader, teams: readonly string[], fromDay: string, toDay: string): Promise<AnomalyRow[]> {
  const rows = await store.query<Record<string, unknown>>(
    `SELECT toString(a.day) AS day, a.user AS user, a.team AS team, a.metric AS metric, a.volume AS volume, if(a.metric = 'tokens', e.tool_tokens, e.tool_est) AS tool,
       a.baseline AS baseline, a.baseline_kind AS baseline_kind, a.z AS z, a.ratio AS ratio
     FROM
     (
       -- One row per user and day with both metrics side by side; one row per flagged metric here.
       SELECT day, user, team, m.1 AS metric, m.2 AS volume, m.3 AS baseline, m.4 AS baseline_kind, m.5 AS z, m.6 AS ratio
       FROM v_token_anomalies(from = {from:Date}, to = {to:Date})
       ARRAY JOIN [
         ('tokens', toFloat64(tokens), toFloat64(tokens_baseline), tokens_baseline_kind, toFloat64(tokens_z), toFloat64(tokens_ratio), toUInt8(tokens_anomaly)),
         ('est_tokens', toFloat64(est_tokens), toFloat64(est_baseline), est_baseline_kind, toFloat64(est_z), toFloat64(est_ratio), toUInt8(est_anomaly))
       ] AS m
       WHERE anomaly AND m.7 = 1 AND team IN {teams:Array(String)}
     ) AS a
     LEFT JOIN
     (
       SELECT toDate(window_start) AS day, user, argMax(tool, tokens_in + tokens_out) AS tool_tokens, argMax(tool, est_tokens_in + est_tokens_out) AS tool_est
       FROM events
       WHERE window_start >= toDateTime64({from:Date}, 3, 'UTC') AND window_start < toDateTime64({to:Date} + 1, 3, 'UTC') AND kind != 'agent'
         AND team IN {teams:Array(String)}
       GROUP BY day, user
     ) AS e ON e.day = a.day AND e.user = a.user
     ORDER BY day, user, metric`,
    { teams, from: fromDay, to: toDay },
  );
  return rows.map((r) => ({
    day: String(r.day), user: String(r.user), team: String(r.team), metric: r.metric as AnomalyRow['metric'], volume: Number(r.volume),
    tool: String(r.tool), baseline: Number(r.baseline), baseline_kind: String(r.baseline_kind), z: Number(r.z), ratio: Number(r.ratio),
  }));
}

/** k-anonymity as the dashboards apply it: view v_team_k over UTC days. */
export async function teamK(store: Reader, fromDay: string, toDay: string, k: number): Promise<Map<string, { users: number; teamK: string }>> {
  const rows = await store.query<{ team: string; users: string; team_k: string }>(
    `SELECT team, users, team_k FROM v_team_k(from = {from:Date}, to = {to:Date}, k = {k:UInt32})`,
    { from: fromDay, to: toDay, k },
  );
  return new Map(rows.map((r) => [r.team, { users: Number(r.users), teamK: r.team_k }]));
}

export interface AgentCoverageRow {
  team: string;
  agent_id: string;
  hostname: string;
  last_seen: string | null;
  reporting: number;
}

/**
 * Agents enrolled before the week ended and not revoked before it started, with their team (the
 * directory's host entry, else the team the agent reports) and whether a batch arrived in the week.
 */
export async function agentCoverage(store: Reader, teams: readonly string[], w: Window): Promise<AgentCoverageRow[]> {
  return store.query<AgentCoverageRow>(
    `SELECT team, agent_id, hostname, last_seen, reporting FROM
     (
       SELECT if(d.team != '', d.team, a.team) AS team, toString(a.agent_id) AS agent_id, a.hostname AS hostname,
         if(a.last_seen IS NULL OR toUnixTimestamp64Milli(a.last_seen) = 0, NULL, toString(a.last_seen)) AS last_seen,
         a.agent_id IN (SELECT agent_id FROM batches WHERE received_at >= {start:DateTime64(3, 'UTC')} AND received_at < {end:DateTime64(3, 'UTC')}) AS reporting
       FROM agents_current AS a
       LEFT JOIN (SELECT key, any(team) AS team FROM directory_current WHERE kind = 'host' GROUP BY key) AS d ON d.key = lower(a.hostname)
       WHERE a.enrolled_at < {end:DateTime64(3, 'UTC')} AND (a.revoked = 0 OR ifNull(a.revoked_at, a.updated_at) >= {start:DateTime64(3, 'UTC')})
     )
     WHERE team IN {teams:Array(String)}
     ORDER BY team, reporting, hostname`,
    windowParams(teams, w),
  );
}
