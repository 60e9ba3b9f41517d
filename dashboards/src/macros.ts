/**
 * What Grafana and grafana-clickhouse-datasource do to a panel's rawSql before ClickHouse sees it,
 * so tests and the bench run exactly that text.
 *
 * 1. Grafana's template service replaces variables ($name, ${name}, ${name:format}, [[name]]). A
 *    multi-value variable set to "All" with a custom allValue is inserted as that text, unformatted;
 *    otherwise the format applies (singlequote: 'a','b' with ' escaped as \'; csv: a,b; raw: as is;
 *    no format on a multi value: {a,b}). Unknown names are left alone.
 * 2. The plugin's backend expands its macros (pkg/macros/macros.go, through sqlds): $__timeFilter(c)
 *    → c >= toDateTime(from_s) AND c <= toDateTime(to_s), the same text whatever c's type (DateTime or
 *    DateTime64); $__timeFilter_ms(c) with fromUnixTimestamp64Milli(ms); $__fromTime / $__toTime →
 *    toDateTime(s); $__fromTime_ms / $__toTime_ms → fromUnixTimestamp64Milli(ms); $__dateFilter(c) →
 *    c >= toDate('YYYY-MM-DD') AND c <= toDate(…); $__timeInterval(c) → toStartOfInterval(toDateTime(c),
 *    INTERVAL n second) with n = max(interval in s, 1); $__interval_s → n. Arguments split on ',' and
 *    are trimmed.
 */

export interface VariableValue {
  /** Selected values; ['$__all'] means "All". */
  values: string[];
  multi: boolean;
  allValue?: string;
}

export interface ExpandContext {
  from: Date;
  to: Date;
  /** Grafana's computed interval for the panel. */
  intervalMs: number;
  variables: Record<string, VariableValue>;
}

const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

function formatValue(values: string[], multi: boolean, format: string | undefined): string {
  switch (format) {
    case 'singlequote':
      return values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'doublequote':
      return values.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    case 'sqlstring':
      return values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');
    case 'csv':
      return values.join(',');
    case 'raw':
    case 'text':
      return values.join(',');
    case undefined:
      return multi && values.length > 1 ? `{${values.join(',')}}` : values.join(',');
    default:
      throw new Error(`variable format ${format} is not implemented here`);
  }
}

export function interpolateVariables(sql: string, variables: Record<string, VariableValue>): string {
  return sql.replace(VARIABLE, (match, n1?: string, n2?: string, f2?: string, n3?: string, _path?: string, f3?: string) => {
    const name = n1 ?? n2 ?? n3!;
    const format = f2 ?? f3;
    const v = variables[name];
    if (!v) return match;
    const isAll = v.values.length === 1 && v.values[0] === '$__all';
    if (isAll) {
      if (v.allValue !== undefined && format !== 'text' && format !== 'queryparam') return v.allValue;
      throw new Error(`variable ${name} is "All" without a custom allValue: its options would be needed`);
    }
    return formatValue(v.values, v.multi, format);
  });
}

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);
const day = (d: Date): string => d.toISOString().slice(0, 10);

type Macro = (args: string[], ctx: ExpandContext) => string;

const one = (name: string, args: string[]): string => {
  if (args.length !== 1) throw new Error(`$__${name}: expected 1 argument, received ${args.length}`);
  return args[0]!;
};

const MACROS: Record<string, Macro> = {
  fromTime: (_a, c) => `toDateTime(${seconds(c.from)})`,
  toTime: (_a, c) => `toDateTime(${seconds(c.to)})`,
  fromTime_ms: (_a, c) => `fromUnixTimestamp64Milli(${c.from.getTime()})`,
  toTime_ms: (_a, c) => `fromUnixTimestamp64Milli(${c.to.getTime()})`,
  timeFilter: (a, c) => { const col = one('timeFilter', a); return `${col} >= toDateTime(${seconds(c.from)}) AND ${col} <= toDateTime(${seconds(c.to)})`; },
  timeFilter_ms: (a, c) => { const col = one('timeFilter_ms', a); return `${col} >= fromUnixTimestamp64Milli(${c.from.getTime()}) AND ${col} <= fromUnixTimestamp64Milli(${c.to.getTime()})`; },
  dateFilter: (a, c) => { const col = one('dateFilter', a); return `${col} >= toDate('${day(c.from)}') AND ${col} <= toDate('${day(c.to)}')`; },
  timeInterval: (a, c) => `toStartOfInterval(toDateTime(${one('timeInterval', a)}), INTERVAL ${Math.max(Math.floor(c.intervalMs / 1000), 1)} second)`,
  interval_s: (_a, c) => String(Math.max(Math.floor(c.intervalMs / 1000), 1)),
};

/** Longest names first, so $__timeFilter_ms is never read as $__timeFilter followed by "_ms". */
const MACRO = new RegExp(`\\$__(${Object.keys(MACROS).sort((a, b) => b.length - a.length).join('|')})\\b(?:\\(([^()]*)\\))?`, 'g');

export function expandMacros(sql: string, ctx: ExpandContext): string {
  return sql.replace(MACRO, (_m, name: string, args?: string) => MACROS[name]!(args === undefined ? [] : args.split(',').map((s) => s.trim()), ctx));
}

/** Grafana first, then the plugin's backend: the order the text goes through in production. */
export function expand(sql: string, ctx: ExpandContext): string {
  return expandMacros(interpolateVariables(sql, ctx.variables), ctx);
}
