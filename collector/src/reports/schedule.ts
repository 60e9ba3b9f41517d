/**
 * The built-in weekly schedule (croner: cron expression in a time zone, default Monday 08:00 UTC).
 * At start, a run missed within the last 24 hours (the collector was down at 08:00) is caught up;
 * the send log makes that safe: what was sent is not sent again.
 */
import { Cron } from 'croner';

export interface Schedule {
  stop(): void;
  next(): Date | null;
}

export function missedWithin(cron: string, timezone: string, now: Date, windowMs = 86_400_000): boolean {
  const probe = new Cron(cron, { timezone, paused: true });
  try {
    const next = probe.nextRun(new Date(now.getTime() - windowMs));
    return next !== null && next.getTime() <= now.getTime();
  } finally {
    probe.stop();
  }
}

export function startSchedule(cron: string, timezone: string, run: () => Promise<void>, opts: { catchUp?: boolean; now?: Date } = {}): Schedule {
  // protect: a run still going when the next tick comes is not started twice.
  const job = new Cron(cron, { timezone, protect: true, unref: true }, async () => {
    await run();
  });
  let catchUp: NodeJS.Timeout | null = null;
  if (opts.catchUp !== false && missedWithin(cron, timezone, opts.now ?? new Date())) {
    catchUp = setTimeout(() => void run(), 5_000);
    catchUp.unref();
  }
  return {
    stop() {
      job.stop();
      if (catchUp) clearTimeout(catchUp);
    },
    next: () => job.nextRun(),
  };
}
