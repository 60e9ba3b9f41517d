/** Plain typed objects for the parts of Grafana's dashboard JSON these boards use (Grafana 11/12). */

export const DATASOURCE = { type: 'grafana-clickhouse-datasource', uid: '${datasource}' } as const;
export const PLUGIN_VERSION = '4.0.0';

export type PanelType = 'stat' | 'timeseries' | 'table' | 'barchart' | 'piechart' | 'text';

export interface PanelSpec {
  title: string;
  type: PanelType;
  /** Shown in the panel's (i) tooltip and in dashboards/README.md. */
  description: string;
  sql: string;
  /** Columns the query must return, in order (checked against the real engine). */
  columns: string[];
  w?: number;
  h?: number;
  unit?: string;
}

export interface Target {
  refId: string;
  datasource: typeof DATASOURCE;
  editorType: 'sql';
  queryType: 'table' | 'timeSeries';
  format: 0 | 1;
  pluginVersion: string;
  rawSql: string;
}

export interface Panel {
  id: number;
  type: PanelType;
  title: string;
  description: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: typeof DATASOURCE;
  targets: Target[];
  fieldConfig: { defaults: { unit?: string; noValue?: string }; overrides: never[] };
  options: Record<string, unknown>;
}

export interface Variable {
  name: string;
  label?: string;
  type: 'query' | 'custom' | 'constant' | 'datasource';
  query: string | { rawSql: string; editorType: 'sql'; queryType: 'table'; format: 1; refId: string };
  datasource?: typeof DATASOURCE;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  current?: { text: string | string[]; value: string | string[] };
  hide?: 0 | 1 | 2;
  refresh?: 1 | 2;
  options?: Array<{ text: string; value: string; selected: boolean }>;
  sort?: number;
  description?: string;
}

export interface DashboardLink {
  title: string;
  type: 'dashboards' | 'link';
  tags: string[];
  asDropdown: boolean;
  includeVars: boolean;
  keepTime: boolean;
  url?: string;
  targetBlank?: boolean;
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  timezone: 'utc';
  schemaVersion: number;
  version: number;
  editable: boolean;
  graphTooltip: number;
  time: { from: string; to: string };
  refresh: string;
  links: DashboardLink[];
  templating: { list: Variable[] };
  panels: Panel[];
  annotations: { list: never[] };
}

export interface BoardSpec {
  uid: string;
  file: string;
  title: string;
  description: string;
  /** Per-user tables live on boards tagged 'per-user' (restrict them with folder permissions). */
  perUser: boolean;
  variables: string[];
  time?: string;
  panels: PanelSpec[];
}
