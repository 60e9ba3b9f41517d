/**
 * Synthetic daily token volumes with known spikes, to validate v_token_anomalies: team and personal
 * levels, multiplicative noise, quiet weekends, two holidays, new users who join late (scored against
 * their team), and injected spikes (the ground truth). Deterministic for a seed.
 */
import { randomUUID } from 'node:crypto';
import { prng } from '../../testing/prng.js';

export interface SynthOptions {
  seed: number;
  users: number;
  teams: number;
  days: number;
  /** Last day (UTC, YYYY-MM-DD). */
  endDay: string;
  /** Share of active user-days in the scored window that get a spike. */
  spikeRate: number;
  /** Days at the end that are scored (the rest is history). */
  scoredDays: number;
}

export interface SynthResult {
  rows: Record<string, unknown>[];
  /** "user|YYYY-MM-DD" of every injected spike in the scored window. */
  spikes: Set<string>;
  activeUserDays: number;
}

export function synthesize(o: SynthOptions): SynthResult {
  const rnd = prng(o.seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const end = Date.parse(`${o.endDay}T00:00:00Z`);
  const dayOf = (i: number): Date => new Date(end - (o.days - 1 - i) * 86400_000);
  const holidays = new Set([Math.floor(o.days * 0.5), o.days - 8]);
  const teamLevel = Array.from({ length: o.teams }, () => 40_000 * Math.exp(0.8 * normal()));
  const rows: Record<string, unknown>[] = [];
  const spikes = new Set<string>();
  let activeUserDays = 0;
  for (let u = 0; u < o.users; u++) {
    const team = u % o.teams;
    const level = teamLevel[team]! * Math.exp(0.3 * normal());
    // One user in ten joins in the last 20 days.
    const joins = rnd() < 0.1 ? o.days - 1 - Math.floor(rnd() * 20) : 0;
    const user = `synth${u}`;
    for (let i = joins; i < o.days; i++) {
      const date = dayOf(i);
      const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
      const pActive = holidays.has(i) ? 0.05 : weekend ? 0.25 : 0.9;
      if (rnd() >= pActive) continue;
      let volume = level * (weekend ? 0.5 : 1) * Math.exp(0.35 * normal());
      const day = date.toISOString().slice(0, 10);
      const scored = i >= o.days - o.scoredDays;
      if (scored) activeUserDays++;
      if (scored && rnd() < o.spikeRate) {
        volume *= 4 + 8 * rnd();
        spikes.add(`${user}|${day}`);
      }
      const tokens = Math.max(1, Math.round(volume));
      const start = `${day} 10:00:00.000`;
      rows.push({
        event_id: randomUUID(), batch_id: randomUUID(), agent_id: randomUUID(), received_at: start, window_start: start, window_end: `${day} 10:05:00.000`,
        kind: 'usage', tool: 'claude-code', user, host: `h-${user}`, team: `st-${team}`, count: 1, confidence: 1,
        tokens_in: Math.round(tokens * 0.8), tokens_out: tokens - Math.round(tokens * 0.8), requests: 10,
      });
    }
  }
  return { rows, spikes, activeUserDays };
}
