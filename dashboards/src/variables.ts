/** The template variables, defined once; each board lists the ones it uses. */
import { DATASOURCE, type Variable } from './model.js';
import { ALL, categoryIs, teamIs } from './sql.js';

const sqlQuery = (rawSql: string): Variable['query'] => ({ rawSql, editorType: 'sql', queryType: 'table', format: 1, refId: 'var' });
const allCurrent = { text: 'All', value: '$__all' };

const multi = (name: string, label: string, rawSql: string, description: string): Variable => ({
  name, label, type: 'query', datasource: DATASOURCE, query: sqlQuery(rawSql), multi: true, includeAll: true, allValue: ALL,
  current: { text: [allCurrent.text], value: [allCurrent.value] }, refresh: 2, sort: 1, hide: 0, description,
});

export const VARIABLES: Record<string, Variable> = {
  datasource: {
    name: 'datasource', label: 'ClickHouse', type: 'datasource', query: 'grafana-clickhouse-datasource', hide: 0,
    current: { text: 'aiscout ClickHouse', value: 'aiscout-clickhouse' }, description: 'The aiscout ClickHouse database.',
  },
  team: multi('team', 'Team', "SELECT DISTINCT team FROM inventory WHERE team != '' ORDER BY team", 'Teams from the directory (as enriched at ingestion).'),
  category: multi('category', 'Category', 'SELECT DISTINCT category FROM tools ORDER BY category', 'Tool categories from the signature catalog.'),
  tool: multi('tool', 'Tool', `SELECT DISTINCT tool FROM inventory WHERE tool != '' AND ${categoryIs('tool')} ORDER BY tool`, 'Tool ids from the catalog, narrowed by category.'),
  user: multi('user', 'User', `SELECT DISTINCT user FROM inventory WHERE ${teamIs()} ORDER BY user LIMIT 5000`, 'Users (or their pseudonyms), narrowed by team.'),
  approval: {
    name: 'approval', label: 'Policy', type: 'custom', query: 'approved,tolerated,unapproved', multi: true, includeAll: true, allValue: ALL,
    current: { text: ['All'], value: ['$__all'] }, hide: 0,
    options: ['approved', 'tolerated', 'unapproved'].map((v) => ({ text: v, value: v, selected: false })),
    description: 'The policy state of (team, tool) as the policy stands now (view v_tool_policy).',
  },
  k: {
    name: 'k', label: 'k', type: 'constant', query: '5', hide: 2, current: { text: '5', value: '5' },
    description: 'k-anonymity: teams with fewer than k users in the range fold into "other". Change it in the JSON (a constant cannot be changed by viewers).',
  },
};

/** Values a test substitutes for a variable when it is not "All". */
export const SAMPLE_VALUES: Record<string, string[]> = {
  team: ['team-01', 'team-02', 'team-03'],
  tool: ['claude-code', 'cursor', 'chatgpt', 'github-copilot'],
  category: ['agent-cli', 'ai-ide', 'chat-web'],
  approval: ['unapproved', 'tolerated'],
  user: ['user1', 'user13', 'user25'],
};
