-- Policy and team directory, as loaded by the collector. A reload inserts every row of the new
-- version in one INSERT (one block: atomic), including a marker row, so an empty policy is still a
-- version. The *_current views show the newest version only.

-- @shard_key rand()
CREATE TABLE IF NOT EXISTS policy
(
    version UInt64,
    tool LowCardinality(String),
    team LowCardinality(String),
    state LowCardinality(String),
    reason String,
    expires Nullable(DateTime64(3, 'UTC')),
    loaded_at DateTime64(3, 'UTC'),
    is_marker UInt8
)
ENGINE = MergeTree
ORDER BY (version, tool, team);

CREATE VIEW IF NOT EXISTS policy_current AS
SELECT tool, team, state, reason, expires, loaded_at
FROM policy
WHERE version = (SELECT max(version) FROM policy) AND is_marker = 0;

-- kind: 'user' | 'host' (key → team) or 'team' (key = team, with managers and timezone).
-- @shard_key rand()
CREATE TABLE IF NOT EXISTS directory
(
    version UInt64,
    kind LowCardinality(String),
    key String,
    -- The user's keyed-hash pseudonym (what agents send when pseudonymization is on), else ''.
    pseudonym String,
    team LowCardinality(String),
    managers Array(String),
    timezone LowCardinality(String),
    loaded_at DateTime64(3, 'UTC'),
    is_marker UInt8
)
ENGINE = MergeTree
ORDER BY (version, kind, key);

CREATE VIEW IF NOT EXISTS directory_current AS
SELECT kind, key, pseudonym, team, managers, timezone, loaded_at
FROM directory
WHERE version = (SELECT max(version) FROM directory) AND is_marker = 0;
