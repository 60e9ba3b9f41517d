-- Rollups the dashboards and reports read. Both are fed by materialized views on `events`, so they
-- see exactly the inserted blocks: a block dropped by insert deduplication never reaches them.

-- Daily usage per team, user and tool. Exact token counts (from usage logs) and estimates (from bytes)
-- stay in separate columns and are never added together.
-- @shard_key cityHash64(team, user)
CREATE TABLE IF NOT EXISTS usage_daily
(
    day Date,
    team LowCardinality(String),
    user String,
    tool LowCardinality(String),
    tokens_in UInt64,
    tokens_out UInt64,
    tokens_cache_read UInt64,
    tokens_cache_write UInt64,
    requests UInt64,
    bytes_up UInt64,
    bytes_down UInt64,
    connections UInt64,
    est_tokens_in UInt64,
    est_tokens_out UInt64,
    sightings UInt64,
    events UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, team, user, tool)
TTL day + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS usage_daily_mv TO usage_daily AS
SELECT
    toDate(window_start) AS day, team, user, tool,
    sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out,
    sum(tokens_cache_read) AS tokens_cache_read, sum(tokens_cache_write) AS tokens_cache_write,
    sum(requests) AS requests, sum(bytes_up) AS bytes_up, sum(bytes_down) AS bytes_down,
    sum(connections) AS connections, sum(est_tokens_in) AS est_tokens_in, sum(est_tokens_out) AS est_tokens_out,
    sum(count) AS sightings, toUInt64(count()) AS events
FROM events
WHERE kind != 'agent'
GROUP BY day, team, user, tool;

-- Inventory: who has which tool on which host, by which kind of evidence, first and last seen.
-- @shard_key cityHash64(team, user)
CREATE TABLE IF NOT EXISTS inventory
(
    team LowCardinality(String),
    user String,
    host String,
    tool LowCardinality(String),
    evidence_kind LowCardinality(String),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    sightings SimpleAggregateFunction(sum, UInt64),
    -- One example of the evidence (an extension id, a host name); the raw events hold them all.
    evidence_sample SimpleAggregateFunction(any, String)
)
ENGINE = AggregatingMergeTree
ORDER BY (team, tool, user, host, evidence_kind)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS inventory_mv TO inventory AS
SELECT
    team, user, host, tool, kind AS evidence_kind,
    min(window_start) AS first_seen, max(window_end) AS last_seen, sum(count) AS sightings,
    any(evidence_value) AS evidence_sample
FROM events
WHERE kind != 'agent'
GROUP BY team, user, host, tool, evidence_kind;
