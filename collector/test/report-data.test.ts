/**
 * Weekly report numbers against ground truth: a seeded organisation (fixtures/reports/seed.ts) whose
 * events the test keeps, so each figure is computed here independently (week boundaries written out
 * by hand per zone) and also with direct SQL, and both must equal the report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';
import { AGENTS, AGENT_TEAM, TEAMS, expectedStatus, generateEvents, openStore, seed, type SeedEvent } from './fixtures/reports/seed.js';
import { buildOrgReport, buildTeamReports, ReportError } from '../src/reports/build.js';
import type { TeamReport } from '../src/reports/model.js';
import { renderCsv, renderJson } from '../src/reports/render-data.js';
import { renderMarkdown } from '../src/reports/render-text.js';
import type { Store } from '../src/store/store.js';

const dir = tempDir('aiscout-report-data-');
const events = generateEvents();
let store: Store;
let reports: TeamReport[];

/** W47 and W46 boundaries per team, written out by hand (not computed by the code under test). */
const WINDOWS: Record<string, { w47: [string, string]; w46: [string, string] }> = {
  platform: { w47: ['2026-11-16T08:00:00.000Z', '2026-11-23T08:00:00.000Z'], w46: ['2026-11-09T08:00:00.000Z', '2026-11-16T08:00:00.000Z'] },
  data: { w47: ['2026-11-15T23:00:00.000Z', '2026-11-22T23:00:00.000Z'], w46: ['2026-11-08T23:00:00.000Z', '2026-11-15T23:00:00.000Z'] },
  tiny: { w47: ['2026-11-15T15:00:00.000Z', '2026-11-22T15:00:00.000Z'], w46: ['2026-11-08T15:00:00.000Z', '2026-11-15T15:00:00.000Z'] },
  small: { w47: ['2026-11-16T00:00:00.000Z', '2026-11-23T00:00:00.000Z'], w46: ['2026-11-09T00:00:00.000Z', '2026-11-16T00:00:00.000Z'] },
  nomgr: { w47: ['2026-11-16T00:00:00.000Z', '2026-11-23T00:00:00.000Z'], w46: ['2026-11-09T00:00:00.000Z', '2026-11-16T00:00:00.000Z'] },
};

function inWindow(e: SeedEvent, team: string, [from, to]: [string, string]): boolean {
  const t = Date.parse(e.window_start);
  return e.team === team && t >= Date.parse(from) && t < Date.parse(to);
}

interface Truth { users: number; hosts: number; tokens: number; estTokens: number; bytes: number; kinds: string[] }

function truth(team: string, window: [string, string]): Map<string, Truth> {
  const out = new Map<string, { users: Set<string>; hosts: Set<string>; tokens: number; estTokens: number; bytes: number; kinds: Set<string> }>();
  for (const e of events.filter((x) => inWindow(x, team, window))) {
    const t = out.get(e.tool) ?? { users: new Set(), hosts: new Set(), tokens: 0, estTokens: 0, bytes: 0, kinds: new Set() };
    t.users.add(e.user);
    t.hosts.add(e.host);
    t.tokens += e.tokens_in + e.tokens_out;
    t.estTokens += e.est_tokens_in + e.est_tokens_out;
    t.bytes += e.bytes_up + e.bytes_down;
    t.kinds.add(e.kind);
    out.set(e.tool, t);
  }
  return new Map([...out].map(([tool, t]) => [tool, { users: t.users.size, hosts: t.hosts.size, tokens: t.tokens, estTokens: t.estTokens, bytes: t.bytes, kinds: [...t.kinds].sort() }]));
}

beforeAll(async () => {
  store = openStore(`${dir.path}/clickhouse`);
  await seed(store, events);
  reports = await buildTeamReports(store, { week: '2026-W47', k: 5, now: new Date('2026-11-24T08:00:00Z') });
}, 120_000);

afterAll(async () => {
  await store?.close();
  dir.cleanup();
});

const report = (team: string): TeamReport => reports.find((r) => r.team === team)!;

describe('team report figures', () => {
  it('has one report per directory team, in the team time zone, with the hand-written window', () => {
    expect(reports.map((r) => r.team)).toEqual(['data', 'nomgr', 'platform', 'small', 'tiny']);
    for (const r of reports) {
      expect([r.start, r.end]).toEqual(WINDOWS[r.team]!.w47);
      expect(r.week).toBe('2026-W47');
    }
    expect(report('platform').timezone).toBe('America/Los_Angeles');
    expect(report('platform').managers).toEqual(['ops.head@corp.example', 'pat.lead@corp.example']);
  });

  for (const team of ['platform', 'data', 'tiny', 'small']) {
    it(`${team}: every tool's users, hosts, kinds, exact and estimated tokens, bytes and previous week match the ground truth`, () => {
      const r = report(team);
      const now = truth(team, WINDOWS[team]!.w47);
      const before = truth(team, WINDOWS[team]!.w46);
      expect(r.tools.map((t) => t.tool).sort()).toEqual([...now.keys()].sort());
      for (const line of r.tools) {
        const t = now.get(line.tool)!;
        expect({ users: line.users, hosts: line.hosts, tokens: line.tokens, estTokens: line.estTokens, bytes: line.bytes, kinds: line.evidenceKinds })
          .toEqual(t);
        const p = before.get(line.tool);
        expect(line.previous).toEqual(p ? { users: p.users, hosts: p.hosts, tokens: p.tokens, estTokens: p.estTokens, bytes: p.bytes } : null);
        expect(line.status).toBe(expectedStatus(team, line.tool));
      }
      const users = new Set(events.filter((e) => inWindow(e, team, WINDOWS[team]!.w47)).map((e) => e.user));
      expect(r.totals.users).toBe(users.size);
      expect(r.totals.tools).toBe(now.size);
      expect(r.totals.tokens).toBe([...now.values()].reduce((n, t) => n + t.tokens, 0));
    });
  }

  it('cuts the week at local midnight: events 1 ms either side of each boundary land in the right week', () => {
    const ollama = report('platform').tools.find((t) => t.tool === 'ollama')!;
    // 1000 (Mon 00:00:00.000 PST) + 20 (Sun 23:59:59.999 PST); 300 is the Sunday before, 50,000 the Monday after.
    expect(ollama.bytes).toBe(1020);
    expect(ollama.previous?.bytes).toBe(300);
    const dataOllama = report('data').tools.find((t) => t.tool === 'ollama')!;
    // 11 (Mon 00:00 CET) + 13 (Sun 23:59:59.999 CET); 7 before, 100,000 after.
    expect(dataOllama.tokens).toBe(24);
    expect(dataOllama.previous?.tokens).toBe(7);
  });

  it('agrees with direct SQL on the raw events, team by team and tool by tool', async () => {
    for (const team of ['platform', 'data']) {
      const [from, to] = WINDOWS[team]!.w47;
      const rows = await store.query<{ tool: string; users: string; tokens: string; est: string; bytes: string }>(
        `SELECT tool, uniqExact(user) AS users, sum(tokens_in + tokens_out) AS tokens, sum(est_tokens_in + est_tokens_out) AS est, sum(bytes_up + bytes_down) AS bytes
         FROM events WHERE team = {team:String} AND window_start >= parseDateTime64BestEffort({from:String}, 3) AND window_start < parseDateTime64BestEffort({to:String}, 3)
         GROUP BY tool ORDER BY tool`,
        { team, from, to },
      );
      const lines = [...report(team).tools].sort((a, b) => (a.tool < b.tool ? -1 : 1));
      expect(lines.map((l) => [l.tool, l.users, l.tokens, l.estTokens, l.bytes])).toEqual(rows.map((r) => [r.tool, Number(r.users), Number(r.tokens), Number(r.est), Number(r.bytes)]));
    }
  });

  it('lists tools new this week (never seen before) and tools no longer seen', () => {
    const r = report('platform');
    expect(r.newTools.map((t) => t.tool).sort()).toEqual(['cursor', 'evil-tool']);
    expect(r.goneTools.map((t) => t.tool)).toEqual(['chatgpt']);
    expect(r.tools.find((t) => t.tool === 'cursor')?.status).toBe('approved');
  });

  it('calls out unapproved use first, with the people and hosts of view v_unapproved_usage in the week', async () => {
    const r = report('platform');
    const firstApproved = r.tools.findIndex((t) => t.status === 'approved');
    expect(r.tools.slice(0, firstApproved).every((t) => t.status !== 'approved')).toBe(true);
    expect(r.tools[0]!.status).toBe('unapproved');
    const [from, to] = WINDOWS.platform!.w47;
    const notApproved = events.filter((e) => inWindow(e, 'platform', [from, to]) && !['approved', 'exception'].includes(expectedStatus('platform', e.tool)));
    const expected = new Map<string, string[]>();
    for (const e of notApproved) expected.set(e.tool, [...new Set([...(expected.get(e.tool) ?? []), e.user])].sort());
    expect(new Map(r.unapproved.map((u) => [u.tool, u.users]))).toEqual(expected);
    // The shared view gives the same state for each pair.
    const view = await store.query<{ tool: string; state: string }>(`SELECT DISTINCT tool, state FROM v_unapproved_usage WHERE team = 'platform' ORDER BY tool`);
    for (const u of r.unapproved) expect(view.find((v) => v.tool === u.tool)?.state).toBe(u.status === 'tolerated' ? 'tolerated' : 'unapproved');
  });

  it('shows the token anomalies of v_token_anomalies for the week (the planted spike included)', async () => {
    const r = report('platform');
    const rows = await store.query<{ day: string; user: string; metric: string }>(
      `SELECT toString(day) AS day, user, metric FROM v_token_anomalies(from = '2026-11-16', to = '2026-11-22')
       ARRAY JOIN [if(tokens_anomaly, 'tokens', ''), if(est_anomaly, 'est_tokens', '')] AS metric
       WHERE anomaly AND metric != '' AND team = 'platform' ORDER BY day, user, metric`,
    );
    expect(r.anomalies.map((a) => ({ day: a.day, user: a.user, metric: a.metric }))).toEqual(rows);
    expect(r.anomalies).toContainEqual(expect.objectContaining({ day: '2026-11-18', user: 'p1', metric: 'tokens', volume: expect.any(Number) }));
    expect(r.anomalies.find((a) => a.user === 'p1')!.volume).toBeGreaterThanOrEqual(500_000);
  });

  it('counts agents reporting against enrolled, and names the silent hosts', () => {
    const c = report('platform').coverage;
    // p4's agent was revoked before the week; p3's batch came at 08:00:00.000 Monday, after the week.
    expect(c.enrolled).toBe(AGENTS.filter((a) => a.team === 'platform' && a.revokedAt === null).length);
    expect(c.reporting).toBe(2);
    expect(c.silent.map((s) => s.hostname)).toEqual(['p3-laptop']);
    expect(report('data').coverage).toMatchObject({ enrolled: 1, reporting: 1, silent: [] });
  });

  it('rejects an unknown team and a week that does not exist', async () => {
    await expect(buildTeamReports(store, { week: '2026-W47', k: 5, teams: ['nope'] })).rejects.toBeInstanceOf(ReportError);
    await expect(buildTeamReports(store, { week: '2027-W53', k: 5 })).rejects.toThrow(/does not exist/);
  });
});

describe('k-anonymity (the dashboards rule: v_team_k)', () => {
  it('marks teams under k, and the organisation report folds them into "other"', async () => {
    expect(report('platform').meetsK).toBe(true);
    expect(report('data').meetsK).toBe(true);
    expect(report('tiny').meetsK).toBe(false);
    expect(report('small').meetsK).toBe(false);
    const org = await buildOrgReport(store, { week: '2026-W47', k: 5, now: new Date('2026-11-24T08:00:00Z') });
    expect(org.sections.map((s) => s.team)).toEqual(['data', 'platform', 'other']);
    const other = org.sections.find((s) => s.team === 'other')!;
    // tiny (2), small (3), nomgr (1) and the agent-reported team (1): 7 people, 4 teams.
    expect(other.teams).toBe(4);
    expect(other.totals.users).toBe(TEAMS.tiny!.length + TEAMS.small!.length + TEAMS.nomgr!.length + 1);
    const json = renderJson(org) + renderCsv(org) + renderMarkdown(org);
    for (const hidden of ['tiny', 'small', 'nomgr', AGENT_TEAM, 't1', 's1', 'p1', 'laptop']) expect(json).not.toContain(hidden);
    // Figures of "other" are the sum of the folded teams.
    expect(other.totals.tokens).toBe(['tiny', 'small', 'nomgr'].reduce((n, t) => n + report(t).totals.tokens, 0)
      + events.filter((e) => e.team === AGENT_TEAM && Date.parse(e.window_start) >= Date.parse('2026-11-16T00:00:00Z') && Date.parse(e.window_start) < Date.parse('2026-11-23T00:00:00Z')).reduce((n, e) => n + e.tokens_in + e.tokens_out, 0));
  });

  it('leaves "other" out entirely when fewer than k people fold into it', async () => {
    const org = await buildOrgReport(store, { week: '2026-W47', k: 8, now: new Date('2026-11-24T08:00:00Z') });
    // k = 8: only platform... no team has 8 users; nothing folds to 8 either except all small ones (7 people): hidden.
    expect(org.sections.map((s) => s.team)).toEqual(['other']);
    const org2 = await buildOrgReport(store, { week: '2026-W47', k: 20, now: new Date('2026-11-24T08:00:00Z') });
    expect(org2.sections).toEqual([]);
    expect(org2.hiddenTeams).toBeGreaterThan(0);
  });

  it('a chat post of a team under k carries no figures and no names', () => {
    const md = renderMarkdown(report('tiny'), 'outside');
    expect(md).toContain('fewer than 5');
    expect(md).not.toMatch(/t1|t2|laptop|People|Tokens|Coverage/);
    const mdPlatform = renderMarkdown(report('platform'), 'outside');
    expect(mdPlatform).not.toMatch(/\bp[1-6]\b|laptop/);
  });
});
