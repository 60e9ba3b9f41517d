/** Assembles team and organisation reports from the queries (queries.ts) for one ISO week. */
import type { Store } from '../store/store.js';
import {
  activeTeams, agentCoverage, catalog, directoryTeams, firstSeen, teamK, teamUsers, tokenAnomalies, toolPolicy, toolUsage, unapprovedUsage,
  type DirectoryTeam, type UsageRow,
} from './queries.js';
import {
  STATUS_ORDER, emptyVolume, statusOf,
  type AnomalyLine, type OrgReport, type OrgSection, type TeamReport, type ToolLine, type Totals, type UnapprovedLine, type Volume,
} from './model.js';
import { shiftWeek, weekWindow, type WeekWindow } from './week.js';

type Reader = Pick<Store, 'query'>;

export class ReportError extends Error {
  constructor(
    readonly code: 'UNKNOWN_TEAM' | 'BAD_WEEK' | 'PDF_UNAVAILABLE' | 'BAD_FORMAT',
    message: string,
  ) {
    super(message);
    this.name = 'ReportError';
  }
}

export interface ReportOptions {
  week: string;
  k: number;
  /** Only these teams (team reports); every directory team when absent. */
  teams?: readonly string[];
  now?: Date;
  /** reports.public_base_url, for links back to the collector. */
  baseUrl?: string | null;
}

const DAY_MS = 86_400_000;

function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function key(team: string, tool: string): string {
  return `${team}\u0000${tool}`;
}

function volumeOf(u: UsageRow): Volume {
  return { users: u.users, hosts: u.hosts, tokens: u.tokens, estTokens: u.est_tokens, bytes: u.bytes };
}

export function reportUrl(baseUrl: string | null | undefined, week: string, team: string | null): string | null {
  if (!baseUrl) return null;
  const u = new URL('reports/latest', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  u.searchParams.set('week', week);
  if (team !== null) u.searchParams.set('team', team);
  u.searchParams.set('format', 'html');
  return u.toString();
}

/** One report per team for the week, each in its team's time zone. Teams default to the directory's. */
export async function buildTeamReports(store: Reader, opts: ReportOptions): Promise<TeamReport[]> {
  const known = await directoryTeams(store);
  let teams = known;
  if (opts.teams) {
    const byName = new Map(known.map((t) => [t.team, t]));
    const missing = opts.teams.filter((t) => !byName.has(t));
    if (missing.length > 0) throw new ReportError('UNKNOWN_TEAM', `no team ${missing.map((t) => JSON.stringify(t.slice(0, 80))).join(', ')} in the directory`);
    teams = opts.teams.map((t) => byName.get(t)!);
  }
  return collect(store, teams, opts);
}

async function collect(store: Reader, teams: readonly DirectoryTeam[], opts: ReportOptions): Promise<TeamReport[]> {
  const now = opts.now ?? new Date();
  const names = teams.map((t) => t.team);
  if (names.length === 0) return [];
  const byZone = new Map<string, DirectoryTeam[]>();
  for (const t of teams) byZone.set(t.timezone, [...(byZone.get(t.timezone) ?? []), t]);
  const previousWeek = shiftWeek(opts.week, -1);
  const anyWindow = weekWindow(opts.week, 'UTC');

  // Zone-independent facts once for all teams.
  const [tools, policy, first, anomalies] = await Promise.all([
    catalog(store),
    toolPolicy(store, names),
    firstSeen(store, names),
    // The view's grain is the UTC day; the week's seven dates are the same in every zone.
    tokenAnomalies(store, names, anyWindow.days[0]!, anyWindow.days[6]!),
  ]);
  const policyOf = new Map(policy.map((p) => [key(p.team, p.tool), p]));
  const anomaliesOf = group(anomalies, (a) => a.team);

  const out: TeamReport[] = [];
  for (const [zone, zoneTeams] of byZone) {
    const teamNames = zoneTeams.map((t) => t.team);
    const w = weekWindow(opts.week, zone);
    const p = weekWindow(previousWeek, zone);
    const [usage, prevUsage, users, prevUsers, unapproved, coverage, k] = await Promise.all([
      toolUsage(store, teamNames, w),
      toolUsage(store, teamNames, p),
      teamUsers(store, teamNames, w),
      teamUsers(store, teamNames, p),
      unapprovedUsage(store, teamNames, w),
      agentCoverage(store, teamNames, w),
      teamK(store, utcDay(w.start), utcDay(new Date(w.end.getTime() - 1)), opts.k),
    ]);
    const usageOf = group(usage, (u) => u.team);
    const prevOf = new Map(prevUsage.map((u) => [key(u.team, u.tool), u]));
    const prevByTeam = group(prevUsage, (u) => u.team);
    const unapprovedOf = group(unapproved, (u) => u.team);
    const coverageOf = group(coverage, (c) => c.team);

    for (const t of zoneTeams) {
      const lines: ToolLine[] = (usageOf.get(t.team) ?? []).map((u) => {
        const pol = policyOf.get(key(t.team, u.tool));
        const expires = pol?.expires ?? null;
        const prev = prevOf.get(key(t.team, u.tool));
        const firstAt = first.get(key(t.team, u.tool));
        return {
          tool: u.tool, name: tools.get(u.tool)?.name || u.tool, category: pol?.category || tools.get(u.tool)?.category || '',
          status: statusOf(pol?.state ?? 'unapproved', expires), rule: pol?.rule ?? 'default', reason: pol?.reason ?? '', expires,
          ...volumeOf(u), evidenceKinds: u.kinds, sightings: u.sightings,
          previous: prev ? volumeOf(prev) : null,
          isNew: firstAt !== undefined && firstAt >= w.start && firstAt < w.end,
        };
      });
      lines.sort((a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || b.users - a.users || b.tokens + b.estTokens - (a.tokens + a.estTokens) || cmp(a.tool, b.tool));
      const seen = new Set(lines.map((l) => l.tool));
      const gone = (prevByTeam.get(t.team) ?? []).filter((u) => !seen.has(u.tool)).map((u) => ({ tool: u.tool, name: tools.get(u.tool)?.name || u.tool }));
      const unapprovedLines = unapprovedLinesOf(unapprovedOf.get(t.team) ?? [], lines);
      const teamAnomalies: AnomalyLine[] = (anomaliesOf.get(t.team) ?? []).map((a) => ({
        day: a.day, user: a.user, metric: a.metric, volume: a.volume, baseline: a.baseline, ratio: a.ratio, z: a.z, tool: tools.get(a.tool)?.name || a.tool,
      }));
      const agents = coverageOf.get(t.team) ?? [];
      const unapprovedUsers = new Set(unapprovedLines.filter((l) => l.status !== 'approved').flatMap((l) => l.users));
      out.push({
        kind: 'team', team: t.team, week: opts.week, previousWeek, timezone: zone, start: w.start.toISOString(), end: w.end.toISOString(),
        generatedAt: now.toISOString(), managers: t.managers, k: opts.k,
        meetsK: k.get(t.team)?.teamK === t.team,
        totals: {
          ...sumVolumes(lines), users: users.get(t.team)?.users ?? 0, hosts: users.get(t.team)?.hosts ?? 0, tools: lines.length,
          unapprovedTools: lines.filter((l) => l.status === 'unapproved').length, unapprovedUsers: unapprovedUsers.size, anomalies: teamAnomalies.length,
        },
        previousTotals: { ...sumVolumes((prevByTeam.get(t.team) ?? []).map(volumeOf)), users: prevUsers.get(t.team)?.users ?? 0, hosts: prevUsers.get(t.team)?.hosts ?? 0 },
        tools: lines,
        newTools: lines.filter((l) => l.isNew).map((l) => ({ tool: l.tool, name: l.name })),
        goneTools: gone,
        unapproved: unapprovedLines,
        anomalies: teamAnomalies,
        coverage: {
          enrolled: agents.length,
          reporting: agents.filter((a) => Number(a.reporting) === 1).length,
          silent: agents.filter((a) => Number(a.reporting) !== 1).map((a) => ({ hostname: a.hostname, lastSeen: a.last_seen })),
        },
        url: reportUrl(opts.baseUrl, opts.week, t.team),
      });
    }
  }
  return out.sort((a, b) => cmp(a.team, b.team));
}

function unapprovedLinesOf(rows: Array<{ tool: string; state: string; user: string; host: string; evidence_kind: string }>, lines: ToolLine[]): UnapprovedLine[] {
  const byTool = group(rows, (r) => r.tool);
  const out: UnapprovedLine[] = [];
  for (const [tool, rs] of byTool) {
    const line = lines.find((l) => l.tool === tool);
    out.push({
      tool, name: line?.name ?? tool, status: line?.status ?? statusOf(rs[0]!.state, null),
      users: uniqSorted(rs.map((r) => r.user).filter((u) => u !== '')),
      hosts: uniqSorted(rs.map((r) => r.host).filter((h) => h !== '')),
      evidenceKinds: uniqSorted(rs.map((r) => r.evidence_kind)),
    });
  }
  return out.sort((a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || b.users.length - a.users.length || cmp(a.tool, b.tool));
}

/**
 * The organisation-wide report for security: one section per team, no names of people or hosts.
 * Teams with fewer than k users fold into "other" (the dashboards' rule, view v_team_k); "other"
 * itself is left out when fewer than k users fold into it.
 */
export async function buildOrgReport(store: Reader, opts: ReportOptions): Promise<OrgReport> {
  const known = await directoryTeams(store);
  const names = new Set(known.map((t) => t.team));
  const utcWeek = weekWindow(opts.week, 'UTC');
  // Teams the directory does not name (agent-reported or none) are counted in their UTC week.
  const widened: WeekWindow = { ...utcWeek, start: new Date(utcWeek.start.getTime() - DAY_MS), end: new Date(utcWeek.end.getTime() + DAY_MS) };
  const extra = (await activeTeams(store, widened)).filter((t) => !names.has(t)).map((team) => ({ team, managers: [], timezone: 'UTC' }));
  const reports = await collect(store, [...known, ...extra], opts);
  return foldOrg(reports, opts);
}

export function foldOrg(reports: readonly TeamReport[], opts: Pick<ReportOptions, 'week' | 'k' | 'now' | 'baseUrl'>): OrgReport {
  const sections: OrgSection[] = [];
  const small: TeamReport[] = [];
  for (const r of reports) {
    if (r.totals.tools === 0 && r.coverage.enrolled === 0) continue;
    if (r.meetsK) sections.push(sectionOf([r], r.team || '(no team)'));
    else small.push(r);
  }
  let hiddenTeams = 0;
  const other = small.filter((r) => r.totals.tools > 0 || r.coverage.enrolled > 0);
  const otherUsers = other.reduce((n, r) => n + r.totals.users, 0);
  if (other.length > 0) {
    if (otherUsers >= opts.k) sections.push(sectionOf(other, 'other'));
    else hiddenTeams = other.length;
  }
  const shown = sections;
  return {
    kind: 'org', week: opts.week, generatedAt: (opts.now ?? new Date()).toISOString(), k: opts.k, sections: shown, hiddenTeams,
    totals: {
      ...sumVolumes(shown.map((s) => s.totals)), users: shown.reduce((n, s) => n + s.totals.users, 0),
      tools: new Set(shown.flatMap((s) => s.tools.map((t) => t.tool))).size,
      unapprovedTools: new Set(shown.flatMap((s) => s.tools.filter((t) => t.status === 'unapproved').map((t) => t.tool))).size,
      unapprovedUsers: shown.reduce((n, s) => n + s.totals.unapprovedUsers, 0),
      anomalies: shown.reduce((n, s) => n + s.totals.anomalies, 0),
    },
    url: reportUrl(opts.baseUrl, opts.week, null),
  };
}

/** Sums teams into one section. Users add up: a user's events carry one team. */
function sectionOf(reports: readonly TeamReport[], name: string): OrgSection {
  const tools = new Map<string, OrgSection['tools'][number]>();
  for (const r of reports) {
    for (const l of r.tools) {
      const cur = tools.get(l.tool);
      const { rule: _rule, reason: _reason, sightings: _s, ...line } = l;
      if (!cur) {
        tools.set(l.tool, { ...line, evidenceKinds: [...line.evidenceKinds], previous: line.previous ? { ...line.previous } : null });
        continue;
      }
      addVolume(cur, l);
      if (l.previous) cur.previous = addVolume(cur.previous ?? emptyVolume(), l.previous);
      // The least approved state across the folded teams is what security needs to see.
      if (STATUS_ORDER.indexOf(l.status) < STATUS_ORDER.indexOf(cur.status)) cur.status = l.status;
      cur.evidenceKinds = uniqSorted([...cur.evidenceKinds, ...l.evidenceKinds]);
      cur.isNew = cur.isNew && l.isNew;
      if (cur.expires === null || (l.expires !== null && l.expires < cur.expires)) cur.expires = l.expires ?? cur.expires;
    }
  }
  const lines = [...tools.values()].sort((a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || b.users - a.users || cmp(a.tool, b.tool));
  const totals: Totals = {
    ...sumVolumes(reports.map((r) => r.totals)), users: reports.reduce((n, r) => n + r.totals.users, 0), tools: lines.length,
    unapprovedTools: lines.filter((l) => l.status === 'unapproved').length,
    unapprovedUsers: reports.reduce((n, r) => n + r.totals.unapprovedUsers, 0),
    anomalies: reports.reduce((n, r) => n + r.totals.anomalies, 0),
  };
  return {
    team: name, teams: reports.length, totals,
    previousTotals: { ...sumVolumes(reports.map((r) => r.previousTotals)), users: reports.reduce((n, r) => n + r.previousTotals.users, 0) },
    tools: lines,
    newTools: uniqSorted(reports.flatMap((r) => r.newTools.map((t) => t.name))),
    goneTools: uniqSorted(reports.flatMap((r) => r.goneTools.map((t) => t.name)).filter((n) => !lines.some((l) => l.name === n))),
    coverage: {
      enrolled: reports.reduce((n, r) => n + r.coverage.enrolled, 0),
      reporting: reports.reduce((n, r) => n + r.coverage.reporting, 0),
      silent: reports.reduce((n, r) => n + r.coverage.silent.length, 0),
    },
  };
}

function addVolume<T extends Volume>(into: T, v: Volume): T {
  into.users += v.users;
  into.hosts += v.hosts;
  into.tokens += v.tokens;
  into.estTokens += v.estTokens;
  into.bytes += v.bytes;
  return into;
}

function sumVolumes(vs: readonly Volume[]): Volume {
  return vs.reduce((acc, v) => addVolume(acc, v), emptyVolume());
}

function group<T>(rows: readonly T[], by: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = by(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

function uniqSorted(xs: readonly string[]): string[] {
  return [...new Set(xs)].sort(cmp);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
