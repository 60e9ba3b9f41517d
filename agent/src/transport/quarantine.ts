import { mkdir, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../spool/fs-durable.js';

/** At most this many quarantined batches are kept on disk; older ones are deleted (and stay counted). */
export const QUARANTINE_KEEP = 50;

/**
 * Batches the collector will never accept (schema or validation errors) are moved here instead of
 * blocking the spool or vanishing: one JSON file per batch with the reason, for a person to look at.
 */
export async function quarantine(stateDir: string, batchId: string, reason: string, payloads: string[]): Promise<string> {
  const dir = path.join(stateDir, 'quarantine');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${batchId}.json`);
  await writeFileAtomic(file, `${JSON.stringify({ batch_id: batchId, reason, at: new Date().toISOString(), records: payloads })}\n`, 0o600);
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  for (const old of names.slice(0, Math.max(0, names.length - QUARANTINE_KEEP))) await unlink(path.join(dir, old)).catch(() => undefined);
  return file;
}
