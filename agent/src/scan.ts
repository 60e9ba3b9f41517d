import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { SensorHealth } from '@aiscout/protocol';
import { DetectionAggregator, type Detection, type ObservationClassifier } from './detect.js';
import { mcpExtensionFields } from './mcp/event-fields.js';
import type { McpFlag, McpHost, McpObservation, McpScope, McpServerObservation } from './mcp/types.js';
import { browserExtensions } from './sensors/browser-extensions.js';
import { SensorHealthCounter } from './sensors/health.js';
import { discoverHomes } from './sensors/homes.js';
import { ideExtensions } from './sensors/ide-extensions.js';
import { mcpServers } from './sensors/mcp-servers.js';
import { processes } from './sensors/processes.js';
import { currentPlatform, type Platform, type SensorObservation, type UserHome } from './sensors/types.js';
import { UsageLogReader, type UsageLogLimits } from './sensors/usage-logs.js';
import type { UsageRecord } from './usage/types.js';

/** Every sensor the one-shot scan can run, in the order it runs them. */
export const SENSOR_NAMES = ['processes', 'ide-extensions', 'browser-extensions', 'usage-logs', 'mcp-servers'] as const;
export type SensorName = (typeof SENSOR_NAMES)[number];

export function isSensorName(name: string): name is SensorName {
  return (SENSOR_NAMES as readonly string[]).includes(name);
}

export interface ScanOptions {
  classifier: ObservationClassifier;
  /** Homes to read; every user's when privileged, else the current user's. */
  homes?: UserHome[];
  platform?: Platform;
  /** Sensors to run (default: all); they always run in SENSOR_NAMES order. */
  sensors?: readonly SensorName[];
  usage?: {
    /** Environment whose CLAUDE_CONFIG_DIR / CODEX_HOME apply to `envHome` (default process.env). */
    env?: NodeJS.ProcessEnv;
    /** The home that environment belongs to (default os.homedir()). */
    envHome?: string;
    limits?: Partial<UsageLogLimits>;
  };
  mcp?: {
    /** Also read the machine-wide (managed) config files (default true). */
    managed?: boolean;
    /** Folder the machine-wide paths are under (default `/` or the system drive); tests use a temp folder. */
    systemRoot?: string;
  };
}

/** Token usage of one tool, user and model, summed over every local log record the scan read. */
export interface UsageRow {
  kind: 'usage';
  tool: string;
  user: string;
  model: string | null;
  tokens_in: number;
  tokens_out: number;
  tokens_cache_read: number;
  tokens_cache_write: number;
  requests: number;
  /** ISO times of the earliest and latest record. */
  first_seen: string;
  last_seen: string;
  source: UsageRecord['source'];
  /** 'undercount' where the tool's log is known to miss requests (Claude Code), else 'exact' / 'partial'. */
  quality: UsageRecord['quality'];
  /** The log format the figures came from (claude-code-jsonl, codex-jsonl...). */
  origin: string;
}

/**
 * One MCP server declared in one config file: the sensor's observation as the scan shows it.
 * Names and identities only: never env values or args.
 */
export type McpServerRow = Pick<
  McpServerObservation,
  'ecosystem' | 'name' | 'transport' | 'command' | 'package' | 'version' | 'host' | 'env_keys' | 'header_keys' | 'scope' | 'location' | 'enabled' | 'flags'
> & {
  kind: 'mcp-server';
  tool: string;
  /** The home's user; 'system' for machine-wide (managed) files. */
  user: string;
  /** URL host for remote servers (or the remote a stdio proxy reaches), else the command's basename. */
  target: string | null;
  /** What the server is across users and files (package, else host, else command, else name). */
  identity: string;
};

/** A host-tool setting that matters for risk (permission bypass, blanket auto-approval). */
export interface AgentSettingRow {
  kind: 'agent-setting';
  tool: string;
  ecosystem: McpHost;
  user: string;
  /** The setting and the value that triggered it, e.g. `permissions.defaultMode=bypassPermissions`. */
  setting: string;
  scope: McpScope;
  location: string;
  flags: McpFlag[];
}

export interface ScanResult {
  detections: Detection[];
  /** Filled by the usage-logs sensor; empty when it did not run. */
  usage: UsageRow[];
  /** Filled by the mcp-servers sensor; empty when it did not run. */
  mcp_servers: McpServerRow[];
  agent_settings: AgentSettingRow[];
  sensors: SensorHealth[];
  /** Observations of the classified sensors (processes, extensions). */
  observations: number;
  unmatched: number;
  homes: number;
  catalog_version: string;
  duration_ms: number;
}

type DetectionSensor = 'processes' | 'ide-extensions' | 'browser-extensions';

function sensorStream(name: DetectionSensor, homes: UserHome[], platform: Platform, health: SensorHealthCounter): AsyncGenerator<SensorObservation> {
  switch (name) {
    case 'processes':
      return processes({ platform, health });
    case 'ide-extensions':
      return ideExtensions({ homes, platform, health });
    case 'browser-extensions':
      return browserExtensions({ homes, platform, health });
  }
}

/** Sums usage records per tool, user, model, source, quality and log format. */
class UsageTotals {
  private readonly rows = new Map<string, UsageRow & { firstMs: number; lastMs: number }>();

  add(r: UsageRecord): void {
    const key = JSON.stringify([r.tool, r.user, r.model, r.source, r.quality, r.origin]);
    let row = this.rows.get(key);
    if (!row) {
      row = {
        kind: 'usage',
        tool: r.tool,
        user: r.user,
        model: r.model,
        tokens_in: 0,
        tokens_out: 0,
        tokens_cache_read: 0,
        tokens_cache_write: 0,
        requests: 0,
        first_seen: '',
        last_seen: '',
        source: r.source,
        quality: r.quality,
        origin: r.origin,
        firstMs: r.ts,
        lastMs: r.ts,
      };
      this.rows.set(key, row);
    }
    row.tokens_in += r.tokens_in;
    row.tokens_out += r.tokens_out;
    row.tokens_cache_read += r.tokens_cache_read;
    row.tokens_cache_write += r.tokens_cache_write;
    row.requests += r.requests;
    row.firstMs = Math.min(row.firstMs, r.ts);
    row.lastMs = Math.max(row.lastMs, r.ts);
  }

  /** Rows sorted by tool, user, then model, so output is stable. */
  result(): UsageRow[] {
    return [...this.rows.values()]
      .map(({ firstMs, lastMs, ...row }) => ({ ...row, first_seen: new Date(firstMs).toISOString(), last_seen: new Date(lastMs).toISOString() }))
      .sort((a, b) => a.tool.localeCompare(b.tool) || a.user.localeCompare(b.user) || (a.model ?? '').localeCompare(b.model ?? '') || a.origin.localeCompare(b.origin));
  }
}

/** Passes over the logs at most (each reads up to the reader's per-scan byte budget, 64 MiB by default). */
const MAX_USAGE_PASSES = 16;

/**
 * Reads every usage log from its start, keeping offsets in memory only: the reader is opened on a
 * state path that does not exist (so it starts empty) and save() is never called, so a one-shot scan
 * leaves no file behind and does not move the daemon's offsets. The reader caps bytes per pass;
 * passes repeat (same reader, offsets in memory) until one makes no progress.
 */
async function scanUsage(homes: UserHome[], health: SensorHealthCounter, options: ScanOptions['usage'] = {}): Promise<UsageRow[]> {
  const stateFile = path.join(os.tmpdir(), `aiscout-scan-never-written-${randomUUID()}`, 'usage-state.json');
  const reader = await UsageLogReader.open({ stateFile, health, limits: options.limits });
  const totals = new UsageTotals();
  const progress = () => reader.trackedFiles().reduce((sum, f) => sum + f.offset + f.size, 0) + reader.trackedFiles().length;
  for (let pass = 1; ; pass += 1) {
    const before = progress();
    for await (const record of reader.scan({ homes, env: options.env, envHome: options.envHome })) totals.add(record);
    if (progress() === before) break;
    if (pass >= MAX_USAGE_PASSES) {
      health.count('limit');
      break;
    }
  }
  return totals.result();
}

function mcpRow(o: McpObservation): McpServerRow | AgentSettingRow {
  const tool = o.tool ?? o.ecosystem;
  const user = o.user ?? 'system';
  if (o.type === 'agent-setting') {
    return { kind: 'agent-setting', tool, ecosystem: o.ecosystem, user, setting: o.setting, scope: o.scope, location: o.location, flags: [...o.flags] };
  }
  return {
    kind: 'mcp-server',
    tool,
    ecosystem: o.ecosystem,
    user,
    name: o.name,
    transport: o.transport,
    target: o.host ?? o.command,
    command: o.command,
    package: o.package,
    version: o.version,
    host: o.host,
    identity: mcpExtensionFields(o).extension_id,
    env_keys: [...o.env_keys],
    header_keys: [...o.header_keys],
    scope: o.scope,
    location: o.location,
    enabled: o.enabled,
    flags: [...o.flags],
  };
}

async function scanMcp(homes: UserHome[], platform: Platform, health: SensorHealthCounter, options: ScanOptions['mcp'] = {}) {
  const servers: McpServerRow[] = [];
  const settings: AgentSettingRow[] = [];
  for await (const o of mcpServers({ homes, platform, health, managed: options.managed ?? true, systemRoot: options.systemRoot })) {
    const row = mcpRow(o);
    if (row.kind === 'mcp-server') servers.push(row);
    else settings.push(row);
  }
  return { servers, settings };
}

/** Runs the sensors once, one after the other, and returns what they found and each sensor's health. */
export async function scanOnce(options: ScanOptions): Promise<ScanResult> {
  const started = performance.now();
  const platform = options.platform ?? currentPlatform();
  const homes = options.homes ?? (await discoverHomes({ platform }));
  const aggregator = new DetectionAggregator(options.classifier, platform);
  const wanted = new Set(options.sensors ?? SENSOR_NAMES);
  const sensors: SensorHealth[] = [];
  let usage: UsageRow[] = [];
  let mcp: { servers: McpServerRow[]; settings: AgentSettingRow[] } = { servers: [], settings: [] };
  let observations = 0;
  for (const name of SENSOR_NAMES.filter((n) => wanted.has(n))) {
    const health = new SensorHealthCounter(name);
    try {
      if (name === 'usage-logs') usage = await scanUsage(homes, health, options.usage);
      else if (name === 'mcp-servers') mcp = await scanMcp(homes, platform, health, options.mcp);
      else {
        for await (const obs of sensorStream(name, homes, platform, health)) {
          observations += 1;
          aggregator.add(obs);
        }
      }
    } catch (err) {
      // A sensor bug must not cost the other sensors their turn: count it and move on.
      health.count('other');
      health.disable(`sensor failed: ${(err as Error).message}`.slice(0, 200));
    }
    sensors.push(health.snapshot());
  }
  return {
    detections: aggregator.detections(),
    usage,
    mcp_servers: mcp.servers,
    agent_settings: mcp.settings,
    sensors,
    observations,
    unmatched: aggregator.unmatched,
    homes: homes.length,
    catalog_version: options.classifier.version,
    duration_ms: Math.round(performance.now() - started),
  };
}
