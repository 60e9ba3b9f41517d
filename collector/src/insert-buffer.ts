import { createHash } from 'node:crypto';
import { EVENT_COLUMNS } from './rows.js';
import type { Row, Store } from './store/store.js';

/** One batch waiting to be stored: its event rows (TabSeparated lines, UTF-8) and its `batches` row. */
export interface PendingBatch {
  batchId: string;
  rows: number;
  /** Encoded per batch, so a flush only copies bytes (one big string join made the GC a third of the CPU). */
  eventTsv: Buffer;
  batchRow: Row;
}

interface Waiting extends PendingBatch {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface InsertBufferOptions {
  /** Most event rows in one INSERT; a bigger backlog is split over several. */
  maxRows: number;
  /**
   * Below this many waiting rows, wait `lingerMs` once before an INSERT: each INSERT has a fixed cost
   * (a part per table and per materialized view), so a few ms of waiting buys throughput under load.
   */
  minRows: number;
  lingerMs: number;
  /** Observes each flush (seconds, batches, rows). */
  onFlush?: (seconds: number, batches: number, rows: number) => void;
}

/**
 * Group commit. The embedded engine runs one statement at a time and each INSERT has a fixed cost
 * (a new part per table and view), so the batches that arrive while one INSERT runs are stored
 * together by the next one. Every caller still gets its answer only after the INSERT that holds its
 * rows has returned: acks always mean "stored". A small backlog waits `lingerMs` for company first.
 *
 * Order inside a flush: events first, then the `batches` rows (which move the agents' sequence
 * forward), so a batch record never exists without its events.
 */
export class InsertBuffer {
  #pending: Waiting[] = [];
  #pendingRows = 0;
  #flushing = false;

  constructor(
    private readonly store: Store,
    private readonly options: InsertBufferOptions,
  ) {}

  submit(batch: PendingBatch): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ ...batch, resolve, reject });
      this.#pendingRows += batch.rows;
      if (!this.#flushing) {
        this.#flushing = true;
        // Let the requests already parsed in this turn of the event loop join the same INSERT.
        setImmediate(() => void this.#drain());
      }
    });
  }

  /** Event rows waiting for the next INSERT (a gauge: a growing queue means the store is the bottleneck). */
  get pendingRows(): number {
    return this.#pendingRows;
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      if (this.#pendingRows < this.options.minRows && this.options.lingerMs > 0) {
        await new Promise((r) => setTimeout(r, this.options.lingerMs));
      }
      const group: Waiting[] = [];
      let rows = 0;
      while (this.#pending.length > 0 && (group.length === 0 || rows + this.#pending[0]!.rows <= this.options.maxRows)) {
        const next = this.#pending.shift()!;
        rows += next.rows;
        group.push(next);
      }
      this.#pendingRows -= rows;
      await this.#flush(group, rows);
    }
    this.#flushing = false;
  }

  async #flush(group: Waiting[], rows: number): Promise<void> {
    const started = process.hrtime.bigint();
    // The same group retried would carry the same token; it also names the flush in the engine's dedup log.
    const token = createHash('sha256').update(group.map((g) => g.batchId).join(',')).digest('hex');
    try {
      const body = group.length === 1 ? group[0]!.eventTsv : Buffer.concat(group.map((g) => g.eventTsv));
      await this.store.insertTsv('events', EVENT_COLUMNS, body, `${token}:events`);
      await this.store.insert('batches', group.map((g) => g.batchRow), `${token}:batches`);
      this.options.onFlush?.(Number(process.hrtime.bigint() - started) / 1e9, group.length, rows);
      for (const g of group) g.resolve();
    } catch (err) {
      for (const g of group) g.reject(err);
    }
  }
}
