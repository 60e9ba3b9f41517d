import type { MetricPoint } from './model.js';

/**
 * Turns cumulative counters into deltas: remembers the last value per series (resource +
 * metric + attributes) in a bounded map. A series seen for the first time counts only if it
 * started after the receiver did (otherwise its total includes usage from before we listened,
 * possibly already counted); a value that went down, or a new start time, is a reset.
 */
export class CumulativeToDelta {
  private readonly last = new Map<string, { startNs: bigint; value: number }>();

  constructor(
    private readonly startedNs: bigint,
    private readonly maxSeries = 10_000,
  ) {}

  get size(): number {
    return this.last.size;
  }

  delta(p: MetricPoint): number {
    if (p.temporality !== 'cumulative') return p.value;
    const key = JSON.stringify([p.metric, Object.entries(p.resource).sort(), Object.entries(p.attrs).sort()]);
    const prev = this.last.get(key);
    this.last.delete(key);
    this.last.set(key, { startNs: p.startNs, value: p.value });
    while (this.last.size > this.maxSeries) {
      const oldest = this.last.keys().next().value;
      if (oldest === undefined) break;
      this.last.delete(oldest);
    }
    if (!prev) return p.startNs >= this.startedNs ? p.value : 0;
    if (p.value < prev.value || (p.startNs !== 0n && p.startNs !== prev.startNs)) return p.value;
    return p.value - prev.value;
  }
}
