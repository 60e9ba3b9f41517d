/**
 * The send log (table report_sends): at most one delivered report per team, ISO week and channel,
 * even across restarts and with two collectors. A sender claims a send by inserting a 'sending' row
 * carrying its owner id, waits a moment, reads back, and goes on only if its row is the newest.
 * The race left: two senders that both read "nothing" and whose claims land further apart than the
 * settle delay can both send (docs/reports.md).
 */
import { randomUUID } from 'node:crypto';
import { clickhouseTime } from '../store/migrate.js';
import type { Store } from '../store/store.js';

export type Channel = 'email' | 'webhook';
export type SendStatus = 'sending' | 'sent' | 'failed';

export interface SendRecord {
  team: string;
  week: string;
  channel: Channel;
  status: SendStatus;
  attempts: number;
  owner: string;
  message_id: string;
  error: string;
  updated_at: string;
}

export type Claim = { ok: true; attempts: number } | { ok: false; reason: 'sent' | 'in-flight'; record: SendRecord };

export interface SendLogOptions {
  collectorId: string;
  /** A 'sending' claim older than this is treated as abandoned (its collector died mid-send). */
  leaseMs?: number;
  /** Wait between claiming and reading back, so a concurrent claim has landed. */
  settleMs?: number;
}

export class SendLog {
  readonly owner: string;
  readonly #leaseMs: number;
  readonly #settleMs: number;
  #lastVersion = 0;

  constructor(
    private readonly store: Pick<Store, 'query' | 'insert'>,
    opts: SendLogOptions,
  ) {
    this.owner = `${opts.collectorId}/${randomUUID()}`;
    this.#leaseMs = opts.leaseMs ?? 15 * 60_000;
    this.#settleMs = opts.settleMs ?? 300;
  }

  async current(team: string, week: string, channel: Channel): Promise<SendRecord | null> {
    const rows = await this.store.query<SendRecord>(
      `SELECT team, week, channel, status, attempts, owner, message_id, error, toString(updated_at) AS updated_at
       FROM report_sends FINAL WHERE team = {team:String} AND week = {week:String} AND channel = {channel:String}`,
      { team, week, channel },
    );
    const r = rows[0];
    return r ? { ...r, attempts: Number(r.attempts) } : null;
  }

  /** Every record of a week (for the CLI and tests). */
  async list(week: string): Promise<SendRecord[]> {
    const rows = await this.store.query<SendRecord>(
      `SELECT team, week, channel, status, attempts, owner, message_id, error, toString(updated_at) AS updated_at
       FROM report_sends FINAL WHERE week = {week:String} ORDER BY team, channel`,
      { week },
    );
    return rows.map((r) => ({ ...r, attempts: Number(r.attempts) }));
  }

  async claim(team: string, week: string, channel: Channel, recipients: string[], now = new Date()): Promise<Claim> {
    const before = await this.current(team, week, channel);
    if (before?.status === 'sent') return { ok: false, reason: 'sent', record: before };
    if (before?.status === 'sending' && before.owner !== this.owner && now.getTime() - Date.parse(`${before.updated_at.replace(' ', 'T')}Z`) < this.#leaseMs) {
      return { ok: false, reason: 'in-flight', record: before };
    }
    const attempts = before?.attempts ?? 0;
    await this.#write(team, week, channel, 'sending', attempts, recipients, '', '', now);
    if (this.#settleMs > 0) await new Promise((r) => setTimeout(r, this.#settleMs));
    const after = await this.current(team, week, channel);
    if (!after || after.owner !== this.owner || after.status !== 'sending') {
      return { ok: false, reason: after?.status === 'sent' ? 'sent' : 'in-flight', record: after ?? before! };
    }
    return { ok: true, attempts };
  }

  async sent(team: string, week: string, channel: Channel, attempts: number, recipients: string[], messageId: string): Promise<void> {
    await this.#write(team, week, channel, 'sent', attempts, recipients, messageId, '', new Date());
  }

  async failed(team: string, week: string, channel: Channel, attempts: number, recipients: string[], error: string): Promise<void> {
    await this.#write(team, week, channel, 'failed', attempts, recipients, '', error.slice(0, 500), new Date());
  }

  async #write(team: string, week: string, channel: Channel, status: SendStatus, attempts: number, recipients: string[], messageId: string, error: string, at: Date): Promise<void> {
    // Versions grow within a process; across collectors the clock orders them (µs plus a random tail).
    const version = Math.max(this.#lastVersion + 1, at.getTime() * 1000 + Math.floor(Math.random() * 1000));
    this.#lastVersion = version;
    await this.store.insert('report_sends', [{
      team, week, channel, status, attempts, owner: this.owner, recipients, message_id: messageId, error,
      sent_at: status === 'sent' ? clickhouseTime(at) : null, updated_at: clickhouseTime(at), version,
    }]);
  }
}
