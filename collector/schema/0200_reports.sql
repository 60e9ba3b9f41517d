-- Weekly reports: the send log that makes delivery idempotent per team, ISO week and channel.
-- Numbered from 0200 so report migrations never collide with the collector's or the dashboards'.

-- One row per state change of a send ('sending' → 'sent' | 'failed'); the highest version per
-- (team, week, channel) is the current state (read with FINAL). A sender inserts 'sending' with its
-- owner id, reads back, and goes on only when its row won: see docs/reports.md for the race left.
-- @shard_key cityHash64(team, week)
CREATE TABLE IF NOT EXISTS report_sends
(
    team String,
    week LowCardinality(String),
    channel LowCardinality(String),
    status LowCardinality(String),
    attempts UInt32,
    owner String,
    recipients Array(String),
    message_id String,
    error String,
    sent_at Nullable(DateTime64(3, 'UTC')),
    updated_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (team, week, channel);
