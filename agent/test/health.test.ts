import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorType, LimitExceeded, ParseFailure, SensorHealthCounter } from '../src/sensors/health.js';
import { expectSensorHealth } from './helpers/sensor-health.js';

async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('sensor health', () => {
  it('maps real errors onto the closed set of error types', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aiscout-health-'));
    try {
      expect(errorType(await caught(() => readFile(path.join(dir, 'gone.json'))))).toBe('vanished');
      expect(errorType(await caught(() => readFile(dir)))).toBe('io');
      expect(errorType(await caught(async () => JSON.parse('{')))).toBe('parse');
      expect(errorType(new ParseFailure('x'))).toBe('parse');
      expect(errorType(new LimitExceeded('x'))).toBe('limit');
      expect(errorType(new Error('odd'))).toBe('other');
      expect(errorType(Object.assign(new Error('denied'), { code: 'EACCES' }))).toBe('permission');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('counts observations, errors, drops and disabling in the wire shape', () => {
    const h = new SensorHealthCounter('dns');
    h.observed();
    h.observed();
    h.fail(new ParseFailure('bad'));
    h.drop();
    expectSensorHealth(h, { name: 'dns', observations: 2, errors: { parse: 1, limit: 1 }, dropped: 1 });
    expect(h.totalErrors()).toBe(2);
    h.disable('libpcap not installed');
    expectSensorHealth(h, { name: 'dns', disabled: 'libpcap not installed' });
  });
});
