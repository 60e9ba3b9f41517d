import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Event } from '@aiscout/protocol';
import { loadAgentConfig, type AgentConfig, type ConfigLoadResult } from '../../src/config/index.js';
import type { DaemonSensor } from '../../src/daemon/sensors.js';

/** The agent configuration a test runs with: environment variables only, no machine files. */
export function agentEnv(stateDir: string, collectorUrl: string, secret: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AISCOUT_COLLECTOR_URL: collectorUrl,
    AISCOUT_ENROLLMENT_SECRET: secret,
    AISCOUT_STATE_DIR: stateDir,
    AISCOUT_SENSORS_NETWORK: 'false',
    // The test process also hosts chDB (hundreds of MB): the watchdog would rightly throttle it.
    AISCOUT_LIMITS_MAX_RSS_MB: '4096',
    AISCOUT_LIMITS_MAX_CPU_PERCENT: '100',
    ...extra,
  };
}

export function loadTestConfig(env: Record<string, string>): Promise<ConfigLoadResult> {
  return loadAgentConfig({ env, paths: { files: [] }, platform: 'linux', privileged: false });
}

export async function testConfig(env: Record<string, string>): Promise<AgentConfig> {
  const r = await loadTestConfig(env);
  if (!r.config) throw new Error(`test config invalid: ${JSON.stringify(r.issues)}`);
  return r.config;
}

/** A made-up process event, valid per the protocol. */
export function syntheticEvent(n: number, user = 'e2e-user'): Event {
  const end = Date.now();
  return {
    kind: 'process', tool: 'claude-code', id: randomUUID(),
    window_start: new Date(end - 60_000).toISOString(), window_end: new Date(end).toISOString(),
    user, evidence: { matcher: 'process-name', value: 'claude' }, count: 1, confidence: 0.9, candidates: ['claude-code'],
    exe: `/usr/local/bin/claude-${n}`, process_name: 'claude', version: null,
  };
}

/**
 * A sensor that produces `perRun` finished events per run and, once they are durably spooled,
 * appends their ids to `committedLog` (what a crash must never lose).
 */
export function floodSensor(perRun: number, committedLog?: string, user = 'e2e-user'): DaemonSensor & { produced: number } {
  const sensor = {
    name: 'flood',
    interval: 'processes' as const,
    heavy: false,
    produced: 0,
    enabled: () => true,
    run: async () => {
      const events = Array.from({ length: perRun }, () => syntheticEvent(sensor.produced++, user));
      return {
        events,
        committed: async () => {
          if (committedLog) appendFileSync(committedLog, events.map((e) => `${e.id}\n`).join(''));
        },
      };
    },
  };
  return sensor;
}
