/** Number, date and escaping helpers shared by the renderers. */

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * Markdown/Slack: values from config or agents cannot open markup, links or mentions. Slack wants
 * &, < and > as entities; emphasis, code and table characters are backslash-escaped.
 */
export function escapeMarkdown(value: string): string {
  return value
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/[\\`*_~|[\]]/g, (c) => `\\${c}`)
    .replace(/@/g, '@\u200b')
    .replace(/[\r\n]+/g, ' ');
}

/** 1234567 → "1,234,567". */
export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Compact: 1234 → "1.2k", 3400000 → "3.4M". */
export function compact(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1000) return String(Math.round(n));
  const units: Array<[number, string]> = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [v, u] of units) if (abs >= v) return `${(n / v).toFixed(abs / v < 10 ? 1 : 0)}${u}`;
  return String(n);
}

export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** `2026-11-16T08:00:00.000Z` in a zone as "Mon 16 Nov 2026". */
export function localDate(iso: string, timezone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: timezone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(iso));
}

/** The last day of the week (the instant before `end`) in the zone. */
export function weekRange(start: string, end: string, timezone: string): string {
  return `${localDate(start, timezone)} – ${localDate(new Date(new Date(end).getTime() - 1).toISOString(), timezone)} (${timezone})`;
}

export const STATUS_LABEL: Record<string, string> = {
  unapproved: 'Unapproved',
  tolerated: 'Tolerated',
  exception: 'Exception',
  approved: 'Approved',
};

export function expiryDay(expires: string | null): string {
  return expires === null ? '' : expires.slice(0, 10);
}
