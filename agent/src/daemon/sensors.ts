import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Event, SensorHealth } from '@aiscout/protocol';
import type { Privacy } from '../aggregate/privacy.js';
import type { AgentConfig } from '../config/index.js';
import { DetectionAggregator, type Detection, type ObservationClassifier } from '../detect.js';
import { browserExtensions } from '../sensors/browser-extensions.js';
import { SensorHealthCounter } from '../sensors/health.js';
import { ideExtensions } from '../sensors/ide-extensions.js';
import { processes } from '../sensors/processes.js';
import type { Platform, SensorObservation, UserHome } from '../sensors/types.js';
import { UsageLogReader } from '../sensors/usage-logs.js';
import { aggregateUsage } from '../usage/aggregate.js';
import { mcpExtensionFields } from '../mcp/event-fields.js';
import { mcpServers } from '../sensors/mcp-servers.js';
import { LIMITS, validateEvent, type ExtensionEvent } from '@aiscout/protocol';

export type IntervalName = keyof AgentConfig['intervals'];

export interface SensorContext {
  classifier: ObservationClassifier;
  platform: Platform;
  homes: () => Promise<UserHome[]>;
  privacy: Privacy;
  config: AgentConfig;
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

/** Usage logs: token counts read incrementally; offsets are saved only after the events are spooled. */
class UsageLogSensor implements DaemonSensor {
  readonly name = 'usage-logs';
  readonly interval = 'usage_logs' as const;
  readonly heavy = false;
  private reader: UsageLogReader | null = null;
  private counter = new SensorHealthCounter('usage-logs');

  enabled(c: AgentConfig): boolean {
    return c.sensors.usage_logs;
  }

  reset(): void {
    this.reader = null;
  }

  cumulativeHealth(): SensorHealth {
    return this.counter.snapshot();
  }

  async run(ctx: SensorContext): Promise<SensorRun> {
    // One counter for the reader's whole life: it counts across runs (and across watchdog restarts).
    this.reader ??= await UsageLogReader.open({ stateFile: path.join(ctx.config.state_dir, 'usage-logs-state.json'), health: this.counter });
    const reader = this.reader;
    const records = [];
    for await (const r of reader.scan({ homes: await ctx.homes() })) records.push(r);
    const sessionKey = ctx.config.privacy.pseudonym_key ?? undefined;
    const events: Event[] = aggregateUsage(records, ctx.config.window_seconds, { sessionKey }).map((u) => ({ ...u, id: randomUUID(), user: ctx.privacy.user(u.user) }));
    return { events, committed: () => reader.save() };
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
 * Every sensor the daemon runs, in run order.
 * TODO(network): the network sensor (network/network-sensor.ts: a long-running capture generator)
 * is being finished by other work; wire it here once its observation → NetworkEvent mapping and
 * its flush per intervals.network are settled. Until then it is not scheduled and not reported.
 */
export function defaultSensors(): DaemonSensor[] {
  return [processSensor, ideExtensionSensor, browserExtensionSensor, mcpServerSensor, new UsageLogSensor()];
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
