-- Agents as the admin API and dashboards see them: newest state plus activity.
CREATE VIEW IF NOT EXISTS agents_current AS
SELECT a.*, s.last_seen AS last_seen, s.last_seq AS last_seq, s.batches AS batches, s.events AS events
FROM (SELECT * FROM agents FINAL) AS a
LEFT JOIN
(
    SELECT agent_id, max(last_seen) AS last_seen, max(last_seq) AS last_seq, sum(batches) AS batches, sum(events) AS events
    FROM agent_activity
    GROUP BY agent_id
) AS s USING (agent_id);
