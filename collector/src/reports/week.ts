/**
 * ISO 8601 weeks in a time zone. A report week runs from Monday 00:00 to the next Monday 00:00 in
 * the team's zone; queries get the two UTC instants. Offsets come from Intl (the platform's tz data),
 * so DST weeks are 167 or 169 hours long.
 */

export interface WeekWindow {
  /** `2026-W47` */
  label: string;
  timezone: string;
  /** First instant of the week (Monday 00:00 local), as UTC. */
  start: Date;
  /** First instant after the week (next Monday 00:00 local), as UTC. */
  end: Date;
  /** The seven local dates Monday..Sunday, `YYYY-MM-DD`. */
  days: string[];
}

export class WeekError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeekError';
  }
}

const LABEL = /^(\d{4})-W(\d{2})$/;
const DAY_MS = 86_400_000;

/** Weeks in an ISO week-year: 53 when Jan 1 is a Thursday, or a Wednesday in a leap year. */
export function weeksInYear(year: number): number {
  const jan1 = new Date(Date.UTC(year, 0, 1)).getUTCDay();
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return jan1 === 4 || (leap && jan1 === 3) ? 53 : 52;
}

export function parseWeek(label: string): { year: number; week: number } {
  const m = LABEL.exec(label);
  if (!m) throw new WeekError(`week "${label.slice(0, 20)}" is not an ISO week like 2026-W47`);
  const year = Number(m[1]);
  const week = Number(m[2]);
  if (year < 1970 || year > 9999 || week < 1 || week > weeksInYear(year)) {
    throw new WeekError(`week ${label} does not exist (${year} has ${weeksInYear(year)} ISO weeks)`);
  }
  return { year, week };
}

function formatLabel(year: number, week: number): string {
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Monday of week 1 (the week with Jan 4), as a UTC midnight in ms. */
function week1Monday(year: number): number {
  const jan4 = Date.UTC(year, 0, 4);
  const dow = (new Date(jan4).getUTCDay() + 6) % 7; // Monday = 0
  return jan4 - dow * DAY_MS;
}

/** ISO week of a calendar date given as a UTC midnight (ms). */
export function weekOfDate(utcMidnight: number): string {
  const dow = (new Date(utcMidnight).getUTCDay() + 6) % 7;
  const thursday = utcMidnight + (3 - dow) * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - week1Monday(year)) / (7 * DAY_MS));
  return formatLabel(year, week);
}

export function shiftWeek(label: string, by: number): string {
  const { year, week } = parseWeek(label);
  return weekOfDate(week1Monday(year) + (week - 1 + by) * 7 * DAY_MS);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's wall-clock fields at an instant. */
function wallClock(ms: number, timezone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  let f = formatters.get(timezone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      });
    } catch {
      throw new WeekError(`time zone "${timezone.slice(0, 60)}" is not an IANA time zone`);
    }
    formatters.set(timezone, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { y: parts.year!, mo: parts.month!, d: parts.day!, h: parts.hour!, mi: parts.minute!, s: parts.second! };
}

/** Offset of the zone from UTC at an instant, in ms (east positive). */
function offsetAt(ms: number, timezone: string): number {
  const w = wallClock(ms, timezone);
  const asUtc = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The UTC instant of local midnight starting a calendar date (given as a UTC midnight) in the zone. */
export function localMidnight(utcMidnight: number, timezone: string): Date {
  // Two passes settle the offset on either side of a DST change; midnight that does not exist (a
  // zone that springs forward at 00:00) lands on the first instant after the gap.
  let t = utcMidnight - offsetAt(utcMidnight, timezone);
  t = utcMidnight - offsetAt(t, timezone);
  return new Date(t);
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function weekWindow(label: string, timezone: string): WeekWindow {
  const { year, week } = parseWeek(label);
  const monday = week1Monday(year) + (week - 1) * 7 * DAY_MS;
  const days = Array.from({ length: 7 }, (_, i) => isoDate(monday + i * DAY_MS));
  return { label, timezone, start: localMidnight(monday, timezone), end: localMidnight(monday + 7 * DAY_MS, timezone), days };
}

/** The ISO week containing an instant, in the zone. */
export function weekAt(instant: Date, timezone: string): string {
  const w = wallClock(instant.getTime(), timezone);
  return weekOfDate(Date.UTC(w.y, w.mo - 1, w.d));
}

/** The last complete week before the instant, in the zone: what a Monday-morning run reports. */
export function lastCompleteWeek(now: Date, timezone: string): string {
  return shiftWeek(weekAt(now, timezone), -1);
}
