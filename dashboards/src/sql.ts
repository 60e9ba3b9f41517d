/**
 * SQL fragments every panel shares, so each variable means the same thing on every board. "All" is a
 * custom allValue ('__all', quoted) that Grafana inserts unformatted; the filters below are true for it
 * without a huge IN list.
 */
export const ALL = "'__all'";

const anyOf = (name: string, expr: string): string => `('__all' IN (\${${name}:singlequote}) OR ${expr} IN (\${${name}:singlequote}))`;

export const teamIs = (col = 'team'): string => anyOf('team', col);
export const toolIs = (col = 'tool'): string => anyOf('tool', col);
export const userIs = (col = 'user'): string => anyOf('user', col);
export const categoryIs = (toolCol = 'tool'): string =>
  `('__all' IN (\${category:singlequote}) OR ${toolCol} IN (SELECT id FROM tools WHERE category IN (\${category:singlequote})))`;
/** Approval as the policy stands now (v_tool_policy: the same decision the weekly report uses). */
export const approvalIs = (teamCol = 'team', toolCol = 'tool'): string =>
  `('__all' IN (\${approval:singlequote}) OR (${teamCol}, ${toolCol}) IN (SELECT team, tool FROM v_tool_policy WHERE state IN (\${approval:singlequote})))`;

/** Team, tool, category and approval: what every usage panel honours. */
export const usageFilters = (teamCol = 'team', toolCol = 'tool'): string =>
  [teamIs(teamCol), toolIs(toolCol), categoryIs(toolCol), approvalIs(teamCol, toolCol)].join(' AND ');

export const FROM_DAY = "toDate($__fromTime, 'UTC')";
export const TO_DAY = "toDate($__toTime, 'UTC')";
/** Rollups are daily: a day belongs to the range when it overlaps it. */
export const inDays = (col = 'day'): string => `${col} >= ${FROM_DAY} AND ${col} <= ${TO_DAY}`;
/** The previous period of the same length, ending the day before the range. */
export const PREV_FROM_DAY = `(${FROM_DAY} - (${TO_DAY} - ${FROM_DAY} + 1))`;

/** k-anonymity: each team's name, or 'other' when fewer than k users stand behind its figures. */
export const TEAM_K = `v_team_k(from = ${FROM_DAY}, to = ${TO_DAY}, k = \${k})`;
/** Joins `alias.team` to its k-anonymous name `tk.team_k`. */
export const joinTeamK = (alias: string): string => `INNER JOIN ${TEAM_K} AS tk ON tk.team = ${alias}.team`;
/** The 'other' bucket is itself hidden when fewer than k users fold into it. */
export const otherHasK = `(SELECT sum(users) FROM ${TEAM_K} WHERE team_k = 'other') >= \${k}`;
