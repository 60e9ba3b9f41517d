import { describe, expect, it } from 'vitest';
import { lastCompleteWeek, parseWeek, shiftWeek, weekAt, weekWindow, weeksInYear } from '../src/reports/week.js';
import { missedWithin, startSchedule } from '../src/reports/schedule.js';

describe('ISO weeks in a time zone', () => {
  it('spans Monday 00:00 local to the next Monday 00:00 local, as UTC instants', () => {
    const la = weekWindow('2026-W47', 'America/Los_Angeles');
    expect([la.start.toISOString(), la.end.toISOString()]).toEqual(['2026-11-16T08:00:00.000Z', '2026-11-23T08:00:00.000Z']);
    const tokyo = weekWindow('2026-W47', 'Asia/Tokyo');
    expect([tokyo.start.toISOString(), tokyo.end.toISOString()]).toEqual(['2026-11-15T15:00:00.000Z', '2026-11-22T15:00:00.000Z']);
    expect(la.days).toEqual(['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22']);
  });

  it('has 169 hours in the week DST ends and 167 in the week it starts', () => {
    const fall = weekWindow('2026-W44', 'America/Los_Angeles'); // DST ends Sun 1 Nov 2026
    expect([fall.start.toISOString(), fall.end.toISOString()]).toEqual(['2026-10-26T07:00:00.000Z', '2026-11-02T08:00:00.000Z']);
    expect((fall.end.getTime() - fall.start.getTime()) / 3_600_000).toBe(169);
    const spring = weekWindow('2026-W13', 'Europe/Berlin'); // DST starts Sun 29 Mar 2026
    expect((spring.end.getTime() - spring.start.getTime()) / 3_600_000).toBe(167);
    expect(spring.start.toISOString()).toBe('2026-03-22T23:00:00.000Z');
  });

  it('handles week-years: 2026 has 53 weeks, 1-3 Jan 2027 belong to 2026-W53, 2027-W01 starts on 4 Jan', () => {
    expect(weeksInYear(2026)).toBe(53);
    expect(weeksInYear(2027)).toBe(52);
    expect(weeksInYear(2020)).toBe(53); // leap year starting on a Wednesday
    const w53 = weekWindow('2026-W53', 'UTC');
    expect([w53.start.toISOString(), w53.end.toISOString()]).toEqual(['2026-12-28T00:00:00.000Z', '2027-01-04T00:00:00.000Z']);
    expect(weekAt(new Date('2027-01-01T12:00:00Z'), 'UTC')).toBe('2026-W53');
    expect(weekAt(new Date('2027-01-03T23:59:59.999Z'), 'UTC')).toBe('2026-W53');
    expect(weekAt(new Date('2027-01-04T00:00:00Z'), 'UTC')).toBe('2027-W01');
    // 4 Jan 2027 07:00 UTC is still Sunday 3 Jan in Los Angeles.
    expect(weekAt(new Date('2027-01-04T07:00:00Z'), 'America/Los_Angeles')).toBe('2026-W53');
    expect(shiftWeek('2026-W53', 1)).toBe('2027-W01');
    expect(shiftWeek('2027-W01', -1)).toBe('2026-W53');
    expect(shiftWeek('2026-W01', -1)).toBe('2025-W52');
    // 2024-12-30 (a Monday) starts 2025-W01.
    expect(weekAt(new Date('2024-12-30T00:00:00Z'), 'UTC')).toBe('2025-W01');
  });

  it('rejects weeks that do not exist and zones that are not IANA', () => {
    expect(() => parseWeek('2027-W53')).toThrow(/does not exist/);
    expect(() => parseWeek('2026-W00')).toThrow(/does not exist/);
    expect(() => parseWeek('2026-47')).toThrow(/ISO week/);
    expect(() => weekWindow('2026-W47', 'Mars/Olympus')).toThrow(/IANA/);
  });

  it('a Monday 08:00 run reports the last complete week in each zone', () => {
    const monday = new Date('2026-11-23T08:00:00Z');
    expect(lastCompleteWeek(monday, 'Europe/Berlin')).toBe('2026-W47');
    expect(lastCompleteWeek(monday, 'America/Los_Angeles')).toBe('2026-W47'); // Monday 00:00 there
    expect(lastCompleteWeek(monday, 'Pacific/Pago_Pago')).toBe('2026-W46'); // still Sunday: W47 not over
  });

  it('tells a schedule run missed in the last day (catch-up at start)', () => {
    expect(missedWithin('0 8 * * 1', 'UTC', new Date('2026-11-23T09:00:00Z'))).toBe(true);
    expect(missedWithin('0 8 * * 1', 'UTC', new Date('2026-11-23T07:59:00Z'))).toBe(false);
    expect(missedWithin('0 8 * * 1', 'UTC', new Date('2026-11-25T09:00:00Z'))).toBe(false);
    expect(missedWithin('0 8 * * 1', 'America/Los_Angeles', new Date('2026-11-23T15:59:00Z'))).toBe(false);
    expect(missedWithin('0 8 * * 1', 'America/Los_Angeles', new Date('2026-11-23T16:01:00Z'))).toBe(true);
  });

  it('runs the job on its cron ticks, never two at once, and stops', async () => {
    let runs = 0;
    let running = 0;
    let overlap = false;
    const s = startSchedule('* * * * * *', 'UTC', async () => {
      running++;
      if (running > 1) overlap = true;
      runs++;
      await new Promise((r) => setTimeout(r, 1500));
      running--;
    }, { catchUp: false });
    expect(s.next()).toBeInstanceOf(Date);
    await new Promise((r) => setTimeout(r, 2600));
    s.stop();
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(overlap).toBe(false);
  });
});
