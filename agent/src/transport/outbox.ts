import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../spool/fs-durable.js';

export const OUTBOX_FILE = 'outbox.json';

/** A batch that was (or is about to be) sent: spool records first..last under this id and sequence. */
export interface PendingBatch {
  agent_id: string;
  batch_id: string;
  seq: number;
  first: number;
  last: number;
}

export interface OutboxState {
  /** Highest batch sequence this agent has used (sent or about to be). */
  last_seq: number;
  agent_id: string | null;
  pending: PendingBatch | null;
}

/**
 * The transport's small durable memory, written (fsynced) before a batch goes out: a batch resent
 * after a crash keeps its batch id and sequence, so the collector answers `duplicate` instead of
 * storing it twice, and sequences never go backwards.
 */
export class Outbox {
  private constructor(
    private readonly file: string,
    public state: OutboxState,
  ) {}

  static async open(stateDir: string): Promise<Outbox> {
    const file = path.join(stateDir, OUTBOX_FILE);
    let state: OutboxState = { last_seq: 0, agent_id: null, pending: null };
    try {
      const v = JSON.parse(await readFile(file, 'utf8')) as Partial<OutboxState>;
      if (Number.isSafeInteger(v.last_seq)) {
        const p = v.pending;
        const pendingOk = p && typeof p.batch_id === 'string' && typeof p.agent_id === 'string' && [p.seq, p.first, p.last].every(Number.isSafeInteger);
        state = { last_seq: v.last_seq!, agent_id: typeof v.agent_id === 'string' ? v.agent_id : null, pending: pendingOk ? p : null };
      }
    } catch {
      // Missing or damaged: start over. The collector's REPLAY answer and enrollment's last_seq repair the sequence.
    }
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    return new Outbox(file, state);
  }

  async save(next: OutboxState): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(next)}\n`, 0o600);
    this.state = next;
  }
}
