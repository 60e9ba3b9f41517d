/** A validated policy, answering "is this tool approved for this team, now?". */
import type { Policy, PolicyDecision, PolicyRow, PolicyRule, PolicySpec, RuleSet } from './types.js';

interface Candidate {
  rule: PolicyRule | undefined;
  path: string;
  scope: 'team' | 'global';
}

/**
 * Precedence, first live rule wins: the team's tool rule, the team's category rule, the global
 * tool rule, the global category rule, then the default. A team section is a whole override
 * layer (team beats global); inside a layer a tool rule beats its category's rule. A rule whose
 * expiry has passed is skipped and the decision's reason says so.
 */
export function buildPolicy(spec: PolicySpec, toolCategories?: ReadonlyMap<string, string>): Policy {
  const decide = (toolId: string, team: string | null, at: Date): PolicyDecision => {
    const category = toolCategories?.get(toolId) ?? null;
    const teamRules = team === null ? undefined : spec.teams.get(team);
    const candidates: Candidate[] = [];
    if (teamRules) candidates.push(...layer(teamRules, `teams.${team}`, 'team', toolId, category));
    candidates.push(...layer(spec.global, '', 'global', toolId, category));

    const t = at.getTime();
    const expired: string[] = [];
    for (const { rule, path, scope } of candidates) {
      if (!rule) continue;
      // `!(t < expiresAt)` also treats an invalid date as expired: fail towards the stricter rule.
      if (rule.expiresAt !== null && !(t < rule.expiresAt)) {
        expired.push(`exception ${path} (${rule.state}) expired ${rule.expires}`);
        continue;
      }
      return { state: rule.state, reason: withExpired(rule.reason, expired), expires: rule.expires, scope, rule: path };
    }
    return { state: spec.defaultState, reason: withExpired(null, expired), expires: null, scope: 'default', rule: 'default' };
  };

  const rows = (): PolicyRow[] => {
    const out: PolicyRow[] = [];
    const add = (team: string, set: RuleSet): void => {
      for (const [tool, r] of set.tools) out.push({ tool, team, state: r.state, reason: r.reason ?? '', expires: r.expires, kind: 'tool' });
      for (const [cat, r] of set.categories) out.push({ tool: `category:${cat}`, team, state: r.state, reason: r.reason ?? '', expires: r.expires, kind: 'category' });
    };
    add('', spec.global);
    for (const [team, set] of spec.teams) add(team, set);
    return out.sort((a, b) => cmp(a.team, b.team) || cmp(a.kind, b.kind) || cmp(a.tool, b.tool));
  };

  return { decide, rows, defaultState: spec.defaultState, teams: () => [...spec.teams.keys()].sort(cmp) };
}

/** An empty policy: every tool is unapproved. Used when no policy file is configured. */
export function emptyPolicy(): Policy {
  return buildPolicy({ defaultState: 'unapproved', global: { tools: new Map(), categories: new Map() }, teams: new Map() });
}

function layer(set: RuleSet, prefix: string, scope: 'team' | 'global', toolId: string, category: string | null): Candidate[] {
  const dot = prefix ? `${prefix}.` : '';
  const out: Candidate[] = [{ rule: set.tools.get(toolId), path: `${dot}tools.${toolId}`, scope }];
  if (category !== null) out.push({ rule: set.categories.get(category), path: `${dot}categories.${category}`, scope });
  return out;
}

function withExpired(reason: string | null, expired: string[]): string | null {
  if (expired.length === 0) return reason;
  const note = expired.join('; ');
  return reason ? `${reason} (${note})` : note;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
