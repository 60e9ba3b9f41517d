/** Turns the board specs into Grafana dashboard JSON (uids pinned, panel ids stable, links by tag). */
import { BOARDS } from './boards.js';
import { DATASOURCE, PLUGIN_VERSION, type BoardSpec, type Dashboard, type Panel, type PanelSpec } from './model.js';
import { VARIABLES } from './variables.js';

export const FOLDERS = { aggregate: 'aiscout', perUser: 'aiscout (restricted: per person)' } as const;
export const TAG = 'aiscout';

function panel(spec: PanelSpec, id: number, x: number, y: number): Panel {
  const series = spec.type === 'timeseries';
  return {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    gridPos: { x, y, w: spec.w ?? 12, h: spec.h ?? 8 },
    datasource: DATASOURCE,
    targets: [{
      refId: 'A', datasource: DATASOURCE, editorType: 'sql', queryType: series ? 'timeSeries' : 'table', format: series ? 0 : 1,
      pluginVersion: PLUGIN_VERSION, rawSql: spec.sql,
    }],
    fieldConfig: { defaults: { ...(spec.unit ? { unit: spec.unit } : {}), noValue: 'unknown' }, overrides: [] },
    options: spec.type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none' } : {},
  };
}

export function buildDashboard(board: BoardSpec): Dashboard {
  const panels: Panel[] = [];
  let x = 0;
  let y = 0;
  let rowH = 0;
  board.panels.forEach((p, i) => {
    const w = p.w ?? 12;
    if (x + w > 24) {
      x = 0;
      y += rowH;
      rowH = 0;
    }
    panels.push(panel(p, i + 1, x, y));
    x += w;
    rowH = Math.max(rowH, p.h ?? 8);
  });
  const tags = [TAG, board.perUser ? 'per-user' : 'aggregate'];
  return {
    uid: board.uid,
    title: board.title,
    description: board.description,
    tags,
    timezone: 'utc',
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    time: { from: board.time ?? 'now-30d', to: 'now' },
    refresh: '',
    links: [
      { title: 'aiscout boards', type: 'dashboards', tags: [TAG], asDropdown: true, includeVars: true, keepTime: true },
      ...(board.uid === 'aiscout-tool-detail' ? [] : [{ title: 'Tool detail', type: 'link' as const, tags: [], asDropdown: false, includeVars: true, keepTime: true, url: '/d/aiscout-tool-detail' }]),
    ],
    templating: { list: board.variables.map((v) => structuredClone(VARIABLES[v]!)) },
    panels,
    annotations: { list: [] },
  };
}

/** file path (relative to dashboards/json) → dashboard. Per-person boards go in their own folder. */
export function buildAll(): Map<string, Dashboard> {
  const out = new Map<string, Dashboard>();
  for (const b of BOARDS) out.set(`${b.perUser ? 'restricted' : 'aggregate'}/${b.file}`, buildDashboard(b));
  return out;
}

export function render(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
