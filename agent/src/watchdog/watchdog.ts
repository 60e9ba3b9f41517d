/** One measurement of the agent's own process. */
export interface ResourceSample {
  /** Milliseconds, any monotonic clock. */
  atMs: number;
  rssBytes: number;
  /** Cumulative user + system CPU time in microseconds (process.cpuUsage()). */
  cpuMicros: number;
}

export interface WatchdogLimits {
  maxRssMb: number;
  /** Percent of one core. */
  maxCpuPercent: number;
  sustainedSeconds: number;
}

export type WatchdogAction = 'none' | 'throttle' | 'restart-sensors' | 'recover';

export interface WatchdogHealth {
  level: 'normal' | 'throttled' | 'restarted';
  throttles: number;
  restarts: number;
  /** What was over the limit at the last action. */
  last_reason: string | null;
  rss_bytes: number;
  cpu_percent: number;
}

/**
 * The agent's own resource guard, after osquery's watchdog: past a limit for `sustainedSeconds`
 * it throttles (longer sensor intervals, heavy sensors skipped); still over after another such
 * period it restarts the sensors (drops their state); back under for ten periods, it recovers.
 * Pure: the daemon feeds it samples every second, tests feed it made-up ones.
 */
export class Watchdog {
  private previous: ResourceSample | null = null;
  private overSince: number | null = null;
  private underSince: number | null = null;
  private level: WatchdogHealth['level'] = 'normal';
  private throttles = 0;
  private restarts = 0;
  private lastReason: string | null = null;
  private rss = 0;
  private cpu = 0;

  constructor(private limits: WatchdogLimits) {}

  setLimits(limits: WatchdogLimits): void {
    this.limits = limits;
  }

  observe(sample: ResourceSample): WatchdogAction {
    const prev = this.previous;
    this.previous = sample;
    this.rss = sample.rssBytes;
    if (!prev || sample.atMs <= prev.atMs) return 'none';
    this.cpu = ((sample.cpuMicros - prev.cpuMicros) / 1000 / (sample.atMs - prev.atMs)) * 100;
    const reasons: string[] = [];
    if (sample.rssBytes > this.limits.maxRssMb * 1024 * 1024) reasons.push(`rss ${Math.round(sample.rssBytes / 1048576)} MB > ${this.limits.maxRssMb} MB`);
    if (this.cpu > this.limits.maxCpuPercent) reasons.push(`cpu ${this.cpu.toFixed(1)}% > ${this.limits.maxCpuPercent}%`);
    const sustainedMs = this.limits.sustainedSeconds * 1000;
    if (reasons.length === 0) {
      this.overSince = null;
      this.underSince ??= sample.atMs;
      if (this.level !== 'normal' && sample.atMs - this.underSince >= sustainedMs * 10) {
        this.level = 'normal';
        return 'recover';
      }
      return 'none';
    }
    this.underSince = null;
    // The first over-limit sample starts the clock; the interval before it counts as over too.
    this.overSince ??= prev.atMs;
    if (sample.atMs - this.overSince < sustainedMs) return 'none';
    this.overSince = sample.atMs;
    this.lastReason = reasons.join(', ');
    if (this.level === 'normal') {
      this.level = 'throttled';
      this.throttles += 1;
      return 'throttle';
    }
    this.level = 'restarted';
    this.restarts += 1;
    return 'restart-sensors';
  }

  health(): WatchdogHealth {
    return { level: this.level, throttles: this.throttles, restarts: this.restarts, last_reason: this.lastReason, rss_bytes: this.rss, cpu_percent: Math.round(this.cpu * 100) / 100 };
  }
}

/** The agent's own process, measured. */
export function sampleSelf(): ResourceSample {
  const cpu = process.cpuUsage();
  return { atMs: performance.now(), rssBytes: process.memoryUsage.rss(), cpuMicros: cpu.user + cpu.system };
}
