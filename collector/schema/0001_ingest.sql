-- Raw events, one row per detection window, plus the batches they came in and the agents that sent them.
-- Every statement is idempotent (IF NOT EXISTS): migrations may run twice and from two collectors at once.
-- Retention: the TTL below is the default; `migrate` aligns it with `retention_days` from the config.

-- Written at up to ~100k rows/s through one engine: plain String columns (no LowCardinality, whose
-- per-part dictionaries made each INSERT about a third dearer) and the default LZ4 codec. Dashboards
-- and reports read the rollups (0002, 0100), which keep LowCardinality where it pays off.
-- @shard_key cityHash64(event_id)
CREATE TABLE IF NOT EXISTS events
(
    event_id UUID,
    batch_id UUID,
    agent_id UUID,
    received_at DateTime64(3, 'UTC'),
    window_start DateTime64(3, 'UTC'),
    window_end DateTime64(3, 'UTC'),
    kind String,
    tool String,
    user String,
    host String,
    os String,
    team String,
    team_source String,
    policy_state String,
    evidence_matcher String,
    evidence_value String,
    count UInt64,
    confidence Float32,
    candidates Array(String),
    version String,
    model String,
    server_name String,
    exe String,
    extension_id String,
    ecosystem String,
    flags Array(String),
    quality String,
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
    -- Network events: how the server name was learnt and whether ECH hid it. Own columns, not in
    -- `details`, so usage_host_daily_mv counts TLS/ECH/DNS flows without parsing JSON on every insert.
    name_source String,
    ech UInt8,
    details String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(window_start)
ORDER BY (team, tool, toDate(window_start), user, event_id)
TTL toDateTime(window_start) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

-- @shard_key cityHash64(agent_id)
CREATE TABLE IF NOT EXISTS batches
(
    batch_id UUID,
    agent_id UUID,
    seq UInt64,
    received_at DateTime64(3, 'UTC'),
    sent_at DateTime64(3, 'UTC'),
    events UInt32,
    agent_version LowCardinality(String),
    catalog_version LowCardinality(String),
    collector LowCardinality(String)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (agent_id, batch_id)
TTL toDateTime(received_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

-- One row per change; the newest `version` of an agent is its state (read with FINAL).
-- @shard_key cityHash64(agent_id)
CREATE TABLE IF NOT EXISTS agents
(
    agent_id UUID,
    public_key String,
    hostname String,
    os LowCardinality(String),
    os_version String,
    arch LowCardinality(String),
    serial String,
    primary_user String,
    team String,
    agent_version LowCardinality(String),
    enrolled_at DateTime64(3, 'UTC'),
    enrolled_with LowCardinality(String),
    revoked UInt8,
    revoked_at Nullable(DateTime64(3, 'UTC')),
    revoked_reason String,
    updated_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY agent_id;

-- @shard_key cityHash64(agent_id)
CREATE TABLE IF NOT EXISTS agent_activity
(
    agent_id UUID,
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    last_seq SimpleAggregateFunction(max, UInt64),
    batches SimpleAggregateFunction(sum, UInt64),
    events SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
ORDER BY agent_id
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS agent_activity_mv TO agent_activity AS
SELECT agent_id, max(received_at) AS last_seen, max(seq) AS last_seq, toUInt64(count()) AS batches, toUInt64(sum(events)) AS events
FROM batches
GROUP BY agent_id;
