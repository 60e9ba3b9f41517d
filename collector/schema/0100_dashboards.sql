-- Tables and views the Grafana dashboards (dashboards/) and the weekly report read. Numbered from 0100
-- so they never collide with the collector's own migrations. The anomaly and "unapproved" logic lives
-- here, once, so a dashboard and a report can never disagree.
-- Rollups fed by materialized views see only events inserted after this migration ran.

-- The signature catalog as a table (written at collector start-up by syncCatalogTable): gives each
-- tool id its name, vendor and category. The newest sync of an id wins.
-- @shard_key rand()
CREATE TABLE IF NOT EXISTS tools
(
    id String,
    name String,
    vendor String,
    category LowCardinality(String),
    status LowCardinality(String),
    catalog_version String,
    synced_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(synced_at)
ORDER BY id;

-- Daily usage per host and evidence kind: what usage_daily has, plus host, kind and network facts
-- (TLS flows, flows whose real name ECH hid, names learnt from DNS).
-- @shard_key cityHash64(team, user)
CREATE TABLE IF NOT EXISTS usage_host_daily
(
    day Date,
    team LowCardinality(String),
    tool LowCardinality(String),
    user String,
    host String,
    kind LowCardinality(String),
    tokens UInt64,
    est_tokens UInt64,
    requests UInt64,
    bytes UInt64,
    connections UInt64,
    tls_flows UInt64,
    ech_flows UInt64,
    dns_names UInt64,
    sightings UInt64,
    events UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, team, tool, user, host, kind)
TTL day + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_host_daily_mv TO usage_host_daily AS
SELECT
    toDate(window_start) AS day, team, tool, user, host, kind,
    sum(tokens_in + tokens_out) AS tokens, sum(est_tokens_in + est_tokens_out) AS est_tokens,
    sum(requests) AS requests, sum(bytes_up + bytes_down) AS bytes, sum(connections) AS connections,
    sumIf(greatest(events.connections, 1), kind = 'network' AND name_source IN ('tls-sni', 'quic-sni')) AS tls_flows,
    sumIf(greatest(events.connections, 1), kind = 'network' AND ech = 1) AS ech_flows,
    countIf(kind = 'network' AND name_source = 'dns') AS dns_names,
    sum(count) AS sightings, toUInt64(count()) AS events
FROM events
WHERE kind != 'agent'
GROUP BY day, team, tool, user, host, kind;

-- Versions of each tool seen on each host (process and extension evidence carry a version).
-- @shard_key cityHash64(tool)
CREATE TABLE IF NOT EXISTS tool_versions
(
    tool LowCardinality(String),
    version String,
    team LowCardinality(String),
    host String,
    kind LowCardinality(String),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    sightings SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
ORDER BY (tool, version, team, host, kind)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS tool_versions_mv TO tool_versions AS
SELECT tool, version, team, host, kind, min(window_start) AS first_seen, max(window_end) AS last_seen, sum(count) AS sightings
FROM events
WHERE kind IN ('process', 'extension') AND version != ''
GROUP BY tool, version, team, host, kind;

-- Agent health per agent and day, from heartbeat events: last heartbeat, the newest sensor list
-- (JSON), and the agent's counters (cumulative since its start, so the day's maximum).
-- @shard_key cityHash64(agent_id)
CREATE TABLE IF NOT EXISTS agent_health_daily
(
    day Date,
    agent_id UUID,
    host SimpleAggregateFunction(anyLast, String),
    user SimpleAggregateFunction(anyLast, String),
    team SimpleAggregateFunction(anyLast, String),
    heartbeats SimpleAggregateFunction(sum, UInt64),
    last_heartbeat SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    agent_version AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    sensors AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    dropped SimpleAggregateFunction(max, UInt64),
    spool_dropped SimpleAggregateFunction(max, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, agent_id)
TTL day + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS agent_health_daily_mv TO agent_health_daily AS
SELECT
    toDate(window_end) AS day, agent_id,
    anyLast(host) AS host, anyLast(user) AS user, anyLast(team) AS team,
    toUInt64(count()) AS heartbeats, max(window_end) AS last_heartbeat,
    argMaxState(evidence_value, window_end) AS agent_version,
    argMaxState(JSONExtractRaw(details, 'sensors'), window_end) AS sensors,
    max(toUInt64(arraySum(arrayMap(s -> JSONExtractUInt(s, 'dropped'), JSONExtractArrayRaw(details, 'sensors'))))) AS dropped,
    max(JSONExtractUInt(details, 'spool_dropped')) AS spool_dropped
FROM events
WHERE kind = 'agent'
GROUP BY day, agent_id;

-- Each user's daily volume, ordered by (user, day) so the anomaly baselines read it in order: exact
-- and estimated tokens (kept apart), and the tool and host of the day's largest single event: the
-- largest exact-token event, or the largest estimated one on a day without exact tokens (argMax
-- states merge exactly, whatever the insert blocks).
-- @shard_key cityHash64(user)
CREATE TABLE IF NOT EXISTS user_volume_daily
(
    day Date,
    user String,
    team SimpleAggregateFunction(anyLast, String),
    tokens SimpleAggregateFunction(sum, UInt64),
    est_tokens SimpleAggregateFunction(sum, UInt64),
    top_tool AggregateFunction(argMax, String, UInt64),
    top_host AggregateFunction(argMax, String, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (user, day)
TTL day + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS user_volume_daily_mv TO user_volume_daily AS
SELECT
    toDate(window_start) AS day, user, anyLast(team) AS team,
    sum(tokens_in + tokens_out) AS tokens, sum(est_tokens_in + est_tokens_out) AS est_tokens,
    -- Exact-token events outrank estimate-only ones (2^40 + tokens); a ranking, never a figure.
    argMaxState(tool, if(tokens_in + tokens_out > 0, 1099511627776 + tokens_in + tokens_out, est_tokens_in + est_tokens_out)) AS top_tool,
    argMaxState(host, if(tokens_in + tokens_out > 0, 1099511627776 + tokens_in + tokens_out, est_tokens_in + est_tokens_out)) AS top_host
FROM events
WHERE kind != 'agent'
GROUP BY day, user;

-- The policy as it stands now, for every (team, tool) pair seen in the inventory, decided exactly as
-- collector/src/policy does: first live rule of the team's tool rule, the team's category rule, the
-- global tool rule, the global category rule, else the default. A rule is live until its expiry: a
-- date means through that day (stored as 23:59:59.999, so live while now <= it), a timestamp means
-- until that instant. No policy loaded means everything is unapproved (the collector's empty policy).
CREATE VIEW IF NOT EXISTS v_tool_policy AS
WITH
    (SELECT max(version) FROM policy) AS policy_version,
    ifNull((SELECT any(state) FROM policy WHERE version = policy_version AND is_marker = 1), 'unapproved') AS default_state
SELECT
    c.team AS team, c.tool AS tool, c.category AS category,
    if(countIf(r.live) = 0, default_state, argMinIf(r.state, c.rank, r.live)) AS state,
    if(countIf(r.live) = 0, 'default', argMinIf(if(r.rule_team = '', concat('global ', r.rule_tool), concat('team ', r.rule_team, ' ', r.rule_tool)), c.rank, r.live)) AS rule,
    if(countIf(r.live) = 0, '', argMinIf(r.reason, c.rank, r.live)) AS reason,
    if(countIf(r.live) = 0, CAST(NULL AS Nullable(DateTime64(3, 'UTC'))), argMinIf(r.expires, c.rank, r.live)) AS expires
FROM
(
    SELECT team, tool, category, cand.1 AS rank, cand.2 AS rule_team, cand.3 AS rule_tool
    FROM
    (
        SELECT p.team AS team, p.tool AS tool, t.category AS category
        FROM (SELECT DISTINCT team, tool FROM inventory) AS p
        LEFT JOIN (SELECT id, argMax(category, synced_at) AS category FROM tools GROUP BY id) AS t ON t.id = p.tool
    )
    ARRAY JOIN [
        (1, team, tool), (2, team, concat('category:', category)),
        (3, '', tool), (4, '', concat('category:', category))
    ] AS cand
) AS c
LEFT JOIN
(
    SELECT team AS rule_team, tool AS rule_tool, state, reason, expires,
        expires IS NULL OR now64(3) < if(toUnixTimestamp64Milli(assumeNotNull(expires)) % 86400000 = 86399999,
            assumeNotNull(expires) + toIntervalMillisecond(1), assumeNotNull(expires)) AS live
    FROM policy_current
) AS r ON r.rule_team = c.rule_team AND r.rule_tool = c.rule_tool
GROUP BY c.team, c.tool, c.category;

-- Tool use that the policy does not approve right now, per (team, user, host, tool, evidence kind),
-- with first and last seen: what the "Unapproved tools" board and the weekly report list.
CREATE VIEW IF NOT EXISTS v_unapproved_usage AS
SELECT i.team AS team, i.user AS user, i.host AS host, i.tool AS tool, p.category AS category, p.state AS state,
    p.rule AS rule, p.reason AS reason, i.evidence_kind AS evidence_kind, i.evidence_sample AS evidence_sample,
    i.first_seen AS first_seen, i.last_seen AS last_seen, i.sightings AS sightings
FROM
(
    SELECT team, user, host, tool, evidence_kind, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
        sum(sightings) AS sightings, any(evidence_sample) AS evidence_sample
    FROM inventory
    GROUP BY team, user, host, tool, evidence_kind
) AS i
INNER JOIN v_tool_policy AS p ON p.team = i.team AND p.tool = i.tool
WHERE p.state != 'approved';

-- Each user's daily token volume, exact (usage logs) and estimated (bytes) kept apart, with the tool
-- and host of the day's largest event. Read over a range of days (a parameterized view).
CREATE VIEW IF NOT EXISTS v_user_daily_volume AS
SELECT day, user, any(team) AS team, sum(tokens) AS tokens, sum(est_tokens) AS est_tokens,
    argMaxMerge(top_tool) AS tool, argMaxMerge(top_host) AS host
FROM user_volume_daily
WHERE day >= {from:Date} AND day <= {to:Date}
GROUP BY user, day;

-- Token volume anomalies, one row per user and day, with exact tokens (usage logs) and estimated
-- tokens (bytes) scored separately, and the tool and host of the day's largest event. Baseline: the user's own active days in the 28 days before the
-- Monday of the day's week (so neither the day nor earlier days of its week, which may be part of the
-- same burst, count): median and MAD, robust z = 0.6745 * (x - median) / MAD, with MAD floored at 10%
-- of the median so a very steady user is not flagged for ordinary noise. Computing the baseline once
-- per user and week instead of per day keeps the view fast. A user with fewer than 7 active days in
-- that window is compared with the team's baseline instead: the median over the window of the team's
-- daily median and of its daily half interquartile range (the MAD of a symmetric distribution, in one
-- pass). Flagged: z >= 3.5 (Iglewicz and Hoaglin's cut-off), volume >= 3.5x the
-- baseline median, and volume >= 10,000 tokens. Only upward deviations are anomalies.
CREATE VIEW IF NOT EXISTS v_token_anomalies AS
WITH
    ud AS
    (
        SELECT day, user, any(team) AS team, sum(tokens) AS tok, sum(est_tokens) AS est
        FROM user_volume_daily
        WHERE day >= toMonday({from:Date}) - 28 AND day <= {to:Date}
        GROUP BY user, day
    ),
    user_week AS
    (
        SELECT user,
            arrayJoin(arrayDistinct(arrayMap(d -> toMonday(d), arrayFilter(d -> d >= {from:Date}, days)))) AS wk,
            arrayFilter((v, d) -> v > 0 AND d < wk AND d >= wk - 28, toks, days) AS h_tok,
            arrayFilter((v, d) -> v > 0 AND d < wk AND d >= wk - 28, ests, days) AS h_est,
            length(h_tok) AS n_tok, length(h_est) AS n_est,
            arrayReduce('median', h_tok) AS m_tok, arrayReduce('median', h_est) AS m_est,
            arrayReduce('median', arrayMap(v -> abs(v - m_tok), h_tok)) AS d_tok,
            arrayReduce('median', arrayMap(v -> abs(v - m_est), h_est)) AS d_est
        FROM (SELECT user, groupArray(day) AS days, groupArray(tok) AS toks, groupArray(est) AS ests FROM ud GROUP BY user)
    ),
    team_dev AS
    (
        SELECT team, day,
            quantilesExactIf(0.25, 0.5, 0.75)(tok, tok > 0) AS q_tok, quantilesExactIf(0.25, 0.5, 0.75)(est, est > 0) AS q_est,
            q_tok[2] AS md_tok, (q_tok[3] - q_tok[1]) / 2 AS mad_tok, q_est[2] AS md_est, (q_est[3] - q_est[1]) / 2 AS mad_est
        FROM ud
        GROUP BY team, day
    ),
    team_week AS
    (
        SELECT team,
            arrayJoin(arrayDistinct(arrayMap(d -> toMonday(d), arrayFilter(d -> d >= {from:Date}, days)))) AS wk,
            arrayReduce('median', arrayFilter((v, d) -> NOT isNaN(v) AND d < wk AND d >= wk - 28, mds_tok, days)) AS tb_tok,
            arrayReduce('median', arrayFilter((v, d) -> NOT isNaN(v) AND d < wk AND d >= wk - 28, mads_tok, days)) AS tbmad_tok,
            arrayReduce('median', arrayFilter((v, d) -> NOT isNaN(v) AND d < wk AND d >= wk - 28, mds_est, days)) AS tb_est,
            arrayReduce('median', arrayFilter((v, d) -> NOT isNaN(v) AND d < wk AND d >= wk - 28, mads_est, days)) AS tbmad_est
        FROM
        (
            SELECT team, groupArray(day) AS days, groupArray(md_tok) AS mds_tok, groupArray(mad_tok) AS mads_tok,
                groupArray(md_est) AS mds_est, groupArray(mad_est) AS mads_est
            FROM team_dev
            GROUP BY team
        )
    ),
    scored_both AS
    (
        SELECT u.day AS day, u.user AS user, u.team AS team, u.tok AS tok, u.est AS est, w.n_tok AS n_tok, w.n_est AS n_est,
            u.tool AS tool, u.host AS host,
            if(n_tok >= 7, w.m_tok, t.tb_tok) AS b_tok, if(n_est >= 7, w.m_est, t.tb_est) AS b_est,
            if(n_tok >= 7, w.d_tok, t.tbmad_tok) AS d_tok, if(n_est >= 7, w.d_est, t.tbmad_est) AS d_est
        FROM
        (
            -- The scored days, read apart from ud so the tool and host are merged only for them.
            SELECT day, user, any(team) AS team, sum(tokens) AS tok, sum(est_tokens) AS est, toMonday(day) AS wk,
                argMaxMerge(top_tool) AS tool, argMaxMerge(top_host) AS host
            FROM user_volume_daily
            WHERE day >= {from:Date} AND day <= {to:Date}
            GROUP BY user, day
        ) AS u
        INNER JOIN user_week AS w ON w.user = u.user AND w.wk = u.wk
        LEFT JOIN team_week AS t ON t.team = u.team AND t.wk = u.wk
    )
SELECT day, user, team,
    tok AS tokens, n_tok AS tokens_history_days, if(n_tok >= 7, 'user', 'team') AS tokens_baseline_kind,
    b_tok AS tokens_baseline, greatest(d_tok, 0.1 * b_tok, 1) AS tokens_mad,
    0.6745 * (tok - b_tok) / tokens_mad AS tokens_z, if(b_tok > 0, tok / b_tok, inf) AS tokens_ratio,
    tok > 0 AND b_tok > 0 AND tokens_z >= 3.5 AND tok >= 3.5 * b_tok AND tok >= 10000 AS tokens_anomaly,
    est AS est_tokens, n_est AS est_history_days, if(n_est >= 7, 'user', 'team') AS est_baseline_kind,
    b_est AS est_baseline, greatest(d_est, 0.1 * b_est, 1) AS est_mad,
    0.6745 * (est - b_est) / est_mad AS est_z, if(b_est > 0, est / b_est, inf) AS est_ratio,
    est > 0 AND b_est > 0 AND est_z >= 3.5 AND est >= 3.5 * b_est AND est >= 10000 AS est_anomaly,
    tokens_anomaly OR est_anomaly AS anomaly, tool, host
FROM scored_both;

-- Users per team over a range of days, for k-anonymity: a team figure is shown only when at least
-- k distinct users stand behind it; smaller teams fold into 'other'.
CREATE VIEW IF NOT EXISTS v_team_k AS
SELECT team, uniqExact(user) AS users, if(users >= {k:UInt32}, team, 'other') AS team_k
FROM usage_daily
WHERE day >= {from:Date} AND day <= {to:Date}
GROUP BY team;
