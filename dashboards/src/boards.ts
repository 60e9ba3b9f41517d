/** Every board and panel, as data. generate.ts turns these into Grafana JSON. */
import type { BoardSpec } from './model.js';
import { inlineView } from './views.js';
import {
  FROM_DAY, PREV_FROM_DAY, TO_DAY, approvalIs, categoryIs, inDays, joinTeamK, otherHasK, teamIs, toolIs, usageFilters, userIs,
} from './sql.js';

const USAGE_VARS = ['datasource', 'team', 'tool', 'category', 'approval', 'k'];
const fleetTeam = teamIs('a.team');

/** Anomaly scores with the tool and host of each user-day (the day's largest event). */
const ANOMALIES = `FROM ${inlineView('v_token_anomalies', { from: FROM_DAY, to: TO_DAY })} AS a`;
const ANOMALY_TOOL = 'a.tool';

const perTeamOverTime = (metric: string, expr: string, unit: string, what: string) => ({
  title: `${what} per team`,
  type: 'timeseries' as const,
  unit,
  description: `${what} per day and team. Teams with fewer than k users in the range fold into "other" (hidden when "other" itself has fewer than k).`,
  columns: ['time', 'team', metric],
  sql: `SELECT toDateTime(u.day, 'UTC') AS time, tk.team_k AS team, sum(${expr}) AS ${metric}
FROM usage_daily AS u ${joinTeamK('u')}
WHERE ${inDays('u.day')} AND ${usageFilters('u.team', 'u.tool')} AND (tk.team_k != 'other' OR ${otherHasK})
GROUP BY time, team ORDER BY time, team`,
});

export const BOARDS: BoardSpec[] = [
  {
    uid: 'aiscout-overview', file: 'overview.json', title: 'AI usage — Overview', perUser: false, variables: USAGE_VARS,
    description: 'Who uses AI tools, how much, and how much of the fleet is visible. Start here every week.',
    panels: [
      {
        title: 'Active AI users', type: 'stat', w: 4, description: 'Distinct users with any AI tool evidence in the range.',
        columns: ['users'],
        sql: `SELECT uniqExact(user) AS users FROM usage_daily WHERE ${inDays()} AND ${usageFilters()}`,
      },
      {
        title: 'Tools in use', type: 'stat', w: 4, description: 'Distinct AI tools seen in the range.',
        columns: ['tools'],
        sql: `SELECT uniqExact(tool) AS tools FROM usage_daily WHERE ${inDays()} AND ${usageFilters()}`,
      },
      {
        title: 'Users on unapproved tools', type: 'stat', w: 4, unit: 'percentunit',
        description: 'Share of active users who used at least one tool the policy does not approve for their team today (v_tool_policy).',
        columns: ['share'],
        sql: `SELECT uniqExactIf(user, (team, tool) IN (SELECT team, tool FROM v_tool_policy WHERE state = 'unapproved')) / greatest(uniqExact(user), 1) AS share
FROM usage_daily WHERE ${inDays()} AND ${usageFilters()}`,
      },
      {
        title: 'New tools this week', type: 'stat', w: 4, description: 'Tools first seen anywhere in the fleet in the last 7 days.',
        columns: ['new_tools'],
        sql: `SELECT count() AS new_tools FROM (SELECT tool FROM inventory WHERE ${usageFilters()} GROUP BY tool HAVING min(first_seen) >= now() - INTERVAL 7 DAY)`,
      },
      {
        title: 'Agents reporting', type: 'stat', w: 4,
        description: 'Enrolled agents (not revoked) that sent a heartbeat in the last 24 hours, against all enrolled. Missing agents are unknown, not "no AI".',
        columns: ['reporting', 'enrolled'],
        sql: `SELECT countIf(h.last_heartbeat >= now() - INTERVAL 1 DAY) AS reporting, count() AS enrolled
FROM (SELECT agent_id, team FROM agents FINAL WHERE revoked = 0) AS a
LEFT JOIN (SELECT agent_id, max(last_heartbeat) AS last_heartbeat FROM agent_health_daily WHERE day >= today() - 1 GROUP BY agent_id) AS h ON h.agent_id = a.agent_id
WHERE ${fleetTeam}`,
      },
      {
        title: 'This period vs the previous one', type: 'table', w: 12, h: 7,
        description: 'Exact tokens (usage logs), estimated tokens (from bytes; never added to exact ones), bytes and requests in the range and in the period of the same length before it.',
        columns: ['metric', 'this_period', 'previous_period', 'change'],
        sql: `SELECT m.1 AS metric, m.2 AS this_period, m.3 AS previous_period, if(m.3 = 0, NULL, (m.2 - m.3) / m.3) AS change
FROM
(
  SELECT arrayJoin([
    ('tokens (exact)', sumIf(tokens_in + tokens_out, day >= ${FROM_DAY}), sumIf(tokens_in + tokens_out, day < ${FROM_DAY})),
    ('tokens (estimated)', sumIf(est_tokens_in + est_tokens_out, day >= ${FROM_DAY}), sumIf(est_tokens_in + est_tokens_out, day < ${FROM_DAY})),
    ('bytes', sumIf(bytes_up + bytes_down, day >= ${FROM_DAY}), sumIf(bytes_up + bytes_down, day < ${FROM_DAY})),
    ('requests', sumIf(requests, day >= ${FROM_DAY}), sumIf(requests, day < ${FROM_DAY}))
  ]) AS m
  FROM usage_daily
  WHERE day >= ${PREV_FROM_DAY} AND day <= ${TO_DAY} AND ${usageFilters()}
)`,
      },
      {
        title: 'Coverage', type: 'table', w: 12, h: 7,
        description: 'How much of the fleet we can see. ECH hides the real server name of a TLS flow; hosts with TLS names but no DNS names likely use DNS over HTTPS; a disabled sensor means that evidence is unknown on that host, never "no AI".',
        columns: ['signal', 'value', 'meaning'],
        sql: `WITH
  (SELECT count() FROM agents FINAL WHERE revoked = 0) AS enrolled,
  (SELECT uniqExact(agent_id) FROM agent_health_daily WHERE last_heartbeat >= now() - INTERVAL 1 DAY) AS reporting,
  (SELECT sum(tls_flows) FROM usage_host_daily WHERE ${inDays()}) AS tls,
  (SELECT sum(ech_flows) FROM usage_host_daily WHERE ${inDays()}) AS ech,
  (SELECT count() FROM (SELECT host FROM usage_host_daily WHERE ${inDays()} AND kind = 'network' GROUP BY host HAVING sum(tls_flows) > 0 AND sum(dns_names) = 0)) AS no_dns,
  (SELECT uniqExact(agent_id) FROM (SELECT agent_id, argMaxMerge(sensors) AS s FROM agent_health_daily WHERE ${inDays()} GROUP BY agent_id) WHERE arrayExists(x -> NOT JSONExtractBool(x, 'enabled'), JSONExtractArrayRaw(s))) AS disabled
SELECT t.1 AS signal, t.2 AS value, t.3 AS meaning FROM (SELECT arrayJoin([
  ('hosts enrolled', toString(enrolled), 'agents enrolled and not revoked'),
  ('hosts reporting (24h)', concat(toString(reporting), ' (', toString(round(100 * reporting / greatest(enrolled, 1), 1)), '%)'), 'the rest are unknown, not "no AI"'),
  ('TLS flows with ECH', if(tls = 0, 'unknown', concat(toString(round(100 * ech / tls, 1)), '%')), 'real server name hidden: tool attribution from DNS or process only'),
  ('hosts without DNS names', toString(no_dns), 'TLS seen but no DNS: DNS over HTTPS likely in use'),
  ('hosts with a sensor disabled', toString(disabled), 'see Fleet health for which sensor and why')
]) AS t)`,
      },
      perTeamOverTime('tokens', 'u.tokens_in + u.tokens_out', 'short', 'Exact tokens'),
    ],
  },
  {
    uid: 'aiscout-team-usage', file: 'team-usage.json', title: 'AI usage — Teams', perUser: false, variables: USAGE_VARS,
    description: 'Tokens, estimated tokens, bytes and requests per team and per tool over time, and each team\'s tool mix. Team figures respect k-anonymity.',
    panels: [
      perTeamOverTime('tokens', 'u.tokens_in + u.tokens_out', 'short', 'Exact tokens'),
      perTeamOverTime('est_tokens', 'u.est_tokens_in + u.est_tokens_out', 'short', 'Estimated tokens'),
      perTeamOverTime('bytes', 'u.bytes_up + u.bytes_down', 'bytes', 'Bytes'),
      perTeamOverTime('requests', 'u.requests', 'short', 'Requests'),
      {
        title: 'Exact tokens per tool', type: 'timeseries', description: 'Exact tokens per day and tool (no per-team split, so no k-anonymity fold needed).',
        columns: ['time', 'tool', 'tokens'],
        sql: `SELECT toDateTime(day, 'UTC') AS time, tool, sum(tokens_in + tokens_out) AS tokens
FROM usage_daily WHERE ${inDays()} AND ${usageFilters()} AND tokens_in + tokens_out > 0
GROUP BY time, tool ORDER BY time, tool`,
      },
      {
        title: 'Team totals', type: 'table', description: 'Per team (k-anonymous): users, exact and estimated tokens, bytes, requests over the range.',
        columns: ['team', 'users', 'tokens', 'est_tokens', 'bytes', 'requests'],
        sql: `SELECT tk.team_k AS team, uniqExact(u.user) AS users, sum(u.tokens_in + u.tokens_out) AS tokens, sum(u.est_tokens_in + u.est_tokens_out) AS est_tokens,
  sum(u.bytes_up + u.bytes_down) AS bytes, sum(u.requests) AS requests
FROM usage_daily AS u ${joinTeamK('u')}
WHERE ${inDays('u.day')} AND ${usageFilters('u.team', 'u.tool')} AND (tk.team_k != 'other' OR ${otherHasK})
GROUP BY team ORDER BY tokens DESC`,
      },
      {
        title: 'Tool mix per team', type: 'table', description: 'Which tools each team uses and how much (k-anonymous teams).',
        columns: ['team', 'tool', 'users', 'tokens', 'est_tokens', 'bytes'],
        sql: `SELECT tk.team_k AS team, u.tool AS tool, uniqExact(u.user) AS users, sum(u.tokens_in + u.tokens_out) AS tokens,
  sum(u.est_tokens_in + u.est_tokens_out) AS est_tokens, sum(u.bytes_up + u.bytes_down) AS bytes
FROM usage_daily AS u ${joinTeamK('u')}
WHERE ${inDays('u.day')} AND ${usageFilters('u.team', 'u.tool')} AND (tk.team_k != 'other' OR ${otherHasK})
GROUP BY team, tool ORDER BY team, users DESC, tool`,
      },
    ],
  },
  {
    uid: 'aiscout-team-people', file: 'team-people.json', title: 'AI usage — Top users and hosts', perUser: true,
    variables: ['datasource', 'team', 'tool', 'category', 'approval'],
    description: 'Per-person tables: top users and hosts per team. Lives in the restricted folder.',
    panels: [
      {
        title: 'Top users per team', type: 'table', description: 'The 10 heaviest users of each team by exact tokens, then estimated tokens.',
        columns: ['team', 'user', 'tools', 'tokens', 'est_tokens', 'requests'],
        sql: `SELECT team, user, groupUniqArray(tool) AS tools, sum(tokens_in + tokens_out) AS tokens, sum(est_tokens_in + est_tokens_out) AS est_tokens, sum(requests) AS requests
FROM usage_daily WHERE ${inDays()} AND ${usageFilters()}
GROUP BY team, user ORDER BY team, tokens DESC, est_tokens DESC LIMIT 10 BY team`,
      },
      {
        title: 'Top hosts per team', type: 'table', description: 'The 10 hosts of each team that moved the most bytes to AI tools.',
        columns: ['team', 'host', 'users', 'bytes_sum', 'tokens_sum', 'est_sum'],
        sql: `SELECT team, host, uniqExact(user) AS users, sum(bytes) AS bytes_sum, sum(tokens) AS tokens_sum, sum(est_tokens) AS est_sum
FROM usage_host_daily WHERE ${inDays()} AND ${usageFilters()}
GROUP BY team, host ORDER BY team, bytes_sum DESC LIMIT 10 BY team`,
      },
    ],
  },
  {
    uid: 'aiscout-anomalies', file: 'anomalies.json', title: 'AI usage — Token volume anomalies', perUser: true, time: 'now-7d',
    variables: ['datasource', 'team', 'tool', 'category', 'approval', 'user'],
    description: 'Each user\'s daily token volume against their own trailing baseline (view v_token_anomalies).',
    panels: [
      {
        title: 'Anomalies', type: 'table', w: 24, h: 10,
        description: 'Method (v_token_anomalies): for each user and day, the baseline is the median of the user\'s own active days in the 28 days before the Monday of that week (so neither the day nor the earlier days of the same burst count), spread is the MAD (floored at 10% of the median); robust z = 0.6745 × (volume − median) / MAD. Users with fewer than 7 active days in that window are compared with their team\'s baseline. A day is flagged when z ≥ 3.5, volume ≥ 3.5× the baseline and ≥ 10,000 tokens. Exact tokens (usage logs) and estimated tokens (from bytes) are scored separately; metric says which one was flagged ("both": the exact figures are shown). Tool and host: those of the day\'s largest single event (exact tokens first).',
        columns: ['day', 'user', 'team', 'metric', 'volume', 'baseline', 'baseline_kind', 'z', 'ratio', 'tool', 'host'],
        sql: `SELECT a.day AS day, a.user AS user, a.team AS team,
  multiIf(a.tokens_anomaly AND a.est_anomaly, 'both', a.tokens_anomaly, 'tokens', 'est_tokens') AS metric,
  if(a.tokens_anomaly, a.tokens, a.est_tokens) AS volume, round(if(a.tokens_anomaly, a.tokens_baseline, a.est_baseline)) AS baseline,
  if(a.tokens_anomaly, a.tokens_baseline_kind, a.est_baseline_kind) AS baseline_kind,
  round(if(a.tokens_anomaly, a.tokens_z, a.est_z), 1) AS z, round(if(a.tokens_anomaly, a.tokens_ratio, a.est_ratio), 1) AS ratio,
  a.tool AS tool, a.host AS host
${ANOMALIES}
WHERE a.anomaly AND ${usageFilters('a.team', ANOMALY_TOOL)} AND ${userIs('a.user')}
ORDER BY a.day DESC, z DESC
LIMIT 500`,
      },
      {
        title: 'Anomalies per day', type: 'timeseries', description: 'Flagged user-days per day: on exact tokens, on estimated tokens.',
        columns: ['time', 'exact', 'estimated'],
        sql: `SELECT toDateTime(a.day, 'UTC') AS time, countIf(a.tokens_anomaly) AS exact, countIf(a.est_anomaly) AS estimated
${ANOMALIES}
WHERE ${usageFilters('a.team', ANOMALY_TOOL)} AND ${userIs('a.user')}
GROUP BY time ORDER BY time`,
      },
      {
        title: 'Volume against baseline', type: 'timeseries', description: 'Exact tokens of the selected users per day, with the sum of their baselines and of their flag thresholds (the larger of baseline + 3.5 × MAD / 0.6745 and 3.5 × baseline).',
        columns: ['time', 'volume_sum', 'baseline_sum', 'threshold_sum'],
        sql: `SELECT toDateTime(a.day, 'UTC') AS time, sum(a.tokens) AS volume_sum, round(sum(a.tokens_baseline)) AS baseline_sum,
  round(sum(greatest(a.tokens_baseline + 3.5 * a.tokens_mad / 0.6745, 3.5 * a.tokens_baseline))) AS threshold_sum
${ANOMALIES}
WHERE a.tokens > 0 AND ${usageFilters('a.team', ANOMALY_TOOL)} AND ${userIs('a.user')}
GROUP BY time ORDER BY time`,
      },
    ],
  },
  {
    uid: 'aiscout-unapproved', file: 'unapproved.json', title: 'AI usage — Unapproved tools', perUser: true,
    variables: ['datasource', 'team', 'tool', 'category', 'approval', 'user'],
    description: 'Who uses tools the policy does not approve (view v_unapproved_usage, the same the weekly report reads).',
    panels: [
      {
        title: 'Users on unapproved tools', type: 'stat', w: 8, description: 'Distinct users with unapproved or tolerated tool evidence last seen in the range.',
        columns: ['users'],
        sql: `SELECT uniqExact(user) AS users FROM v_unapproved_usage WHERE last_seen >= $__fromTime AND ${usageFilters()} AND ${userIs()}`,
      },
      {
        title: 'Unapproved tools', type: 'stat', w: 8, description: 'Distinct tools not approved, seen in the range.',
        columns: ['tools'],
        sql: `SELECT uniqExact(tool) AS tools FROM v_unapproved_usage WHERE last_seen >= $__fromTime AND ${usageFilters()} AND ${userIs()}`,
      },
      {
        title: 'New this week', type: 'stat', w: 8, description: '(team, tool) pairs first seen in the last 7 days.',
        columns: ['new_pairs'],
        sql: `SELECT count() AS new_pairs FROM (SELECT team, tool FROM v_unapproved_usage WHERE ${usageFilters()} AND ${userIs()} GROUP BY team, tool HAVING min(first_seen) >= now() - INTERVAL 7 DAY)`,
      },
      {
        title: 'Who uses what', type: 'table', w: 24, h: 12,
        description: 'One row per user, host and tool: evidence kinds (process, extension, network, usage) with an example, first and last seen, whether it is new this week, and the policy rule that decided.',
        columns: ['user', 'team', 'host', 'tool', 'category', 'state', 'evidence', 'example', 'first_seen_at', 'last_seen_at', 'new_this_week', 'rule'],
        sql: `SELECT user, team, host, tool, any(category) AS category, any(state) AS state, arraySort(groupUniqArray(evidence_kind)) AS evidence, any(evidence_sample) AS example,
  min(first_seen) AS first_seen_at, max(last_seen) AS last_seen_at, first_seen_at >= now() - INTERVAL 7 DAY AS new_this_week, any(rule) AS rule
FROM v_unapproved_usage
WHERE last_seen >= $__fromTime AND first_seen <= $__toTime AND ${usageFilters()} AND ${userIs()}
GROUP BY user, team, host, tool ORDER BY last_seen_at DESC, user, tool LIMIT 1000`,
      },
      {
        title: 'Per team', type: 'barchart', description: 'Users on tools that are not approved, per team and state.',
        columns: ['team', 'unapproved', 'tolerated'],
        sql: `SELECT team, uniqExactIf(user, state = 'unapproved') AS unapproved, uniqExactIf(user, state = 'tolerated') AS tolerated
FROM v_unapproved_usage WHERE last_seen >= $__fromTime AND ${usageFilters()} AND ${userIs()}
GROUP BY team ORDER BY unapproved DESC`,
      },
      {
        title: 'Policy exceptions about to expire', type: 'table',
        description: 'Rules with an expiry in the next 30 days (or expired in the last 7): when they lapse the tool falls back to the next rule, usually "unapproved".',
        columns: ['team', 'rule', 'state', 'expires', 'days_left', 'reason'],
        sql: `SELECT if(p.team = '', '(global)', p.team) AS team, p.tool AS rule, p.state AS state, p.expires AS expires,
  dateDiff('day', now(), assumeNotNull(p.expires)) AS days_left, p.reason AS reason
FROM policy_current AS p
WHERE p.expires IS NOT NULL AND p.expires >= now() - INTERVAL 7 DAY AND p.expires <= now() + INTERVAL 30 DAY
  AND ('__all' IN (\${team:singlequote}) OR p.team IN (\${team:singlequote}) OR p.team = '')
ORDER BY p.expires`,
      },
    ],
  },
  {
    uid: 'aiscout-tool-detail', file: 'tool-detail.json', title: 'AI usage — Tool detail', perUser: true,
    variables: ['datasource', 'tool', 'team', 'category', 'approval'],
    description: 'One tool across the fleet: versions, hosts, teams, evidence kinds, volume. Pick the tool at the top.',
    panels: [
      {
        title: 'Versions', type: 'table', description: 'Versions reported by process and extension evidence, with how many hosts run each.',
        columns: ['tool', 'version', 'hosts', 'teams', 'first_seen_at', 'last_seen_at'],
        sql: `SELECT tool, version, uniqExact(host) AS hosts, uniqExact(team) AS teams, min(first_seen) AS first_seen_at, max(last_seen) AS last_seen_at
FROM tool_versions WHERE last_seen >= $__fromTime AND first_seen <= $__toTime AND ${usageFilters()}
GROUP BY tool, version ORDER BY tool, hosts DESC`,
      },
      {
        title: 'Hosts', type: 'table', description: 'Hosts with evidence of the tool, which kinds, and when.',
        columns: ['host', 'host_team', 'users', 'evidence', 'first_seen_at', 'last_seen_at'],
        sql: `SELECT host, any(team) AS host_team, uniqExact(user) AS users, arraySort(groupUniqArray(evidence_kind)) AS evidence, min(first_seen) AS first_seen_at, max(last_seen) AS last_seen_at
FROM inventory WHERE last_seen >= $__fromTime AND first_seen <= $__toTime AND ${usageFilters()}
GROUP BY host ORDER BY last_seen_at DESC LIMIT 500`,
      },
      {
        title: 'Teams', type: 'table', description: 'Teams using the tool, with the policy state for each.',
        columns: ['team', 'users', 'hosts', 'state'],
        sql: `SELECT i.team AS team, uniqExact(i.user) AS users, uniqExact(i.host) AS hosts, any(p.state) AS state
FROM inventory AS i LEFT JOIN v_tool_policy AS p ON p.team = i.team AND p.tool = i.tool
WHERE i.last_seen >= $__fromTime AND i.first_seen <= $__toTime AND ${usageFilters('i.team', 'i.tool')}
GROUP BY team ORDER BY users DESC`,
      },
      {
        title: 'Evidence kinds', type: 'piechart', description: 'How the tool was seen: process, extension, network, usage log.',
        columns: ['kind', 'hosts'],
        sql: `SELECT kind, uniqExact(host) AS hosts FROM usage_host_daily WHERE ${inDays()} AND ${usageFilters()} GROUP BY kind ORDER BY kind`,
      },
      {
        title: 'Volume', type: 'timeseries', description: 'Exact and estimated tokens, requests and bytes per interval.',
        columns: ['time', 'tokens_sum', 'est_sum', 'requests_sum', 'bytes_sum'],
        sql: `SELECT toDateTime(day, 'UTC') AS time, sum(tokens) AS tokens_sum, sum(est_tokens) AS est_sum, sum(requests) AS requests_sum, sum(bytes) AS bytes_sum
FROM usage_host_daily WHERE ${inDays()} AND ${usageFilters()} GROUP BY time ORDER BY time`,
      },
    ],
  },
  {
    uid: 'aiscout-fleet', file: 'fleet.json', title: 'AI usage — Fleet health', perUser: true, variables: ['datasource', 'team'],
    description: 'Is the fleet reporting? Silent agents, disabled sensors and why, dropped events, agent and catalog versions.',
    panels: [
      {
        title: 'Agents reporting', type: 'stat', w: 8, description: 'Agents with a heartbeat in the last 24 hours.',
        columns: ['reporting'],
        sql: `SELECT uniqExact(agent_id) AS reporting FROM agent_health_daily AS a WHERE day >= today() - 1 AND last_heartbeat >= now() - INTERVAL 1 DAY AND ${fleetTeam}`,
      },
      {
        title: 'Silent agents', type: 'stat', w: 8, description: 'Enrolled agents (not revoked) without a heartbeat in the last 24 hours.',
        columns: ['silent'],
        sql: `SELECT count() AS silent FROM (SELECT agent_id, team FROM agents FINAL WHERE revoked = 0) AS a
WHERE a.agent_id NOT IN (SELECT agent_id FROM agent_health_daily WHERE day >= today() - 1 AND last_heartbeat >= now() - INTERVAL 1 DAY) AND ${fleetTeam}`,
      },
      {
        title: 'Dropped (cumulative, latest)', type: 'stat', w: 8, description: 'Events dropped by sensors and by full spools, as the agents last reported them (counters since each agent started).',
        columns: ['sensor_dropped', 'spool_dropped'],
        sql: `SELECT sum(d) AS sensor_dropped, sum(s) AS spool_dropped FROM (SELECT agent_id, argMax(dropped, day) AS d, argMax(spool_dropped, day) AS s, any(team) AS team FROM agent_health_daily WHERE ${inDays()} GROUP BY agent_id) AS a WHERE ${fleetTeam}`,
      },
      {
        title: 'Silent agents', type: 'table', description: 'Which hosts went quiet, and when they were last heard (never: enrolled but no heartbeat).',
        columns: ['host', 'team', 'user', 'last_heartbeat', 'silent_for'],
        sql: `SELECT a.hostname AS host, a.team AS team, a.primary_user AS user, h.last AS last_heartbeat,
  if(h.last IS NULL, 'never', formatReadableTimeDelta(dateDiff('second', h.last, now()))) AS silent_for
FROM (SELECT agent_id, hostname, team, primary_user FROM agents FINAL WHERE revoked = 0) AS a
LEFT JOIN (SELECT agent_id, max(last_heartbeat) AS last FROM agent_health_daily GROUP BY agent_id) AS h ON h.agent_id = a.agent_id
WHERE (h.last IS NULL OR h.last < now() - INTERVAL 1 DAY) AND ${fleetTeam}
ORDER BY h.last NULLS FIRST, host
SETTINGS join_use_nulls = 1`,
      },
      {
        title: 'Sensors disabled, and why', type: 'table', description: 'From each agent\'s newest heartbeat in the range: which sensor is off and the reason it gave.',
        columns: ['sensor', 'reason', 'hosts'],
        sql: `SELECT JSONExtractString(s, 'name') AS sensor, JSONExtractString(s, 'disabled_reason') AS reason, uniqExact(agent_id) AS hosts
FROM (SELECT agent_id, any(team) AS team, argMaxMerge(sensors) AS list FROM agent_health_daily WHERE ${inDays()} GROUP BY agent_id) AS a
ARRAY JOIN JSONExtractArrayRaw(list) AS s
WHERE NOT JSONExtractBool(s, 'enabled') AND ${fleetTeam}
GROUP BY sensor, reason ORDER BY hosts DESC`,
      },
      {
        title: 'Heartbeats and drops per day', type: 'timeseries', description: 'Heartbeats received, agents heard, and the highest drop counters reported per day.',
        columns: ['time', 'heartbeats_sum', 'agents', 'dropped_sum'],
        sql: `SELECT toDateTime(day, 'UTC') AS time, sum(heartbeats) AS heartbeats_sum, uniqExact(agent_id) AS agents, sum(dropped + spool_dropped) AS dropped_sum
FROM agent_health_daily AS a WHERE ${inDays()} AND ${fleetTeam} GROUP BY time ORDER BY time`,
      },
      {
        title: 'Agent versions', type: 'table', description: 'Agent versions from each agent\'s newest heartbeat.',
        columns: ['agent_version', 'agents'],
        sql: `SELECT v AS agent_version, count() AS agents FROM (SELECT agent_id, any(team) AS team, argMaxMerge(agent_version) AS v FROM agent_health_daily WHERE ${inDays()} GROUP BY agent_id) AS a
WHERE ${fleetTeam} GROUP BY v ORDER BY agents DESC`,
      },
      {
        title: 'Catalog versions', type: 'table', description: 'Signature catalog versions in each agent\'s newest batch; old catalogs miss new tools.',
        columns: ['catalog_version', 'agents'],
        sql: `SELECT v AS catalog_version, count() AS agents FROM (SELECT b.agent_id AS agent_id, argMax(b.catalog_version, b.received_at) AS v FROM batches AS b
WHERE b.received_at >= $__fromTime AND b.received_at <= $__toTime
  AND ('__all' IN (\${team:singlequote}) OR b.agent_id IN (SELECT agent_id FROM agents FINAL WHERE team IN (\${team:singlequote})))
GROUP BY b.agent_id) GROUP BY v ORDER BY agents DESC`,
      },
    ],
  },
];

/** Kept for the README and tests: which helpers the panels use. */
export const FILTER_HELPERS = { teamIs, toolIs, userIs, categoryIs, approvalIs };
