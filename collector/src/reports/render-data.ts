/** CSV (one row per tool; RFC 4180, formula-safe) and JSON renderings of a report. */
import type { Report } from './model.js';

const COLUMNS = ['week', 'team', 'timezone', 'tool', 'tool_name', 'category', 'status', 'expires', 'users', 'hosts', 'evidence_kinds',
  'tokens', 'est_tokens', 'bytes', 'prev_users', 'prev_tokens', 'prev_est_tokens', 'prev_bytes', 'new_this_week'] as const;

/** Quotes every field that needs it, and defuses spreadsheet formulas (=, +, -, @ at the start). */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(r: Report): string {
  const rows: Array<Array<string | number | null>> = [];
  const sections = r.kind === 'team' ? [{ team: r.team, timezone: r.timezone, tools: r.tools }] : r.sections.map((s) => ({ team: s.team, timezone: '', tools: s.tools }));
  for (const s of sections) {
    for (const t of s.tools) {
      rows.push([r.week, s.team, s.timezone, t.tool, t.name, t.category, t.status, t.expires, t.users, t.hosts, t.evidenceKinds.join(' '),
        t.tokens, t.estTokens, t.bytes, t.previous?.users ?? 0, t.previous?.tokens ?? 0, t.previous?.estTokens ?? 0, t.previous?.bytes ?? 0, t.isNew ? 1 : 0]);
    }
  }
  return [COLUMNS.join(','), ...rows.map((row) => row.map(csvField).join(','))].join('\r\n') + '\r\n';
}

export function renderJson(r: Report): string {
  return `${JSON.stringify({ schema: 'aiscout.report.v1', ...r }, null, 2)}\n`;
}
