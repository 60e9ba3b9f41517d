/** Variable settings the tests and the bench run every panel with: all "All", one value, several values. */
import type { ExpandContext, VariableValue } from './macros.js';
import { SAMPLE_VALUES, VARIABLES } from './variables.js';

export type Scenario = 'all' | 'single' | 'multi';

export function variablesFor(names: string[], scenario: Scenario, overrides: Record<string, string[]> = {}): Record<string, VariableValue> {
  const out: Record<string, VariableValue> = {};
  for (const name of names) {
    const v = VARIABLES[name]!;
    if (v.type === 'constant') out[name] = { values: [String(v.query)], multi: false };
    else if (v.type === 'datasource') continue;
    else {
      const sample = SAMPLE_VALUES[name] ?? [];
      const values = overrides[name] ?? (scenario === 'all' ? ['$__all'] : scenario === 'single' ? sample.slice(0, 1) : sample);
      out[name] = { values, multi: v.multi ?? false, allValue: v.allValue };
    }
  }
  return out;
}

/** The last `days` days up to now, starting at midnight UTC (rollups are daily). */
export function context(names: string[], scenario: Scenario, days = 30, now = new Date(), overrides: Record<string, string[]> = {}): ExpandContext {
  const from = new Date(Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00Z`) - (days - 1) * 86400_000);
  return { from, to: now, intervalMs: 3_600_000, variables: variablesFor(names, scenario, overrides) };
}

/** Days covered by a board's default time range ('now-30d' → 30). */
export function defaultDays(time: string | undefined): number {
  const m = /^now-(\d+)d$/.exec(time ?? 'now-30d');
  if (!m) throw new Error(`default time range ${time} is not now-<n>d`);
  return Number(m[1]);
}
