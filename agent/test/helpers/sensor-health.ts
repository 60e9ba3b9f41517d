import { SENSOR_ERROR_TYPES, SensorHealth, validator } from '@aiscout/protocol';
import { expect } from 'vitest';
import type { SensorErrorType, SensorHealthCounter } from '../../src/sensors/health.js';

const validateHealth = validator(SensorHealth);

export interface ExpectedHealth {
  name: string;
  /** Exact number of observations the sensor yielded (or at least this many when `minObservations`). */
  observations?: number;
  minObservations?: number;
  /** Exact error counts; every type not listed must be 0. */
  errors?: Partial<Record<SensorErrorType, number>>;
  dropped?: number;
  disabled?: string | RegExp;
}

/**
 * The one check every sensor's health goes through: the wire shape, the closed error set, the
 * enabled/disabled_reason pairing, and the exact counts the test expects.
 */
export function expectSensorHealth(health: SensorHealthCounter | SensorHealth, expected: ExpectedHealth): SensorHealth {
  const snap: SensorHealth = 'snapshot' in health ? health.snapshot() : health;
  const checked = validateHealth(snap);
  expect(checked.ok ? [] : checked.issues).toEqual([]);
  expect(Object.keys(snap.errors).sort()).toEqual([...SENSOR_ERROR_TYPES].sort());
  expect(snap.name).toBe(expected.name);
  if (expected.disabled !== undefined) {
    expect(snap.enabled).toBe(false);
    expect(snap.disabled_reason).toMatch(expected.disabled);
  } else {
    expect(snap.enabled, `sensor disabled: ${snap.disabled_reason}`).toBe(true);
    expect(snap.disabled_reason).toBeNull();
  }
  if (expected.observations !== undefined) expect(snap.observations).toBe(expected.observations);
  if (expected.minObservations !== undefined) expect(snap.observations).toBeGreaterThanOrEqual(expected.minObservations);
  if (expected.errors !== undefined) {
    const want = Object.fromEntries(SENSOR_ERROR_TYPES.map((t) => [t, expected.errors?.[t] ?? 0]));
    expect(snap.errors).toEqual(want);
  }
  if (expected.dropped !== undefined) expect(snap.dropped).toBe(expected.dropped);
  return snap;
}

/** Drains a sensor's async generator into an array. */
export async function collect<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}
