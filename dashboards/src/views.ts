/**
 * The views of collector/schema/0100_dashboards.sql, read from the migration itself. A panel that
 * must not pay a parameterized view's overhead inlines the view's text (parameters replaced), so the
 * logic still lives in one place: change the migration, regenerate, and the JSON follows (a test
 * fails until it does, and another checks the inlined text returns what the view returns).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MIGRATION = fileURLToPath(new URL('../../collector/schema/0100_dashboards.sql', import.meta.url));

/** The SELECT of `CREATE VIEW IF NOT EXISTS <name> AS …;`, comment lines dropped. */
export function viewSelect(name: string, text = readFileSync(MIGRATION, 'utf8')): string {
  const start = text.indexOf(`CREATE VIEW IF NOT EXISTS ${name} AS\n`);
  if (start < 0) throw new Error(`view ${name} is not in ${MIGRATION}`);
  const end = text.indexOf(';\n', start);
  return text
    .slice(start + `CREATE VIEW IF NOT EXISTS ${name} AS\n`.length, end)
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n');
}

/** The view as a subquery, with its {name:Type} parameters replaced by SQL expressions. */
export function inlineView(name: string, params: Record<string, string>): string {
  const sql = viewSelect(name).replace(/\{(\w+):\w+\}/g, (m, p: string) => {
    const v = params[p];
    if (v === undefined) throw new Error(`view ${name}: no value for parameter ${p}`);
    return v;
  });
  return `(\n${sql}\n)`;
}
