/**
 * Validates the anomaly method (view v_token_anomalies) on synthetic data with injected spikes and
 * ordinary variation: weekday/weekend, holidays, new users, noise. Prints precision and recall.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '../../collector/src/store/store.js';
import { synthesize } from '../src/anomaly-synth.js';
import { openStore } from '../src/db.js';

const dir = mkdtempSync(join(tmpdir(), 'aiscout-anomaly-'));
let store: Store;
const endDay = '2026-06-30';
const synth = synthesize({ seed: 42, users: 1500, teams: 30, days: 60, endDay, spikeRate: 0.01, scoredDays: 30 });

beforeAll(async () => {
  store = await openStore(join(dir, 'ch'));
  for (let i = 0; i < synth.rows.length; i += 20_000) await store.insert('events', synth.rows.slice(i, i + 20_000));
}, 120_000);
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('finds injected spikes with precision and recall above 0.9', async () => {
  const flagged = await store.query<{ user: string; day: string; baseline_kind: string }>(
    `SELECT user, toString(day) AS day, tokens_baseline_kind AS baseline_kind FROM v_token_anomalies(from = toDate('${endDay}') - 29, to = toDate('${endDay}'))
     WHERE tokens_anomaly`,
  );
  const found = new Set(flagged.map((r) => `${r.user}|${r.day}`));
  const tp = [...found].filter((k) => synth.spikes.has(k)).length;
  const precision = tp / Math.max(found.size, 1);
  const recall = tp / synth.spikes.size;
  const viaTeam = flagged.filter((r) => r.baseline_kind === 'team').length;
  console.log(JSON.stringify({ userDays: synth.activeUserDays, spikes: synth.spikes.size, flagged: found.size, truePositives: tp, precision: +precision.toFixed(3), recall: +recall.toFixed(3), flaggedViaTeamBaseline: viaTeam }));
  expect(synth.spikes.size).toBeGreaterThan(100);
  expect(precision).toBeGreaterThanOrEqual(0.9);
  expect(recall).toBeGreaterThanOrEqual(0.9);
});
