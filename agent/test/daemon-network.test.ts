/**
 * Long-lived sensors in the daemon without root or a collector: the network sensor with `cap`
 * unavailable reports itself disabled with the reason while the others run, and the watchdog's
 * restart path stops and starts long-lived parts (capture, receiver).
 */
import { describe, expect, it } from 'vitest';
import { Daemon } from '../src/daemon/daemon.js';
import { Logger } from '../src/daemon/log.js';
import { NetworkDaemonSensor } from '../src/daemon/network-sensor-adapter.js';
import type { DaemonSensor } from '../src/daemon/sensors.js';
import { loadCap } from '../src/network/live-capture.js';
import { agentEnv, testConfig } from './helpers/agent.js';
import { tempDir } from './helpers/collector.js';

const quiet = new Logger('fatal', () => undefined);
const timing = { firstRunMs: 3_600_000, windowMs: 3_600_000, heartbeatMs: 3_600_000, watchdogMs: 3_600_000, idlePollMs: 3_600_000 };

describe('network sensor in the daemon without live capture', () => {
  it('is disabled with the reason in the heartbeat from the start; the other sensors keep running', async () => {
    const state = tempDir('aiscout-daemon-net-');
    const config = await testConfig(agentEnv(state.path, 'http://127.0.0.1:1', 'daemon-net-secret-01', { AISCOUT_SENSORS_NETWORK: 'true', AISCOUT_OTLP_ENABLED: 'false' }));
    const runs: string[] = [];
    const other: DaemonSensor = { name: 'other', interval: 'processes', heavy: false, enabled: () => true, run: async () => (runs.push('other'), {}) };
    const network = new NetworkDaemonSensor({ cap: loadCap('cap-package-that-is-not-installed') });
    const daemon = new Daemon({ config, configSource: 'env', log: quiet, sensors: [network, other], homes: [], timing });
    await daemon.start();
    try {
      const expected = { name: 'network', enabled: false, disabled_reason: 'live capture unavailable: the optional "cap-package-that-is-not-installed" package is not installed' };
      expect(daemon.heartbeatEvent().sensors.find((s) => s.name === 'network')).toMatchObject(expected);
      await daemon.runSensorsNow();
      await daemon.runSensorsNow();
      expect(runs).toEqual(['other', 'other']);
      const beat = daemon.heartbeatEvent();
      expect(beat.sensors.find((s) => s.name === 'network')).toMatchObject(expected);
      expect(beat.sensors.find((s) => s.name === 'other')).toMatchObject({ enabled: true, disabled_reason: null });
    } finally {
      await daemon.stop(200);
      state.cleanup();
    }
  });

  it('the watchdog restart path stops and starts long-lived sensors', async () => {
    const state = tempDir('aiscout-daemon-restart-');
    const config = await testConfig(agentEnv(state.path, 'http://127.0.0.1:1', 'daemon-net-secret-01', { AISCOUT_LIMITS_MAX_RSS_MB: '32', AISCOUT_LIMITS_SUSTAINED_SECONDS: '1' }));
    const calls: string[] = [];
    const longLived: DaemonSensor = {
      name: 'long-lived', interval: 'processes', heavy: false, enabled: () => true, run: async () => ({}),
      start: async () => void calls.push('start'),
      stop: async () => (calls.push('stop'), {}),
      restartKey: () => 'same',
    };
    const daemon = new Daemon({ config, configSource: 'env', log: quiet, sensors: [longLived], homes: [], timing });
    await daemon.start();
    try {
      expect(calls).toEqual(['start']);
      const MB = 1024 * 1024;
      for (let i = 1; daemon.watchdogHealth().restarts === 0 && i < 100; i++) daemon.observeResources({ atMs: i * 1000, rssBytes: 64 * MB, cpuMicros: 0 });
      expect(daemon.watchdogHealth().restarts).toBe(1);
      await daemon.runSensorsNow(); // queued behind the restart
      expect(calls).toEqual(['start', 'stop', 'start']);
    } finally {
      await daemon.stop(200);
      state.cleanup();
    }
    expect(calls).toEqual(['start', 'stop', 'start', 'stop']);
  });
});
