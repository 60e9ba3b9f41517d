/**
 * The network sensor as a daemon sensor. The live capture (network/network-sensor.ts) is
 * long-lived: started with the daemon, it yields one observation per (process, server name,
 * transport, port) every `intervals.network`. Each run classifies the names it collected: only names
 * the catalog says are AI become `network` events, one per (tool, user, server name, name source,
 * process, window) with bytes, connections and byte-based token estimates summed; every other name
 * stays on the endpoint (it was counted as an observation, nothing more).
 *
 * Without `cap`/libpcap or without permission the capture reports itself disabled with the reason
 * (health), and the daemon runs on.
 */
import { randomUUID } from 'node:crypto';
import { LIMITS, validateEvent, type NetworkEvent, type SensorHealth } from '@aiscout/protocol';
import type { AgentConfig } from '../config/index.js';
import type { NetworkObservation } from '../network/flows.js';
import type { CapLoad } from '../network/live-capture.js';
import { networkObservations } from '../network/network-sensor.js';
import { SensorHealthCounter } from '../sensors/health.js';
import type { DaemonSensor, SensorContext, SensorRun } from './sensors.js';

export const NETWORK_ADAPTER_LIMITS = {
  /** Observations waiting for the next run; more are dropped and counted. */
  buffered: 50_000,
  /** Event rows held for windows not yet closed. */
  rows: 20_000,
} as const;

export interface NetworkSettings {
  interfaces: string[] | undefined;
  dns_ports: number[];
  tls_ports: number[];
  quic_ports: number[];
  client_data: 'all' | 'handshake-start';
  buffer_bytes: number;
}

/** The network settings, with defaults for a last good configuration saved before they existed. */
export function networkSettings(c: AgentConfig): NetworkSettings {
  const n = c.network as Partial<NetworkSettings> | undefined;
  return {
    interfaces: n?.interfaces,
    dns_ports: n?.dns_ports ?? [53],
    tls_ports: n?.tls_ports ?? [443],
    quic_ports: n?.quic_ports ?? [443],
    client_data: n?.client_data ?? 'all',
    buffer_bytes: n?.buffer_bytes ?? 16 * 1024 * 1024,
  };
}

export interface NetworkDaemonSensorOptions {
  /** Tests: force the capture binding (e.g. one that is unavailable). */
  cap?: CapLoad;
}

interface Row {
  event: NetworkEvent;
  windowEndMs: number;
}

export class NetworkDaemonSensor implements DaemonSensor {
  readonly name = 'network';
  readonly interval = 'network' as const;
  readonly heavy = false;
  private readonly counter = new SensorHealthCounter('network');
  private abort: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private buffered: NetworkObservation[] = [];
  private rows = new Map<string, Row>();

  constructor(private readonly options: NetworkDaemonSensorOptions = {}) {}

  enabled(c: AgentConfig): boolean {
    return c.sensors.network;
  }

  restartKey(c: AgentConfig): string {
    return JSON.stringify(networkSettings(c));
  }

  cumulativeHealth(): SensorHealth {
    return this.counter.snapshot();
  }

  /** Whether the capture loop is running (false once it stopped or reported itself disabled). */
  get running(): boolean {
    return this.loop !== null && this.counter.enabled;
  }

  async start(ctx: SensorContext): Promise<void> {
    if (this.loop) return;
    this.counter.enabled = true;
    this.counter.disabledReason = null;
    const s = networkSettings(ctx.config);
    const abort = new AbortController();
    this.abort = abort;
    const observations = networkObservations({
      platform: ctx.platform,
      health: this.counter,
      interfaces: s.interfaces,
      ports: { dns: s.dns_ports, tls: s.tls_ports, quic: s.quic_ports, clientData: s.client_data },
      bufferBytes: s.buffer_bytes,
      windowMs: ctx.intervalMs('network'),
      signal: abort.signal,
      cap: this.options.cap,
    });
    // The generator opens the capture synchronously on its first step, so health says at once
    // whether it runs (disabled with the reason when cap, libpcap or the permission is missing).
    this.loop = (async () => {
      try {
        for await (const o of observations) {
          if (this.buffered.length >= NETWORK_ADAPTER_LIMITS.buffered) this.counter.drop();
          else this.buffered.push(o);
        }
      } catch (err) {
        this.counter.fail(err);
      }
    })();
    await new Promise((r) => setImmediate(r));
  }

  async stop(ctx: SensorContext): Promise<SensorRun> {
    const loop = this.loop;
    this.abort?.abort();
    this.abort = null;
    this.loop = null;
    // The generator flushes its current window when aborted, then closes the capture.
    if (loop) await Promise.race([loop, new Promise((r) => setTimeout(r, 3000).unref())]);
    this.fold(ctx);
    return { events: this.take(() => true) };
  }

  reset(): void {
    // The capture keeps running (the watchdog restarts it through stop/start); nothing else to drop.
  }

  async run(ctx: SensorContext): Promise<SensorRun> {
    this.fold(ctx);
    // A window is sent once it closed and the capture had one flush interval to report into it.
    const now = Date.now();
    const lag = ctx.intervalMs('network');
    return { events: this.take((r) => r.windowEndMs + lag <= now) };
  }

  private take(ready: (r: Row) => boolean): NetworkEvent[] {
    const out: NetworkEvent[] = [];
    for (const [key, row] of this.rows) {
      if (!ready(row)) continue;
      this.rows.delete(key);
      if (validateEvent(row.event).ok) out.push(row.event);
      else this.counter.drop();
    }
    return out;
  }

  /** Classifies the buffered observations and sums the AI ones into rows per window. */
  private fold(ctx: SensorContext): void {
    const buffered = this.buffered;
    this.buffered = [];
    const verdicts = new Map<string, ReturnType<SensorContext['classifier']['classify']>>();
    const windowMs = ctx.windowMs;
    for (const o of buffered) {
      let verdict = verdicts.get(o.server_name);
      if (!verdict) {
        verdict = ctx.classifier.classify({ type: 'host', name: o.server_name });
        verdicts.set(o.server_name, verdict);
      }
      const tool = verdict.tool;
      if (tool === null) continue; // not AI: never leaves the machine
      // The observation's window ends when the capture flushed it; it belongs to the daemon window it ended in.
      const startMs = Math.floor((Date.parse(o.window_end) - 1) / windowMs) * windowMs;
      const user = ctx.privacy.user(o.user ?? 'unknown') || 'unknown';
      const exe = o.process_exe === null ? null : (ctx.privacy.path(o.process_exe) ?? o.process_exe).slice(0, LIMITS.path);
      const serverName = o.server_name.slice(0, LIMITS.name);
      const key = JSON.stringify([tool, user, serverName, o.name_source, exe, startMs]);
      const row = this.rows.get(key);
      if (row) {
        const e = row.event;
        e.bytes_up += o.bytes_up;
        e.bytes_down += o.bytes_down;
        e.connections += o.connections;
        e.est_tokens_in += o.est_tokens_in;
        e.est_tokens_out += o.est_tokens_out;
        e.count += 1;
        e.ech ||= o.ech;
        continue;
      }
      if (this.rows.size >= NETWORK_ADAPTER_LIMITS.rows) {
        this.counter.drop();
        continue;
      }
      this.rows.set(key, {
        windowEndMs: startMs + windowMs,
        event: {
          kind: 'network',
          tool,
          id: randomUUID(),
          window_start: new Date(startMs).toISOString(),
          window_end: new Date(startMs + windowMs).toISOString(),
          user,
          evidence: { matcher: 'host', value: serverName },
          count: 1,
          confidence: verdict.confidence,
          candidates: verdict.candidates.length > 0 ? verdict.candidates : [tool],
          server_name: serverName,
          name_source: o.name_source,
          // Rows of one (tool, user, name, source, process) on several ports keep the first one seen.
          transport: o.transport,
          dst_port: o.dst_port,
          process_exe: exe,
          bytes_up: o.bytes_up,
          bytes_down: o.bytes_down,
          connections: o.connections,
          est_tokens_in: o.est_tokens_in,
          est_tokens_out: o.est_tokens_out,
          ech: o.ech,
        },
      });
    }
  }
}
