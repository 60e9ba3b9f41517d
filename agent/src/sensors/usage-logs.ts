import { open, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsageDedup, type DedupLimits } from '../usage/dedup.js';
import { READ_LIMITS, freshState, readDocument, readNewLines, revalidate, type Budget, type ReadLimits } from '../usage/reader.js';
import { DEFAULT_USAGE_SOURCES, FORMATS, globFiles, rootedPattern, type UsageLogSource } from '../usage/sources.js';
import { loadState, saveState, type FileState, type UsageState } from '../usage/state.js';
import type { ParsedUsage, UsageRecord } from '../usage/types.js';
import { SensorHealthCounter } from './health.js';
import type { UserHome } from './types.js';

export interface UsageLogLimits extends ReadLimits {
  /** Files considered per source and home. */
  maxFiles: number;
  /** Folder depth a `**` may descend. */
  maxDepth: number;
  /** Siblings looked at when searching for a file renamed aside. */
  maxRenameCandidates: number;
}

export const USAGE_LOG_LIMITS: UsageLogLimits = {
  ...READ_LIMITS,
  maxFiles: 20_000,
  maxDepth: 8,
  maxRenameCandidates: 2_000,
};

export interface UsageScanOptions {
  homes: UserHome[];
  sources?: UsageLogSource[];
  /** Environment whose relocation variables (CLAUDE_CONFIG_DIR, CODEX_HOME) apply to `envHome`. */
  env?: NodeJS.ProcessEnv;
  /** The home the environment belongs to (the agent's own user); default os.homedir(). */
  envHome?: string;
  /** Records older than this (ms since epoch) are read past but not reported (first-run backfill bound). */
  notBefore?: number;
}

export interface UsageLogReaderOptions {
  /** JSON file holding offsets and the dedup memory; written atomically by save(). */
  stateFile: string;
  health?: SensorHealthCounter;
  limits?: Partial<UsageLogLimits>;
  dedupLimits?: Partial<DedupLimits>;
  now?: () => number;
}

async function identity(file: string): Promise<{ id: string; size: number; mtimeMs: number } | null> {
  const st = await stat(file, { bigint: true });
  if (!st.isFile()) return null;
  return { id: `${st.dev}:${st.ino}`, size: Number(st.size), mtimeMs: Number(st.mtimeMs) };
}

/**
 * The usage-logs sensor: reads AI tools' local logs incrementally and yields one UsageRecord per
 * model request (or per growth of one already counted), never any text. Keeps its place per file
 * identity, follows files renamed aside, restarts truncated or replaced files, and drops what the
 * shared dedup has already counted (including sessions OpenTelemetry reports better).
 *
 * Call `save()` once the yielded records are safely spooled: offsets only move on disk then.
 */
export class UsageLogReader {
  readonly health: SensorHealthCounter;
  readonly limits: UsageLogLimits;

  private constructor(
    private readonly stateFile: string,
    private readonly state: UsageState,
    readonly dedup: UsageDedup,
    health: SensorHealthCounter,
    limits: UsageLogLimits,
  ) {
    this.health = health;
    this.limits = limits;
  }

  static async open(options: UsageLogReaderOptions): Promise<UsageLogReader> {
    const health = options.health ?? new SensorHealthCounter('usage-logs');
    let state: UsageState;
    try {
      const loaded = await loadState(options.stateFile);
      if (loaded.damaged) health.count('parse');
      state = loaded.state;
    } catch (err) {
      health.fail(err);
      state = { version: 1, files: {}, dedup: { seen: [], otel: [] } };
    }
    const dedup = UsageDedup.restore(state.dedup, options.dedupLimits, options.now);
    return new UsageLogReader(options.stateFile, state, dedup, health, { ...USAGE_LOG_LIMITS, ...options.limits });
  }

  /** Persists offsets and the dedup memory (atomic replace). */
  async save(): Promise<void> {
    this.state.dedup = this.dedup.snapshot();
    await saveState(this.stateFile, this.state);
  }

  /** Files known to the state (for tests and the health page). */
  trackedFiles(): FileState[] {
    return Object.values(this.state.files);
  }

  async *scan(options: UsageScanOptions): AsyncGenerator<UsageRecord> {
    const sources = options.sources ?? DEFAULT_USAGE_SOURCES;
    const env = options.env ?? process.env;
    const envHome = path.resolve(options.envHome ?? os.homedir());
    const budget: Budget = { remaining: this.limits.maxBytesPerScan };
    const visited = new Set<string>();

    for (const home of options.homes) {
      const ownEnv = path.resolve(home.dir) === envHome;
      const roots = new Set<string>();
      for (const source of sources) {
        const envValue = ownEnv && source.env ? env[source.env] : undefined;
        const parts = rootedPattern(source.pattern, home.dir, envValue);
        const key = `${source.format.name}|${parts.join('/')}`;
        if (roots.has(key)) continue;
        roots.add(key);
        const { files, truncated } = await globFiles(parts, this.limits, (err) => this.health.fail(err));
        if (truncated) this.health.drop();
        for (const file of files) {
          yield* this.readFile(file, home.user, source, budget, visited, options.notBefore ?? -Infinity);
        }
      }
    }
    yield* this.followRenamed(visited, budget, options.notBefore ?? -Infinity);
  }

  private async *readFile(
    file: string,
    user: string,
    source: UsageLogSource,
    budget: Budget,
    visited: Set<string>,
    notBefore: number,
  ): AsyncGenerator<UsageRecord> {
    let fh;
    let parsed: ParsedUsage[] = [];
    let next: FileState;
    let id: string;
    try {
      const ident = await identity(file);
      if (!ident || visited.has(ident.id)) return;
      id = ident.id;
      visited.add(id);
      fh = await open(file, 'r');
      // Stat through the open handle: the size that goes with the bytes we read.
      const st = await fh.stat();
      const size = st.size;
      const known = this.state.files[id];
      const format = source.format;
      const owner = { user, tool: source.tool, format: format.name };
      // A known identity under another owner or format is a different file that reused the inode.
      const same = known && known.user === user && known.format === format.name;
      next = same ? { ...known, path: file, ctx: { ...known.ctx } } : freshState(file, owner);
      const problem = (p: 'parse' | 'limit') => this.health.count(p);
      if (format.kind === 'lines') {
        next = (await revalidate(fh, next, size)).entry;
        next.path = file;
        parsed = await readNewLines(fh, size, next, format, budget, this.limits, problem);
      } else {
        parsed = await readDocument(fh, size, st.mtimeMs, next, format, budget, this.limits, problem);
      }
    } catch (err) {
      this.health.fail(err);
      return;
    } finally {
      await fh?.close();
    }
    for (const p of parsed) {
      if (p.ts < notBefore) continue;
      const record: UsageRecord = { ...p, user, source: 'log', origin: source.format.name };
      const { record: admitted } = this.dedup.admit(record);
      if (!admitted) continue;
      this.health.observed();
      yield admitted;
    }
    this.state.files[id] = next;
  }

  /**
   * Known files not found by the globs this scan: renamed aside (rotation) or deleted. A renamed
   * file is found again by its identity among its old folder's entries and read to its end.
   */
  private async *followRenamed(visited: Set<string>, budget: Budget, notBefore: number): AsyncGenerator<UsageRecord> {
    const byDir = new Map<string, string[]>();
    for (const [id, fs] of Object.entries(this.state.files)) {
      if (visited.has(id)) continue;
      const dir = path.dirname(fs.path);
      byDir.set(dir, [...(byDir.get(dir) ?? []), id]);
    }
    for (const [dir, ids] of byDir) {
      const wanted = new Set(ids);
      let names: string[] = [];
      try {
        names = (await readdir(dir)).slice(0, this.limits.maxRenameCandidates);
      } catch {
        names = [];
      }
      for (const name of names) {
        if (wanted.size === 0) break;
        const full = path.join(dir, name);
        let ident;
        try {
          ident = await identity(full);
        } catch {
          continue;
        }
        if (!ident || !wanted.has(ident.id)) continue;
        wanted.delete(ident.id);
        const known = this.state.files[ident.id];
        const format = known ? FORMATS[known.format] : undefined;
        if (known && format) yield* this.readFile(full, known.user, { tool: known.tool, pattern: '', format }, budget, visited, notBefore);
      }
      // Gone for good: forget them (the dedup still remembers what they held).
      for (const id of wanted) delete this.state.files[id];
    }
  }
}

/** One scan with a fresh reader: load state, read, save. For callers that keep no reader around. */
export async function* usageLogs(options: UsageLogReaderOptions & UsageScanOptions): AsyncGenerator<UsageRecord> {
  const reader = await UsageLogReader.open(options);
  yield* reader.scan(options);
  await reader.save();
}
