/**
 * Exponential backoff with full jitter (a uniformly random wait between 0 and the exponential
 * ceiling), so a fleet that lost its collector does not come back in lock step.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 1000,
    private readonly capMs = 5 * 60_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** Wait before the next try; `retryAfterMs` (the collector's Retry-After) is a floor. */
  next(retryAfterMs: number | null = null): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    const jittered = Math.floor(this.random() * ceiling);
    return retryAfterMs !== null ? Math.min(Math.max(jittered, retryAfterMs), Math.max(this.capMs, retryAfterMs)) : jittered;
  }

  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}

/** Retry-After as seconds or an HTTP date, in milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return null;
  const text = v.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text), 86_400) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(0, at - now), 86_400_000);
}
