/** The committed JSON is what the generator writes, and it is well formed for Grafana. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAll, render } from '../src/build.js';
import { JSON_DIR } from '../src/generate.js';
import { interpolateVariables, expandMacros } from '../src/macros.js';
import type { Dashboard } from '../src/model.js';

const files = readdirSync(JSON_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json')).sort();
const committed = new Map(files.map((f) => [f, readFileSync(join(JSON_DIR, f), 'utf8')]));
const dashboards = [...committed.values()].map((t) => JSON.parse(t) as Dashboard);

describe('dashboards/json', () => {
  it('is current: `node --import tsx dashboards/src/generate.ts` regenerates it', () => {
    const built = buildAll();
    expect([...built.keys()].sort()).toEqual(files);
    for (const [file, d] of built) expect(committed.get(file), file).toBe(render(d));
  });

  it('has unique dashboard uids and unique panel ids per dashboard', () => {
    const uids = dashboards.map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) expect(uid).toMatch(/^[a-z0-9-]{1,40}$/);
    for (const d of dashboards) {
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size, d.uid).toBe(ids.length);
    }
  });

  it('gives every panel the ClickHouse data source and a SQL query', () => {
    for (const d of dashboards) for (const p of d.panels) {
      expect(p.datasource).toEqual({ type: 'grafana-clickhouse-datasource', uid: '${datasource}' });
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) {
        expect(t.datasource).toEqual(p.datasource);
        expect(t.editorType).toBe('sql');
        expect(['table', 'timeSeries']).toContain(t.queryType);
        expect(t.rawSql.trim()).toMatch(/^(SELECT|WITH)\b/);
      }
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      expect(p.description.length, p.title).toBeGreaterThan(20);
    }
  });

  it('defines every variable a query uses', () => {
    for (const d of dashboards) {
      const defined = new Set(d.templating.list.map((v) => v.name));
      for (const p of d.panels) for (const t of p.targets) {
        for (const m of t.rawSql.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g)) {
          const name = m[1] ?? m[2]!;
          if (name.startsWith('__')) continue;
          expect(defined.has(name), `${d.uid}/${p.title} uses $${name}`).toBe(true);
        }
      }
      // And the variables that a board defines are used somewhere on it (else they would filter nothing).
      const text = JSON.stringify(d.panels) + JSON.stringify(d.templating.list.map((v) => v.query));
      for (const name of defined) if (name !== 'datasource') expect(text.includes(`\${${name}`), `${d.uid}: $${name} unused`).toBe(true);
    }
  });

  it('makes "All" a custom allValue, so no query lists every value', () => {
    for (const d of dashboards) for (const v of d.templating.list) if (v.includeAll) expect(v.allValue).toBe("'__all'");
  });

  it('links resolve: by tag to other boards, by url to an existing uid', () => {
    const uids = new Set(dashboards.map((d) => d.uid));
    for (const d of dashboards) for (const l of d.links) {
      if (l.type === 'dashboards') expect(dashboards.filter((x) => x.uid !== d.uid && l.tags.every((t) => x.tags.includes(t))).length).toBeGreaterThan(0);
      else expect(uids.has(/^\/d\/([\w-]+)/.exec(l.url ?? '')?.[1] ?? ''), l.url).toBe(true);
    }
  });
});

describe('macro and variable expansion', () => {
  const ctx = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-31T12:00:00.250Z'), intervalMs: 90_500, variables: {} };
  it('renders the plugin macros as its backend does', () => {
    expect(expandMacros('$__timeFilter(ts)', ctx)).toBe('ts >= toDateTime(1772323200) AND ts <= toDateTime(1774958400)');
    expect(expandMacros('$__timeFilter_ms(ts)', ctx)).toBe('ts >= fromUnixTimestamp64Milli(1772323200000) AND ts <= fromUnixTimestamp64Milli(1774958400250)');
    expect(expandMacros('$__fromTime $__toTime', ctx)).toBe('toDateTime(1772323200) toDateTime(1774958400)');
    expect(expandMacros('$__dateFilter(d)', ctx)).toBe("d >= toDate('2026-03-01') AND d <= toDate('2026-03-31')");
    expect(expandMacros('$__timeInterval(ts)', ctx)).toBe('toStartOfInterval(toDateTime(ts), INTERVAL 90 second)');
    expect(expandMacros('$__interval_s', { ...ctx, intervalMs: 20 })).toBe('1');
  });
  it('interpolates single, multi and All values as Grafana does', () => {
    const vars = {
      team: { values: ["o'brien", 'b'], multi: true, allValue: "'__all'" },
      tool: { values: ['$__all'], multi: true, allValue: "'__all'" },
      k: { values: ['5'], multi: false },
    };
    expect(interpolateVariables('IN (${team:singlequote}) ${tool:singlequote} $k ${k} $__interval_s $other', vars))
      .toBe("IN ('o\\'brien','b') '__all' 5 5 $__interval_s $other");
    expect(interpolateVariables('${team}', vars)).toBe("{o'brien,b}");
  });
});
