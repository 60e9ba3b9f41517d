import { gzipSync } from 'node:zlib';
import {
  AGENT_ID_HEADER, PROTOCOL_VERSION, SIGNATURE_HEADER, signBody, uuidv7, validateEvent,
  type Batch, type Event, type HostFacts,
} from '@aiscout/protocol';
import type { KeyObject } from 'node:crypto';
import type { Spool } from '../spool/index.js';
import { classifyBatchAnswer, type Verdict } from './answer.js';
import { TransportError, type CollectorClient } from './http.js';
import type { Outbox, PendingBatch } from './outbox.js';
import { quarantine } from './quarantine.js';

export interface Envelope {
  agent_version: string;
  catalog_version: string;
  host: HostFacts;
}

export interface Sender {
  agentId: string;
  key: KeyObject;
  /** The collector's last stored sequence at enrollment. */
  enrolledLastSeq: number;
}

export type SendOutcome =
  | { kind: 'idle' }
  | { kind: 'acked'; events: number; duplicate: boolean; batchId: string; seq: number }
  | { kind: 'poisoned'; records: number; reason: string; file: string }
  /** Try again now (sequence repaired, batch split). */
  | { kind: 'again' }
  | Exclude<Verdict, { kind: 'acked' } | { kind: 'poison' } | { kind: 'replay' } | { kind: 'too-large' }>;

export interface DeliveryLimits {
  /** Spool records (events) per batch. */
  maxEvents: number;
  /** Uncompressed record bytes per batch. */
  maxBytes: number;
  timeoutMs: number;
}

export const DELIVERY_LIMITS: DeliveryLimits = { maxEvents: 2000, maxBytes: 2 * 1024 * 1024, timeoutMs: 30_000 };

/**
 * Moves spool records to the collector, one signed gzip batch at a time, in order. A batch's id,
 * sequence and record range are written to the outbox before it is sent, so a resend after a crash
 * is the same batch; records leave the spool only when acknowledged.
 */
export class Delivery {
  /** Lowered when the collector says a batch is too large. */
  private maxEvents: number;
  quarantinedBatches = 0;
  quarantinedRecords = 0;

  constructor(
    private readonly spool: Spool,
    private readonly outbox: Outbox,
    private readonly stateDir: string,
    private readonly envelope: () => Envelope,
    private readonly limits: DeliveryLimits = DELIVERY_LIMITS,
  ) {
    this.maxEvents = limits.maxEvents;
  }

  pendingRecords(): number {
    return this.spool.stats().records;
  }

  /** Sends the oldest unacknowledged records once and acts on the answer. Network errors come back as `retry`. */
  async sendOnce(client: CollectorClient, sender: Sender): Promise<SendOutcome> {
    const pending = await this.pending(sender);
    if (pending === null) return { kind: 'idle' };
    const { batch: pendingBatch, payloads } = pending;
    const events: Event[] = [];
    const invalid: string[] = [];
    for (const text of payloads) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        invalid.push(text);
        continue;
      }
      const checked = validateEvent(parsed);
      if (checked.ok) events.push(checked.value);
      else invalid.push(text);
    }
    if (invalid.length > 0) {
      // Records the protocol would refuse are set aside now, so they cannot poison the whole batch.
      await this.setAside(`${pendingBatch.batch_id}-invalid`, 'record is not a valid protocol event', invalid);
    }
    if (events.length === 0) {
      await this.acknowledge(pendingBatch);
      return { kind: 'again' };
    }
    const batch: Batch = {
      protocol_version: PROTOCOL_VERSION,
      batch_id: pendingBatch.batch_id,
      agent_id: sender.agentId,
      seq: pendingBatch.seq,
      sent_at: new Date().toISOString(),
      ...this.envelope(),
      events,
    };
    const body = gzipSync(Buffer.from(JSON.stringify(batch)));
    let verdict: Verdict;
    try {
      const res = await client.post(
        '/v1/batches',
        body,
        {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          [AGENT_ID_HEADER]: sender.agentId,
          [SIGNATURE_HEADER]: signBody(sender.key, body),
        },
        this.limits.timeoutMs,
      );
      verdict = classifyBatchAnswer(res, batch.batch_id);
    } catch (err) {
      const code = err instanceof TransportError ? err.code : 'ERROR';
      return { kind: 'retry', retryAfterMs: null, reason: `${code}: ${(err as Error).message}`.slice(0, 500) };
    }
    switch (verdict.kind) {
      case 'acked':
        await this.acknowledge(pendingBatch);
        this.maxEvents = Math.min(this.limits.maxEvents, this.maxEvents * 2);
        return { kind: 'acked', events: events.length, duplicate: verdict.duplicate, batchId: batch.batch_id, seq: batch.seq };
      case 'poison': {
        const file = await this.setAside(batch.batch_id, verdict.reason, payloads);
        await this.acknowledge(pendingBatch);
        return { kind: 'poisoned', records: payloads.length, reason: verdict.reason, file };
      }
      case 'too-large':
        if (pendingBatch.last > pendingBatch.first) {
          // The collector never stored it: forget this range and send half as many records next.
          this.maxEvents = Math.max(1, Math.floor((pendingBatch.last - pendingBatch.first + 1) / 2));
          await this.outbox.save({ ...this.outbox.state, pending: null });
          return { kind: 'again' };
        }
        {
          const file = await this.setAside(batch.batch_id, verdict.reason, payloads);
          await this.acknowledge(pendingBatch);
          return { kind: 'poisoned', records: payloads.length, reason: verdict.reason, file };
        }
      case 'replay':
        if (verdict.lastStored === null) return { kind: 'reenroll', reason: 'sequence conflict without the collector’s last sequence' };
        // Our sequence fell behind the collector's (state lost): same batch, a sequence above it.
        await this.outbox.save({ ...this.outbox.state, last_seq: verdict.lastStored + 1, pending: { ...pendingBatch, seq: verdict.lastStored + 1 } });
        return { kind: 'again' };
      default:
        return verdict;
    }
  }

  /** The batch to send: the one in the outbox (same id and sequence), else a new one from the spool. */
  private async pending(sender: Sender): Promise<{ batch: PendingBatch; payloads: string[] } | null> {
    for (;;) {
      const stats = this.spool.stats();
      let p = this.outbox.state.pending;
      if (p && (p.agent_id !== sender.agentId || p.last <= stats.ackedSeq)) {
        // Sent under another identity, or acknowledged just before a crash: nothing to resend.
        p = null;
        await this.outbox.save({ ...this.outbox.state, pending: null });
      }
      if (p) {
        const { records } = await this.spool.read(p.first, p.last - p.first + 1, Number.MAX_SAFE_INTEGER);
        const mine = records.filter((r) => r.seq <= p!.last);
        if (mine.length > 0) return { batch: p, payloads: mine.map((r) => Buffer.from(r.payload).toString('utf8')) };
        // Its records were dropped at the spool bound meanwhile.
        await this.outbox.save({ ...this.outbox.state, pending: null });
        continue;
      }
      if (stats.records === 0) return null;
      const { records } = await this.spool.read(stats.ackedSeq + 1, this.maxEvents, this.limits.maxBytes);
      if (records.length === 0) return null;
      const base = this.outbox.state.agent_id === sender.agentId ? Math.max(this.outbox.state.last_seq, sender.enrolledLastSeq) : sender.enrolledLastSeq;
      const batch: PendingBatch = {
        agent_id: sender.agentId,
        batch_id: uuidv7(),
        seq: base + 1,
        first: records[0]!.seq,
        last: records[records.length - 1]!.seq,
      };
      await this.outbox.save({ last_seq: batch.seq, agent_id: sender.agentId, pending: batch });
      return { batch, payloads: records.map((r) => Buffer.from(r.payload).toString('utf8')) };
    }
  }

  private async acknowledge(batch: PendingBatch): Promise<void> {
    await this.spool.ack(batch.last);
    await this.outbox.save({ ...this.outbox.state, pending: null });
  }

  private async setAside(name: string, reason: string, payloads: string[]): Promise<string> {
    this.quarantinedBatches += 1;
    this.quarantinedRecords += payloads.length;
    return quarantine(this.stateDir, name, reason, payloads);
  }
}
