/**
 * Every panel query, expanded as Grafana and the plugin expand it, runs on the real engine (chDB)
 * against a seeded organisation; results are checked against independent SQL on the raw events and
 * against the collector's own policy code.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCatalog } from '@aiscout/signatures';
import { buildPolicy } from '../../collector/src/policy/policy.js';
import { parseExpiry } from '../../collector/src/policy/expiry.js';
import type { PolicyRule, RuleSet } from '../../collector/src/policy/types.js';
import type { Store } from '../../collector/src/store/store.js';
import { BOARDS } from '../src/boards.js';
import { openStore } from '../src/db.js';
import { expand } from '../src/macros.js';
import { context, type Scenario } from '../src/scenarios.js';
import { SEED_POLICY, SMALL_SEED, expiryDay, seed } from '../src/seed.js';
import { VARIABLES } from '../src/variables.js';
import { inlineView } from '../src/views.js';

const dir = mkdtempSync(join(tmpdir(), 'aiscout-dashboards-'));
let store: Store;
const now = new Date();

beforeAll(async () => {
  store = await openStore(join(dir, 'ch'));
  await seed(store, { ...SMALL_SEED, endDay: now.toISOString().slice(0, 10) });
}, 120_000);
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Row = Record<string, unknown>;
const run = async (sql: string): Promise<Row[]> => store.query<Row>(sql);
const panelSql = (uid: string, title: string, scenario: Scenario = 'all', overrides: Record<string, string[]> = {}): string => {
  const board = BOARDS.find((b) => b.uid === uid)!;
  const p = board.panels.find((x) => x.title === title)!;
  return expand(p.sql, context(board.variables, scenario, 30, now, overrides));
};

describe('every panel query on the real engine', () => {
  for (const board of BOARDS) {
    for (const p of board.panels) {
      it(`${board.uid} / ${p.title}`, async () => {
        for (const scenario of ['all', 'single', 'multi'] as const) {
          const sql = expand(p.sql, context(board.variables, scenario, 30, now));
          expect(sql).not.toMatch(/\$\{|\$__|\[\[/);
          const rs = await store.query<Row>(sql);
          if (scenario === 'all') {
            expect(rs.length, `${p.title}: no rows`).toBeGreaterThan(0);
            expect(Object.keys(rs[0]!)).toEqual(p.columns);
            // A stat of only zeros on a seeded company means the query matches nothing.
            if (p.type === 'stat') expect(Object.values(rs[0]!).some((v) => Number(v) > 0), JSON.stringify(rs[0])).toBe(true);
          } else if (rs.length > 0) {
            expect(Object.keys(rs[0]!)).toEqual(p.columns);
          }
        }
      });
    }
  }

  it('variable queries run and list the seeded values', async () => {
    const ctx = context(Object.keys(VARIABLES), 'all', 30, now);
    for (const v of Object.values(VARIABLES)) {
      if (v.type !== 'query' || typeof v.query === 'string') continue;
      const rows = await run(expand(v.query.rawSql, ctx));
      expect(rows.length, v.name).toBeGreaterThan(0);
    }
    const teams = (await run(expand((VARIABLES.team!.query as { rawSql: string }).rawSql, ctx))).map((r) => r.team);
    expect(teams).toContain('team-01');
  });
});

describe('results match independent SQL and the collector policy', () => {
  const ctx = context([], 'all', 30, now);
  const fromDay = ctx.from.toISOString().slice(0, 10);
  const rawRange = `kind != 'agent' AND toDate(window_start) >= '${fromDay}' AND toDate(window_start) <= today()`;

  it('active users and tokens equal the raw events', async () => {
    const [users] = await run(panelSql('aiscout-overview', 'Active AI users'));
    const [raw] = await run(`SELECT uniqExact(user) AS u, sum(tokens_in + tokens_out) AS t, sum(est_tokens_in + est_tokens_out) AS e FROM events WHERE ${rawRange}`);
    expect(Number(users!.users)).toBe(Number(raw!.u));
    const period = await run(panelSql('aiscout-overview', 'This period vs the previous one'));
    expect(Number(period.find((r) => r.metric === 'tokens (exact)')!.this_period)).toBe(Number(raw!.t));
    expect(Number(period.find((r) => r.metric === 'tokens (estimated)')!.this_period)).toBe(Number(raw!.e));
    const [perUser] = await run(`SELECT sum(tokens) AS t, sum(est_tokens) AS e, countIf(tool = '') AS no_tool FROM v_user_daily_volume(from = toDate('${fromDay}'), to = today())`);
    expect([Number(perUser!.t), Number(perUser!.e), Number(perUser!.no_tool)]).toEqual([Number(raw!.t), Number(raw!.e), 0]);
  });

  it('team figures fold teams below k into "other", and equal the raw events for the rest', async () => {
    const rows = await run(panelSql('aiscout-team-usage', 'Team totals'));
    const raw = await run(`SELECT team, uniqExact(user) AS users, sum(tokens_in + tokens_out) AS tokens FROM events WHERE ${rawRange} GROUP BY team`);
    const names = rows.map((r) => r.team);
    expect(names).not.toContain('legal');
    expect(names).not.toContain('research-lab');
    expect(names).toContain('other');
    for (const r of raw.filter((x) => Number(x.users) >= 5)) {
      const shown = rows.find((x) => x.team === r.team)!;
      expect(Number(shown.tokens), String(r.team)).toBe(Number(r.tokens));
      expect(Number(shown.users)).toBe(Number(r.users));
    }
    const small = raw.filter((x) => Number(x.users) < 5);
    expect(Number(rows.find((x) => x.team === 'other')!.tokens)).toBe(small.reduce((s, x) => s + Number(x.tokens), 0));
  });

  it('v_tool_policy decides every (team, tool) exactly as collector/src/policy does', async () => {
    const endDay = now.toISOString().slice(0, 10);
    const rule = (r: (typeof SEED_POLICY)[number]): PolicyRule => {
      const expires = r.expires === null ? null : expiryDay(endDay, r.expires);
      return { state: r.state as PolicyRule['state'], reason: r.reason, expires, expiresAt: expires === null ? null : parseExpiry(expires) };
    };
    const empty = (): RuleSet => ({ tools: new Map(), categories: new Map() });
    const global = empty();
    const teams = new Map<string, RuleSet>();
    for (const r of SEED_POLICY) {
      const set = r.team === '' ? global : teams.get(r.team) ?? teams.set(r.team, empty()).get(r.team)!;
      if (r.tool.startsWith('category:')) set.categories.set(r.tool.slice(9), rule(r));
      else set.tools.set(r.tool, rule(r));
    }
    const categories = new Map(loadCatalog().tools.map((t) => [t.id, t.category]));
    const policy = buildPolicy({ defaultState: 'unapproved', global, teams }, categories);
    const rows = await run('SELECT team, tool, state FROM v_tool_policy');
    expect(rows.length).toBeGreaterThan(100);
    const states = new Set<string>();
    for (const r of rows) {
      const expected = policy.decide(String(r.tool), r.team === '' ? null : String(r.team), new Date()).state;
      expect(r.state, `${r.team}/${r.tool}`).toBe(expected);
      states.add(expected);
    }
    expect([...states].sort()).toEqual(['approved', 'tolerated', 'unapproved']);
    // The expired team exception (team-02 chat-web) no longer approves; the live one (team-01 cursor) does.
    expect(rows.find((r) => r.team === 'team-02' && r.tool === 'chatgpt')?.state).toBe('tolerated');
    expect(rows.find((r) => r.team === 'team-01' && r.tool === 'cursor')?.state).toBe('approved');
    expect(rows.find((r) => r.team === 'team-03' && r.tool === 'claude-code')?.state).toBe('unapproved');
  });

  it('unapproved users equal the raw events joined with the policy', async () => {
    const [stat] = await run(panelSql('aiscout-unapproved', 'Users on unapproved tools'));
    const [raw] = await run(`SELECT uniqExact(user) AS u FROM events WHERE kind != 'agent' AND window_end >= toDateTime('${fromDay} 00:00:00', 'UTC')
      AND (team, tool) IN (SELECT team, tool FROM v_tool_policy WHERE state != 'approved')`);
    expect(Number(stat!.users)).toBe(Number(raw!.u));
  });

  it('silent agents equal enrolled agents without a heartbeat in 24 hours', async () => {
    const [stat] = await run(panelSql('aiscout-fleet', 'Silent agents'));
    const [raw] = await run(`SELECT count() AS n FROM (SELECT agent_id FROM agents FINAL WHERE revoked = 0)
      WHERE agent_id NOT IN (SELECT agent_id FROM events WHERE kind = 'agent' AND window_end >= now() - INTERVAL 1 DAY)`);
    expect(Number(stat!.silent)).toBe(Number(raw!.n));
    expect(Number(raw!.n)).toBeGreaterThan(0);
  });

  it('disabled sensors and reasons come from the newest heartbeat', async () => {
    const rows = await run(panelSql('aiscout-fleet', 'Sensors disabled, and why'));
    const reasons = rows.map((r) => r.reason);
    expect(reasons).toContain('libpcap not found');
    expect(reasons).toContain('permission denied: CAP_NET_RAW');
    const [raw] = await run(`SELECT uniqExact(host) AS n FROM events WHERE kind = 'agent' AND window_end >= toDateTime('${fromDay} 00:00:00', 'UTC') AND details LIKE '%libpcap not found%'`);
    expect(Number(rows.find((r) => r.reason === 'libpcap not found')!.hosts)).toBe(Number(raw!.n));
  });

  it('the anomaly view inlined in panels returns exactly what the view returns', async () => {
    const summary = 'count() AS n, countIf(anomaly) AS flagged, round(sum(tokens_z), 6) AS z, round(sum(est_baseline), 6) AS b';
    const [inline] = await run(`SELECT ${summary} FROM ${inlineView('v_token_anomalies', { from: `toDate('${fromDay}')`, to: 'today()' })}`);
    const [view] = await run(`SELECT ${summary} FROM v_token_anomalies(from = toDate('${fromDay}'), to = today())`);
    expect(inline).toEqual(view);
    expect(Number(view!.flagged)).toBeGreaterThan(0);
  });

  it('a team filter narrows every team figure to that team', async () => {
    const rows = await run(panelSql('aiscout-team-usage', 'Team totals', 'all', { team: ['team-01'] }));
    expect(rows.map((r) => r.team)).toEqual(['team-01']);
  });
});

interface AlertQuery { refId: string; datasourceUid: string; relativeTimeRange?: { from: number; to: number }; model: { rawSql?: string; type?: string; expression?: string } }
interface AlertRule { uid: string; title: string; condition: string; data: AlertQuery[] }
const alertFile = new URL('../provisioning/alerting/aiscout-rules.yaml', import.meta.url);
const groups = (parse(readFileSync(alertFile, 'utf8')) as { apiVersion: number; groups: Array<{ rules: AlertRule[] }> }).groups;

describe('alert rules (Grafana alerting provisioning)', () => {
  const rules = groups.flatMap((g) => g.rules);
  it('are three, with a condition that names one of their queries, each expression reading an earlier one', () => {
    expect(rules.map((r) => r.uid).sort()).toEqual(['aiscout-agents-silent', 'aiscout-new-unapproved-tool', 'aiscout-token-anomaly']);
    for (const r of rules) {
      const refs = r.data.map((d) => d.refId);
      expect(refs).toContain(r.condition);
      r.data.forEach((d, i) => {
        if (d.datasourceUid === '__expr__') expect(refs.slice(0, i)).toContain(d.model.expression);
        else expect(d.datasourceUid).toBe('aiscout-clickhouse');
      });
    }
  });

  for (const rule of rules) {
    it(`${rule.uid}: its SQL runs on the engine and returns a team label and a number`, async () => {
      for (const q of rule.data.filter((d) => d.model.rawSql)) {
        const range = q.relativeTimeRange!;
        let firing = 0;
        // As provisioned, and over a week more (the seed's new tools are a few days old).
        for (const widen of [0, 7 * 86400]) {
          const vars = { from: new Date(now.getTime() - (range.from + widen) * 1000), to: new Date(now.getTime() - range.to * 1000), intervalMs: 60_000, variables: {} };
          const rows = await run(expand(q.model.rawSql!, vars));
          for (const r of rows) {
            const [label, value] = Object.values(r);
            expect(typeof label).toBe('string');
            expect(Number(value)).toBeGreaterThanOrEqual(0);
            if (Number(value) > 0) firing++;
          }
        }
        expect(firing, `${rule.uid} never fires on the seeded company`).toBeGreaterThan(0);
      }
    });
  }
});
