/** The policy's public shapes: what the collector asks, and what the policy answers. */
export type { ConfigIssue, IssueSeverity } from './issues.js';

export type PolicyState = 'approved' | 'tolerated' | 'unapproved';
export const POLICY_STATES: readonly PolicyState[] = ['approved', 'tolerated', 'unapproved'];

export interface PolicyDecision {
  state: PolicyState;
  /** The matched rule's reason; when expired exceptions were skipped, it says which and when. */
  reason: string | null;
  /** The matched rule's expiry as written in the file (YYYY-MM-DD or a timestamp). */
  expires: string | null;
  scope: 'team' | 'global' | 'default';
  /** Where the rule sits in the file, e.g. "teams.platform.tools.claude-code" or "default". */
  rule: string;
}

/** One rule as written. team '' is the global section; category rules have tool "category:<name>". */
export interface PolicyRow {
  tool: string;
  team: string;
  state: PolicyState;
  reason: string;
  expires: string | null;
  kind: 'tool' | 'category';
}

export interface Policy {
  /** What `toolId` used by someone in `team` (null: unknown team) is, at instant `at`. */
  decide(toolId: string, team: string | null, at: Date): PolicyDecision;
  rows(): PolicyRow[];
  /** The state of anything no rule names: 'unapproved' (the default) or 'tolerated'. */
  readonly defaultState: PolicyState;
  /** Teams the file names, to check against the directory. */
  teams(): string[];
}

/** One rule as parsed, before it is asked anything. */
export interface PolicyRule {
  state: PolicyState;
  reason: string | null;
  expires: string | null;
  /** First instant the rule no longer applies (ms since epoch), or null for no expiry. */
  expiresAt: number | null;
}

export interface RuleSet {
  tools: Map<string, PolicyRule>;
  categories: Map<string, PolicyRule>;
}

export interface PolicySpec {
  defaultState: 'unapproved' | 'tolerated';
  global: RuleSet;
  teams: Map<string, RuleSet>;
}

export interface PolicyOptions {
  /**
   * Each catalog tool's category. Category rules need it at decision time; its values are also
   * the known categories. Without it, category rules are loaded but never match.
   */
  toolCategories?: ReadonlyMap<string, string>;
  /** "Now" for the load-time check that reports already-expired exceptions (tests pin it). */
  now?: Date;
}
