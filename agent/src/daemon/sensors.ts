import { randomUUID } from 'node:crypto';
import type { Event, SensorHealth } from '@aiscout/protocol';
import type { Privacy } from '../aggregate/privacy.js';
import type { AgentConfig } from '../config/index.js';
import { DetectionAggregator, type Detection, type ObservationClassifier } from '../detect.js';
import { browserExtensions } from '../sensors/browser-extensions.js';
import { SensorHealthCounter } from '../sensors/health.js';
import { ideExtensions } from '../sensors/ide-extensions.js';
import { processes } from '../sensors/processes.js';
import type { Platform, SensorObservation, UserHome } from '../sensors/types.js';
import { mcpExtensionFields } from '../mcp/event-fields.js';
import { mcpServers } from '../sensors/mcp-servers.js';
import { LIMITS, validateEvent, type ExtensionEvent } from '@aiscout/protocol';
import { NetworkDaemonSensor } from './network-sensor-adapter.js';
import { OtlpSensor, UsagePipeline } from './otlp-adapter.js';

export type IntervalName = keyof AgentConfig['intervals'];

export interface SensorContext {
  classifier: ObservationClassifier;
  platform: Platform;
  homes: () => Promise<UserHome[]>;
  privacy: Privacy;
  config: AgentConfig;
  /** The aggregation window in force (config.window_seconds, or a test's override). */
  windowMs: number;
  /** A sensor interval in force (config.intervals, or a test's override). */
  intervalMs: (name: IntervalName) => number;
  /** How long after a window closed its usage is aggregated (the OTel export interval, plus slack). */
  usageGraceMs: number;
}

/** What one run of a sensor produced. */
export interface SensorRun {
  /** Detections go through the window aggregator. */
  detections?: Detection[];
  /** Finished events (already aggregated by the sensor) go straight to the spool. */
  events?: Event[];
  /** Called once the run's output is durably spooled (the usage reader moves its offsets then). */
  committed?: () => Promise<void>;
}

/** One sensor as the daemon schedules it. */
export interface DaemonSensor {
  /** Health name (the same as the one-shot scan's). */
  readonly name: string;
  readonly interval: IntervalName;
  /** Heavy sensors are skipped while the watchdog throttles. */
  readonly heavy: boolean;
  enabled(config: AgentConfig): boolean;
  run(ctx: SensorContext, health: SensorHealthCounter): Promise<SensorRun>;
  /** Drops in-memory state (watchdog restart, config reload). */
  reset?(): void;
  /** Sensors that keep their own cumulative counters report them here instead of per run. */
  cumulativeHealth?(): SensorHealth | null;
  /**
   * Long-lived part (a live capture, a listening server): started with the daemon (or when a reload
   * enables the sensor), never throws — a failure is the sensor's health (disabled with the reason).
   */
  start?(ctx: SensorContext): Promise<void>;
  /** Stops the long-lived part (drain, reload, watchdog restart); returns what it still held. */
  stop?(ctx: SensorContext): Promise<SensorRun>;
  /** The settings the long-lived part was started with: a reload that changes them restarts it. */
  restartKey?(config: AgentConfig): string;
}

async function detect(ctx: SensorContext, stream: AsyncGenerator<SensorObservation>): Promise<SensorRun> {
  const aggregator = new DetectionAggregator(ctx.classifier, ctx.platform);
  for await (const obs of stream) aggregator.add(obs);
  return { detections: aggregator.detections() };
}

const processSensor: DaemonSensor = {
  name: 'processes',
  interval: 'processes',
  heavy: false,
  enabled: (c) => c.sensors.processes,
  run: (ctx, health) => detect(ctx, processes({ platform: ctx.platform, health })),
};

const ideExtensionSensor: DaemonSensor = {
  name: 'ide-extensions',
  interval: 'extensions',
  heavy: true,
  enabled: (c) => c.sensors.ide_extensions,
  run: async (ctx, health) => detect(ctx, ideExtensions({ homes: await ctx.homes(), platform: ctx.platform, health })),
};

const browserExtensionSensor: DaemonSensor = {
  name: 'browser-extensions',
  interval: 'extensions',
  heavy: true,
  enabled: (c) => c.sensors.browser_extensions,
  run: async (ctx, health) => detect(ctx, browserExtensions({ homes: await ctx.homes(), platform: ctx.platform, health })),
};

/**
 * Usage logs: token counts read incrementally. Records wait in the shared usage pipeline until their
 * window closed plus the OTel export grace, so a session the OTLP receiver also reports is counted
 * once (OTel wins); offsets are saved only after the events are spooled.
 */
class UsageLogSensor implements DaemonSensor {
  readonly name = 'usage-logs';
  readonly interval = 'usage_logs' as const;
  readonly heavy = false;

  constructor(private readonly pipeline: UsagePipeline) {}

  enabled(c: AgentConfig): boolean {
    return c.sensors.usage_logs;
  }

  cumulativeHealth(): SensorHealth {
    // One counter for the reader's whole life: it counts across runs (and across watchdog restarts).
    return this.pipeline.logHealth.snapshot();
  }

  async run(ctx: SensorContext): Promise<SensorRun> {
    const reader = await this.pipeline.open(ctx.config.state_dir);
    const records = [];
    for await (const r of reader.scan({ homes: await ctx.homes() })) records.push(r);
    this.pipeline.add(records);
    return this.pipeline.closedWindows(ctx);
  }
}

/**
 * MCP servers and risky agent settings in AI tools' configs: an inventory, so one `extension`
 * event (item_kind mcp-server) per server per file per run, on the extension interval. Runs with
 * the IDE extension sensor's switch. Observations without a catalog tool are counted, not sent.
 */
const mcpServerSensor: DaemonSensor = {
  name: 'mcp-servers',
  interval: 'extensions',
  heavy: true,
  enabled: (c) => c.sensors.ide_extensions,
  run: async (ctx, health) => {
    const now = Date.now();
    const windowMs = ctx.config.window_seconds * 1000;
    const window = { window_start: new Date(Math.floor(now / windowMs) * windowMs).toISOString(), window_end: new Date(now).toISOString() };
    const rows = new Map<string, ExtensionEvent>();
    for await (const o of mcpServers({ homes: await ctx.homes(), platform: ctx.platform, health })) {
      if (o.tool === null) continue;
      const fields = mcpExtensionFields(o);
      const event: ExtensionEvent = {
        kind: 'extension',
        tool: o.tool,
        id: randomUUID(),
        ...window,
        user: ctx.privacy.user(o.user ?? 'system') || 'unknown',
        evidence: { matcher: 'mcp-server', value: fields.extension_id },
        count: 1,
        confidence: 1,
        candidates: [o.tool],
        ...fields,
        location: (ctx.privacy.path(fields.location) ?? fields.location).slice(0, LIMITS.path),
      };
      const key = JSON.stringify([event.tool, event.user, event.extension_id, event.location, event.ecosystem]);
      const same = rows.get(key);
      if (same) same.count += 1;
      else if (validateEvent(event).ok) rows.set(key, event);
      else health.drop();
    }
    return { events: [...rows.values()] };
  },
};

/**
 * Every sensor the daemon runs, in run order. The usage-log sensor and the OTLP receiver share one
 * usage pipeline (one dedup, one pending buffer); the network sensor and the OTLP receiver are
 * long-lived (started with the daemon, see DaemonSensor.start).
 */
export function defaultSensors(): DaemonSensor[] {
  const usage = new UsagePipeline();
  return [processSensor, ideExtensionSensor, browserExtensionSensor, mcpServerSensor, new UsageLogSensor(usage), new OtlpSensor(usage), new NetworkDaemonSensor()];
}

/** Cumulative health of one sensor across runs, in the wire shape. */
export class CumulativeHealth {
  private total: SensorHealth;

  constructor(name: string, enabled: boolean, reason: string | null) {
    this.total = { name, enabled, disabled_reason: reason, observations: 0, errors: { permission: 0, parse: 0, io: 0, vanished: 0, limit: 0, other: 0 }, dropped: 0 };
  }

  add(run: SensorHealth, cumulativeSource = false): void {
    const t = this.total;
    t.enabled = run.enabled;
    t.disabled_reason = run.disabled_reason;
    if (cumulativeSource) {
      t.observations = run.observations;
      t.dropped = run.dropped;
      t.errors = { ...run.errors };
      return;
    }
    t.observations += run.observations;
    t.dropped += run.dropped;
    for (const k of Object.keys(t.errors) as (keyof SensorHealth['errors'])[]) t.errors[k] += run.errors[k];
  }

  setEnabled(enabled: boolean, reason: string | null): void {
    this.total.enabled = enabled;
    this.total.disabled_reason = reason;
  }

  snapshot(): SensorHealth {
    return { ...this.total, errors: { ...this.total.errors } };
  }
}
