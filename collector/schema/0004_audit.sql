-- Append-only audit trail of admin and enrollment actions. The collector only ever INSERTs here.
-- Kept three years (SOC 2 asks for evidence over the audit period; the minimum we promise is 400 days).
-- @shard_key rand()
CREATE TABLE IF NOT EXISTS audit_log
(
    id UUID,
    at DateTime64(3, 'UTC'),
    actor String,
    action LowCardinality(String),
    target String,
    outcome LowCardinality(String),
    detail String,
    remote_ip String,
    collector LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, id)
TTL toDateTime(at) + INTERVAL 1095 DAY;
