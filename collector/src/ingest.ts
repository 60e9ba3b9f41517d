import { verifyBody, validateBatch, type Batch, type BatchAck } from '@aiscout/protocol';
import type { AgentRegistry } from './agents.js';
import { decodeBody, parseBatchBody, type JsonParser } from './body.js';
import type { Limits } from './config.js';
import { ApiError } from './errors.js';
import type { CollectorMetrics } from './metrics.js';
import type { ReferenceData } from './reference-data.js';
import { InsertBuffer } from './insert-buffer.js';
import { batchTsv, eventTsvLine } from './rows.js';
import { clickhouseTime } from './store/migrate.js';
import type { Store } from './store/store.js';

export interface IncomingBatch {
  raw: Buffer;
  ndjson: boolean;
  contentEncoding: string | undefined;
  agentHeader: string | undefined;
  signatureHeader: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * One batch, from raw bytes to stored rows. Order matters: the cheap authentication checks come
 * first (known agent, signature over the bytes as sent), so nothing unauthenticated is inflated
 * or parsed; the store is written last, and only then is the batch acknowledged.
 */
export class BatchIngestor {
  /** Batches whose store attempt failed or timed out: they may have landed anyway. */
  private readonly uncertain = new Set<string>();
  private readonly buffer: InsertBuffer;

  constructor(
    private readonly store: Store,
    private readonly agents: AgentRegistry,
    private readonly reference: ReferenceData,
    private readonly metrics: CollectorMetrics,
    private readonly limits: Limits,
    private readonly retentionDays: number,
    private readonly collectorId: string,
    private readonly parseJson: JsonParser,
    maxRowsPerInsert = 50_000,
  ) {
    this.buffer = new InsertBuffer(store, {
      maxRows: maxRowsPerInsert,
      minRows: 5_000,
      lingerMs: 25,
      onFlush: (seconds) => this.metrics.insertSeconds.observe(seconds),
    });
    this.metrics.addGauge('aiscout_insert_queue_events', 'Events parsed and waiting for the next INSERT.', () => this.buffer.pendingRows);
  }

  async ingest(input: IncomingBatch): Promise<BatchAck> {
    const agentId = input.agentHeader?.trim().toLowerCase();
    const signature = input.signatureHeader?.trim();
    if (!agentId || !signature) throw new ApiError('SIGNATURE_MISSING');
    if (!UUID.test(agentId)) throw new ApiError('AGENT_UNKNOWN');
    const agent = await this.agents.get(agentId);
    if (!agent) throw new ApiError('AGENT_UNKNOWN');
    if (agent.record.revoked) throw new ApiError('AGENT_REVOKED');
    if (!verifyBody(agent.key, input.raw, signature)) throw new ApiError('SIGNATURE_INVALID');

    const bytes = await decodeBody(input.raw, input.contentEncoding, this.limits.inflatedBytes);
    const parsed = parseBatchBody(bytes, input.ndjson, this.parseJson, this.limits.eventsPerBatch);
    const events = (parsed as { events?: unknown }).events;
    if (Array.isArray(events) && events.length > this.limits.eventsPerBatch) {
      throw new ApiError('TOO_MANY_EVENTS', [`${events.length} events > ${this.limits.eventsPerBatch}`]);
    }
    const checked = validateBatch(parsed);
    if (!checked.ok) throw new ApiError('SCHEMA_INVALID', checked.issues.map((i) => `${i.path || '/'}: ${i.message}`));
    const batch = checked.value;
    if (batch.agent_id !== agentId) throw new ApiError('AGENT_MISMATCH');
    this.checkEvents(batch);

    return this.agents.withAgentLock(agentId, async () => {
      const last = await this.agents.lastSeq(agentId);
      if (batch.seq <= last) {
        // An agent that never saw our ack sends the same batch again: answer as if stored now.
        if (await this.agents.batchStored(agentId, batch.batch_id)) {
          this.metrics.batchesAccepted.inc({ duplicate: 'true' });
          return { batch_id: batch.batch_id, accepted: batch.events.length, duplicate: true };
        }
        throw new ApiError('REPLAY', [`seq ${batch.seq} <= last stored ${last}`]);
      }
      const outcome = await this.store_(batch, agent.record.team);
      this.agents.noteStored(agentId, batch.seq);
      const duplicate = outcome === 'duplicate';
      this.metrics.batchesAccepted.inc({ duplicate: String(duplicate) });
      if (!duplicate) this.metrics.eventsAccepted.inc({}, batch.events.length);
      return { batch_id: batch.batch_id, accepted: batch.events.length, duplicate };
    });
  }

  /** Event windows must be real instants inside [now - retention, now + skew], and ids unique. */
  private checkEvents(batch: Batch): void {
    const now = Date.now();
    const oldest = now - this.retentionDays * 86_400_000;
    const newest = now + this.limits.futureSkewSeconds * 1000;
    const ids = new Set<string>();
    const problems: string[] = [];
    // Events of one batch mostly share their windows: parse each distinct instant once.
    const instants = new Map<string, number>();
    const instant = (iso: string): number => {
      let ms = instants.get(iso);
      if (ms === undefined) instants.set(iso, (ms = Date.parse(iso)));
      return ms;
    };
    batch.events.forEach((e, i) => {
      const start = instant(e.window_start);
      const end = instant(e.window_end);
      if (Number.isNaN(start) || Number.isNaN(end)) problems.push(`/events/${i}: window is not a valid instant`);
      else if (end < start) problems.push(`/events/${i}: window_end is before window_start`);
      else if (start < oldest || end > newest) problems.push(`/events/${i}: window ${e.window_start}..${e.window_end} is outside the accepted range`);
      if (ids.has(e.id)) throw new ApiError('DUPLICATE_EVENT_ID', [`/events/${i}/id: ${e.id}`]);
      ids.add(e.id);
    });
    if (problems.length) throw new ApiError('EVENT_TIME_OUT_OF_RANGE', problems.slice(0, 20));
  }

  /**
   * Enriches the events and hands them to the group-commit buffer; resolves once they are stored.
   * A batch whose earlier attempt failed may have landed anyway (a timeout is not a rollback): it is
   * looked up first, so a retry after a timeout stores nothing twice.
   */
  private async store_(batch: Batch, agentTeam: string): Promise<'stored' | 'duplicate'> {
    if (this.uncertain.has(batch.batch_id)) {
      const landed = await this.landed(batch);
      if (landed !== 'no') {
        if (landed === 'events-only') await this.store.insert('batches', [this.batchRow(batch, clickhouseTime(new Date()))], `${batch.batch_id}:batches`);
        this.uncertain.delete(batch.batch_id);
        return 'duplicate';
      }
    }
    const at = new Date();
    const receivedAt = clickhouseTime(at);
    const decisions = new Map<string, string>();
    const shared = batchTsv(batch, at.getTime());
    let tsv = '';
    for (const e of batch.events) {
      const { team, teamSource } = this.reference.teamFor(e.user, batch.host.hostname, batch.host.team ?? (agentTeam || null));
      let policyState = '';
      if (e.tool !== null) {
        const key = `${e.tool}\u0000${team}`;
        policyState = decisions.get(key) ?? this.reference.decide(e.tool, team, at);
        decisions.set(key, policyState);
      }
      tsv += eventTsvLine(e, shared, { team, teamSource, policyState });
    }
    try {
      await this.buffer.submit({ batchId: batch.batch_id, rows: batch.events.length, eventTsv: Buffer.from(tsv, 'utf8'), batchRow: this.batchRow(batch, receivedAt) });
    } catch (err) {
      if (this.uncertain.size > 100_000) this.uncertain.clear();
      this.uncertain.add(batch.batch_id);
      throw err;
    }
    this.uncertain.delete(batch.batch_id);
    return 'stored';
  }

  private batchRow(batch: Batch, receivedAt: string): Record<string, unknown> {
    const sent = Date.parse(batch.sent_at);
    return {
      batch_id: batch.batch_id, agent_id: batch.agent_id, seq: batch.seq, received_at: receivedAt,
      // A hostile or broken clock must not break the insert: out-of-range sent_at is stored as received_at.
      sent_at: sent > 0 && sent < 7258118400000 ? clickhouseTime(new Date(sent)) : receivedAt,
      events: batch.events.length, agent_version: batch.agent_version, catalog_version: batch.catalog_version, collector: this.collectorId,
    };
  }

  /** Whether an earlier, failed attempt of this batch reached the store: fully, events only, or not. */
  private async landed(batch: Batch): Promise<'yes' | 'events-only' | 'no'> {
    if (await this.agents.batchStored(batch.agent_id, batch.batch_id)) return 'yes';
    if (batch.events.length === 0) return 'no';
    const starts = batch.events.map((e) => Date.parse(e.window_start));
    const rows = await this.store.query<{ n: string }>(
      `SELECT toString(count()) AS n FROM events
       WHERE batch_id = {b:UUID} AND window_start BETWEEN fromUnixTimestamp64Milli({lo:Int64}, 'UTC') AND fromUnixTimestamp64Milli({hi:Int64}, 'UTC')`,
      { b: batch.batch_id, lo: Math.min(...starts), hi: Math.max(...starts) },
    );
    return Number(rows[0]?.n ?? 0) > 0 ? 'events-only' : 'no';
  }
}
