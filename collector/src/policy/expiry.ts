/**
 * Expiry dates of policy exceptions. A bare date (2027-03-31) means "through the end of that day,
 * UTC": the rule applies while at < 2027-04-01T00:00:00Z. A timestamp must carry its offset
 * (Z or +02:00), because a config read on servers in several time zones must mean one instant.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;

/** The first instant (ms since epoch) at which the rule no longer applies, or null if `text` is not a valid date. */
export function parseExpiry(text: string): number | null {
  const date = DATE.exec(text);
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    if (!isCalendarDate(y, m, d)) return null;
    return Date.UTC(y, m - 1, d + 1);
  }
  const ts = TIMESTAMP.exec(text.toUpperCase());
  if (!ts) return null;
  const [y, m, d, hh, mm, ss] = [1, 2, 3, 4, 5, 6].map((i) => Number(ts[i] ?? 0)) as [number, number, number, number, number, number];
  if (!isCalendarDate(y, m, d) || hh > 23 || mm > 59 || ss > 59) return null;
  const zone = ts[8] ?? 'Z';
  if (zone !== 'Z' && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4, 6)) > 59)) return null;
  const ms = Date.parse(text.toUpperCase());
  return Number.isFinite(ms) ? ms : null;
}

function isCalendarDate(y: number, m: number, d: number): boolean {
  if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}
