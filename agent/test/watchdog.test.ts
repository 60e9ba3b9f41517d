import { describe, expect, it } from 'vitest';
import { Daemon } from '../src/daemon/daemon.js';
import { Logger } from '../src/daemon/log.js';
import type { DaemonSensor } from '../src/daemon/sensors.js';
import { Watchdog, type ResourceSample } from '../src/watchdog/watchdog.js';
import { agentEnv, testConfig } from './helpers/agent.js';
import { tempDir } from './helpers/collector.js';

const MB = 1024 * 1024;
/** Samples one second apart: rss in MB, cpu as % of one core over the last second. */
function samples(list: [rssMb: number, cpuPercent: number][], start = 0): ResourceSample[] {
  let cpu = 0;
  return list.map(([rss, pct], i) => {
    cpu += pct * 10_000; // 1 s at pct % = pct * 10 ms = pct * 10 000 µs
    return { atMs: start + (i + 1) * 1000, rssBytes: rss * MB, cpuMicros: cpu };
  });
}

describe('self-watchdog', () => {
  it('throttles after a limit is exceeded for the sustained time, restarts sensors if still over, recovers when back under', () => {
    const wd = new Watchdog({ maxRssMb: 128, maxCpuPercent: 5, sustainedSeconds: 6 });
    const actions = samples([[40, 0], ...Array<[number, number]>(14).fill([40, 50]), ...Array<[number, number]>(70).fill([40, 0.1])]).map((s) => wd.observe(s));
    // Over CPU from the 2nd sample: the 6 s window completes at sample 7 → throttle; 6 s later → restart.
    expect(actions.indexOf('throttle')).toBe(6);
    expect(actions.indexOf('restart-sensors')).toBe(12);
    expect(actions.indexOf('recover')).toBeGreaterThan(12);
    expect(wd.health()).toMatchObject({ level: 'normal', throttles: 1, restarts: 1 });
    expect(wd.health().last_reason).toMatch(/cpu 50\.0% > 5%/);
  });

  it('a short spike is not sustained: no action', () => {
    const wd = new Watchdog({ maxRssMb: 128, maxCpuPercent: 5, sustainedSeconds: 6 });
    const actions = samples([[40, 0], [300, 90], [300, 90], [40, 0], [300, 90], [40, 0]]).map((s) => wd.observe(s));
    expect(actions.every((a) => a === 'none')).toBe(true);
  });

  it('in the daemon: past the (lowered) RSS limit it doubles intervals and skips heavy sensors, and says so in health', async () => {
    const state = tempDir('aiscout-watchdog-');
    const config = await testConfig(agentEnv(state.path, 'http://127.0.0.1:1', 'watchdog-secret-0001', { AISCOUT_LIMITS_MAX_RSS_MB: '32', AISCOUT_LIMITS_SUSTAINED_SECONDS: '2' }));
    const runs: string[] = [];
    const sensor = (name: string, heavy: boolean): DaemonSensor => ({ name, interval: 'processes', heavy, enabled: () => true, run: async () => (runs.push(name), {}) });
    const daemon = new Daemon({
      config, configSource: 'env', log: new Logger('fatal', () => undefined), sensors: [sensor('light', false), sensor('heavy', true)], homes: [],
      timing: { firstRunMs: 3_600_000, windowMs: 3_600_000, heartbeatMs: 3_600_000, watchdogMs: 3_600_000, idlePollMs: 3_600_000 },
    });
    await daemon.start();
    await daemon.runSensorsNow();
    expect(runs).toEqual(['light', 'heavy']);
    for (const s of samples([[20, 0], [64, 0], [64, 0], [64, 0]])) daemon.observeResources(s);
    expect(daemon.watchdogHealth()).toMatchObject({ throttled: true, level: 'throttled', throttles: 1 });
    runs.length = 0;
    await daemon.runSensorsNow();
    expect(runs).toEqual(['light']);
    const beat = daemon.heartbeatEvent();
    expect(beat.sensors.find((s) => s.name === 'heavy')?.disabled_reason).toMatch(/over its resource limits/);
    expect(beat.sensors.find((s) => s.name === 'watchdog')).toMatchObject({ enabled: false, observations: 1 });
    await daemon.stop(200);
    state.cleanup();
  });
});
