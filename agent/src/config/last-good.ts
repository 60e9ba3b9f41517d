import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../spool/fs-durable.js';
import type { AgentConfig } from './schema.js';

export const LAST_GOOD_FILE = 'last-good-config.json';

interface Saved {
  version: 1;
  saved_at: string;
  source: string;
  config: AgentConfig;
}

/**
 * The last configuration that loaded without errors, kept in the state directory so an invalid
 * push from the MDM does not stop the agent. It holds the resolved secrets (the agent needs them
 * to enroll again), so it is written with mode 0600 in a directory only the agent reads.
 */
export async function saveLastGood(path: string, config: AgentConfig, source: string): Promise<void> {
  const previous = await loadLastGood(path);
  if (previous && JSON.stringify(previous.config) === JSON.stringify(config) && previous.source === source) return;
  const body: Saved = { version: 1, saved_at: new Date().toISOString(), source, config };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${JSON.stringify(body, null, 2)}\n`, 0o600);
}

export async function loadLastGood(path: string): Promise<{ config: AgentConfig; source: string; savedAt: string } | null> {
  let raw: Partial<Saved>;
  try {
    raw = JSON.parse(await readFile(path, 'utf8')) as Partial<Saved>;
  } catch {
    return null;
  }
  const c = raw.config as Partial<AgentConfig> | undefined;
  if (raw.version !== 1 || !c || typeof c.collector_url !== 'string' || typeof c.enrollment_secret !== 'string' || typeof c.state_dir !== 'string') {
    return null;
  }
  return { config: c as AgentConfig, source: String(raw.source ?? 'unknown'), savedAt: String(raw.saved_at ?? '') };
}

