/**
 * The daemon's usage path: the usage-log sensor and the local OTLP receiver feed one pipeline.
 *
 * - One UsageLogReader, opened once: its `dedup` is shared with the receiver, so a request seen in
 *   a log and in an OTel export counts once, and a session OTel reports drops its log figures.
 * - Records wait in a pending buffer until their window closed plus the OTel export grace, then
 *   `aggregateUsage` sees the log and OTel records of that window together (OTel wins whatever
 *   order they arrived in). See docs/usage-logs.md (Dedup) and docs/agent.md.
 * - The pending buffer is kept in `<state_dir>/usage-pending.json` (0600, atomic): the receiver
 *   answers 200 only once the records it got are on disk, and the reader's offsets move only
 *   after the records they cover are either spooled or in that file.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Event, SensorHealth } from '@aiscout/protocol';
import type { AgentConfig } from '../config/index.js';
import { startOtlpReceiver, type OtlpReceiver } from '../otlp/index.js';
import { SensorHealthCounter } from '../sensors/health.js';
import { UsageLogReader } from '../sensors/usage-logs.js';
import { writeFileAtomic } from '../spool/fs-durable.js';
import { aggregateUsage } from '../usage/aggregate.js';
import type { UsageRecord } from '../usage/types.js';
import type { DaemonSensor, SensorContext, SensorRun } from './sensors.js';

export const USAGE_PENDING_FILE = 'usage-pending.json';

/** Claude Code exports metrics every 60 s (events every 5 s): aggregate a window only this long after it closed. */
export const OTEL_EXPORT_GRACE_MS = 65_000;

export const USAGE_PIPELINE_LIMITS = {
  /** Records waiting for their window to close; more are dropped and counted. */
  pending: 200_000,
} as const;

/** The OTLP receiver is never bound anywhere but loopback: it has no authentication. */
export const OTLP_HOST = '127.0.0.1';

const SOURCES = new Set(['log', 'otel']);
const QUALITIES = new Set(['exact', 'undercount', 'partial']);

function isRecord(v: unknown): v is UsageRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  const num = (k: string) => typeof r[k] === 'number' && Number.isFinite(r[k]) && (r[k] as number) >= 0;
  return (
    typeof r.tool === 'string' && typeof r.user === 'string' && (r.session === null || typeof r.session === 'string') &&
    typeof r.request === 'string' && (r.model === null || typeof r.model === 'string') && typeof r.origin === 'string' &&
    SOURCES.has(r.source as string) && QUALITIES.has(r.quality as string) &&
    ['ts', 'tokens_in', 'tokens_out', 'tokens_cache_read', 'tokens_cache_write', 'requests'].every(num)
  );
}

/** The shared usage state of one daemon: reader (with the dedup) and records waiting for their window. */
export class UsagePipeline {
  /** Health of the log reader, across its whole life (the usage-logs sensor reports it). */
  readonly logHealth = new SensorHealthCounter('usage-logs');
  private reader: UsageLogReader | null = null;
  private opening: Promise<UsageLogReader> | null = null;
  private pending: UsageRecord[] = [];
  private stateDir = '';
  private persisting: Promise<void> = Promise.resolve();

  /** Opens the reader and loads the pending records once; later calls return the same reader. */
  open(stateDir: string): Promise<UsageLogReader> {
    if (this.reader) return Promise.resolve(this.reader);
    this.opening ??= (async () => {
      this.stateDir = stateDir;
      const reader = await UsageLogReader.open({ stateFile: path.join(stateDir, 'usage-logs-state.json'), health: this.logHealth });
      this.pending = await this.loadPending();
      this.reader = reader;
      return reader;
    })().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  private async loadPending(): Promise<UsageRecord[]> {
    let raw: string;
    try {
      raw = await readFile(path.join(this.stateDir, USAGE_PENDING_FILE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logHealth.fail(err);
      return [];
    }
    try {
      const body = JSON.parse(raw) as { version?: unknown; records?: unknown };
      if (body.version !== 1 || !Array.isArray(body.records)) throw new SyntaxError('not a pending file');
      const ok = body.records.filter(isRecord);
      for (let i = ok.length; i < body.records.length; i++) this.logHealth.count('parse');
      return ok.slice(0, USAGE_PIPELINE_LIMITS.pending);
    } catch {
      this.logHealth.count('parse');
      return [];
    }
  }

  /** Adds records (already admitted by the dedup); over the bound they are dropped and counted. */
  add(records: UsageRecord[]): void {
    for (const r of records) {
      if (this.pending.length >= USAGE_PIPELINE_LIMITS.pending) this.logHealth.drop();
      else this.pending.push(r);
    }
  }

  /** Writes the pending records to disk (serialised: the last write holds the latest state). */
  persist(): Promise<void> {
    const next = this.persisting.catch(() => undefined).then(() =>
      writeFileAtomic(path.join(this.stateDir, USAGE_PENDING_FILE), JSON.stringify({ version: 1, records: this.pending }), 0o600),
    );
    this.persisting = next;
    return next;
  }

  /**
   * Usage events for every window that closed at least `usageGraceMs` ago. The records stay pending
   * until `committed` (called once the events are spooled) removes them and saves the reader.
   */
  closedWindows(ctx: SensorContext): SensorRun {
    const reader = this.reader;
    const windowSeconds = Math.max(1, Math.round(ctx.windowMs / 1000));
    const windowMs = windowSeconds * 1000;
    const now = Date.now();
    const taken = this.pending.filter((r) => Math.floor(r.ts / windowMs) * windowMs + windowMs + ctx.usageGraceMs <= now);
    const sessionKey = ctx.config.privacy.pseudonym_key ?? undefined;
    const events: Event[] = aggregateUsage(taken, windowSeconds, { sessionKey }).map((u) => ({ ...u, id: randomUUID(), user: ctx.privacy.user(u.user) }));
    return {
      events,
      committed: async () => {
        if (taken.length > 0) {
          const gone = new Set(taken);
          this.pending = this.pending.filter((r) => !gone.has(r));
        }
        // Pending records first, offsets second: a crash in between reads a few lines again (the
        // dedup, saved with the offsets, is older), never loses them.
        await this.persist();
        await reader?.save();
      },
    };
  }
}

/**
 * The local OTLP/HTTP receiver as a daemon sensor: listens on 127.0.0.1:<otlp.port> from start to
 * stop; its records join the usage pipeline and leave as `usage` events (source otel, quality
 * exact) when their window closed. A port in use or a bind failure disables it with the reason.
 */
export class OtlpSensor implements DaemonSensor {
  readonly name = 'otlp';
  readonly interval = 'usage_logs' as const;
  readonly heavy = false;
  private readonly counter = new SensorHealthCounter('otlp');
  private receiver: OtlpReceiver | null = null;

  constructor(
    private readonly pipeline: UsagePipeline,
    private readonly host = OTLP_HOST,
  ) {}

  enabled(c: AgentConfig): boolean {
    return otlpSettings(c).enabled;
  }

  restartKey(c: AgentConfig): string {
    return JSON.stringify(otlpSettings(c));
  }

  cumulativeHealth(): SensorHealth {
    return this.counter.snapshot();
  }

  /** Where the receiver listens (null when it is not running). */
  get address(): { host: string; port: number } | null {
    return this.receiver ? { host: this.receiver.host, port: this.receiver.port } : null;
  }

  async start(ctx: SensorContext): Promise<void> {
    this.counter.enabled = true;
    this.counter.disabledReason = null;
    const settings = otlpSettings(ctx.config);
    try {
      const reader = await this.pipeline.open(ctx.config.state_dir);
      // As a service (root) the agent's own account says nothing about who sent a request.
      const defaultUser = process.getuid?.() === 0 ? 'unknown' : os.userInfo().username || 'unknown';
      this.receiver = await startOtlpReceiver({
        host: this.host,
        port: settings.port,
        defaultUser,
        dedup: reader.dedup,
        health: this.counter,
        onRecords: async (records) => {
          this.pipeline.add(records);
          await this.pipeline.persist(); // answer 200 only once the records are on disk
        },
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'EADDRINUSE' ? `port ${settings.port} on ${this.host} is already in use` : e.message;
      this.counter.disable(`OTLP receiver not started: ${why}`.slice(0, 256));
    }
  }

  async stop(): Promise<SensorRun> {
    const r = this.receiver;
    this.receiver = null;
    await r?.close();
    return {};
  }

  async run(ctx: SensorContext): Promise<SensorRun> {
    // The usage-log sensor also emits closed windows; this covers usage_logs switched off.
    await this.pipeline.open(ctx.config.state_dir);
    return this.pipeline.closedWindows(ctx);
  }
}

/** The OTLP settings, with defaults for a last good configuration saved before they existed. */
export function otlpSettings(c: AgentConfig): { enabled: boolean; port: number } {
  return { enabled: c.otlp?.enabled ?? true, port: c.otlp?.port ?? 4318 };
}
