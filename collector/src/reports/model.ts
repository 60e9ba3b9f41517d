/** The weekly report as data: what every renderer (HTML, text, CSV, JSON, Markdown, PDF) shows. */

export type ApprovalStatus = 'unapproved' | 'tolerated' | 'exception' | 'approved';

/** Unapproved first: the order tools are listed in. */
export const STATUS_ORDER: readonly ApprovalStatus[] = ['unapproved', 'tolerated', 'exception', 'approved'];

export interface Volume {
  users: number;
  hosts: number;
  tokens: number;
  estTokens: number;
  bytes: number;
}

export interface ToolLine extends Volume {
  tool: string;
  name: string;
  category: string;
  status: ApprovalStatus;
  /** The rule that decided (v_tool_policy), e.g. "team platform cursor", "global category:chat", "default". */
  rule: string;
  reason: string;
  /** Expiry of an exception (UTC, `YYYY-MM-DD HH:MM:SS.mmm`), else null. */
  expires: string | null;
  evidenceKinds: string[];
  sightings: number;
  /** The same tool in the previous week, or null when it was not seen then. */
  previous: Volume | null;
  /** First seen (ever, for this team) inside this week. */
  isNew: boolean;
}

export interface UnapprovedLine {
  tool: string;
  name: string;
  status: ApprovalStatus;
  users: string[];
  hosts: string[];
  evidenceKinds: string[];
}

export interface AnomalyLine {
  day: string;
  user: string;
  metric: 'tokens' | 'est_tokens';
  volume: number;
  baseline: number;
  ratio: number;
  z: number;
  tool: string;
}

export interface Coverage {
  enrolled: number;
  reporting: number;
  silent: Array<{ hostname: string; lastSeen: string | null }>;
}

export interface Totals extends Volume {
  tools: number;
  unapprovedTools: number;
  unapprovedUsers: number;
  anomalies: number;
}

export interface TeamReport {
  kind: 'team';
  team: string;
  week: string;
  previousWeek: string;
  timezone: string;
  /** The week as UTC instants (ISO 8601): Monday 00:00 local to the next Monday 00:00 local. */
  start: string;
  end: string;
  generatedAt: string;
  managers: string[];
  k: number;
  /** At least k users stand behind the team's figures (v_team_k): they may be shown outside the team. */
  meetsK: boolean;
  totals: Totals;
  previousTotals: Volume;
  tools: ToolLine[];
  newTools: Array<{ tool: string; name: string }>;
  goneTools: Array<{ tool: string; name: string }>;
  unapproved: UnapprovedLine[];
  anomalies: AnomalyLine[];
  coverage: Coverage;
  /** Link to this report on the collector, when reports.public_base_url is set. */
  url: string | null;
}

/** A team's figures without names of people or hosts: what leaves the team (org report, chat). */
export interface OrgSection {
  /** The team, or "other" for the teams folded under k. */
  team: string;
  /** Teams in this section (1, or how many folded into "other"). */
  teams: number;
  totals: Totals;
  previousTotals: Volume;
  tools: Array<Omit<ToolLine, 'rule' | 'reason' | 'sightings'>>;
  newTools: string[];
  goneTools: string[];
  coverage: { enrolled: number; reporting: number; silent: number };
}

export interface OrgReport {
  kind: 'org';
  week: string;
  generatedAt: string;
  k: number;
  sections: OrgSection[];
  /** Teams under k whose "other" section is itself under k users, so nothing of them is shown. */
  hiddenTeams: number;
  totals: Totals;
  url: string | null;
}

export type Report = TeamReport | OrgReport;

export function statusOf(state: string, expires: string | null): ApprovalStatus {
  if (state === 'approved' || state === 'tolerated') return expires !== null ? 'exception' : state;
  return 'unapproved';
}

export function emptyVolume(): Volume {
  return { users: 0, hosts: 0, tokens: 0, estTokens: 0, bytes: 0 };
}

/** Relative change as a signed percentage string, or "new" / "gone". */
export function change(now: number, before: number | null): string {
  if (before === null || before === 0) return now === 0 ? '–' : 'new';
  if (now === 0) return '−100%';
  const pct = Math.round(((now - before) / before) * 100);
  return pct === 0 ? '±0%' : pct > 0 ? `+${pct}%` : `−${-pct}%`;
}
