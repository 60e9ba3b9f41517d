import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { AgentEvent, Event, SensorHealth } from '@aiscout/protocol';
import { defaultClassifier } from '@aiscout/signatures';
import { Privacy } from '../aggregate/privacy.js';
import { WindowAggregator } from '../aggregate/window.js';
import { formatIssues, type AgentConfig, type ConfigLoadResult } from '../config/index.js';
import type { ObservationClassifier } from '../detect.js';
import { ensureEnrolled, markRevoked, type IdentityState } from '../identity/enroll.js';
import { hostFacts } from '../identity/host.js';
import { SensorHealthCounter } from '../sensors/health.js';
import { discoverHomes } from '../sensors/homes.js';
import { currentPlatform, type Platform, type UserHome } from '../sensors/types.js';
import { Spool } from '../spool/index.js';
import { writeStatus, type AgentStatus, type DeliveryStatus } from '../status/status.js';
import { Backoff } from '../transport/backoff.js';
import { DELIVERY_LIMITS, Delivery, type DeliveryLimits, type Envelope } from '../transport/delivery.js';
import { CollectorClient } from '../transport/http.js';
import { Outbox } from '../transport/outbox.js';
import { Watchdog, sampleSelf, type ResourceSample } from '../watchdog/watchdog.js';
import { Logger } from './log.js';
import { OTEL_EXPORT_GRACE_MS } from './otlp-adapter.js';
import { CumulativeHealth, defaultSensors, type DaemonSensor, type IntervalName, type SensorContext } from './sensors.js';
import { AGENT_VERSION } from './version.js';

/** Overrides of the configured timings, for tests and the benchmark (the configuration's minimums are for fleets). */
export interface DaemonTiming {
  windowMs?: number;
  heartbeatMs?: number;
  intervalsMs?: Partial<Record<IntervalName, number>>;
  /** Delay before each sensor's first run (default: a random 0–5 s, so a fleet reboot does not scan in step). */
  firstRunMs?: number;
  watchdogMs?: number;
  /** Longest wait between delivery attempts when the spool is empty. */
  idlePollMs?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** How long after a window closed usage is aggregated (default OTEL_EXPORT_GRACE_MS). */
  usageGraceMs?: number;
}

export interface DaemonOptions {
  config: AgentConfig;
  configSource: string;
  configIssues?: string[];
  fromLastGood?: boolean;
  log?: Logger;
  classifier?: ObservationClassifier;
  /** Homes to read (default: discovered, like the one-shot scan). */
  homes?: UserHome[];
  platform?: Platform;
  /** Sensors to run (default: the built-in set). */
  sensors?: DaemonSensor[];
  timing?: DaemonTiming;
  deliveryLimits?: DeliveryLimits;
  /** Resource sampler for the watchdog (tests inject made-up samples). */
  sample?: () => ResourceSample;
  /** Loads the configuration again on SIGHUP / reload(). */
  loadConfig?: () => Promise<ConfigLoadResult>;
}

interface Scheduled {
  sensor: DaemonSensor;
  health: CumulativeHealth;
  timer: NodeJS.Timeout | null;
  lastRunAt: string | null;
  /** Long-lived sensors: the restartKey they were started with (null: not running). */
  startedWith: string | null;
}

const emptyDelivery = (): DeliveryStatus => ({
  last_attempt_at: null, last_success_at: null, last_result: null, last_error: null, consecutive_failures: 0,
  next_attempt_at: null, batches_acked: 0, events_acked: 0, quarantined_batches: 0, quarantined_records: 0,
});

/**
 * The endpoint agent: sensors on their own intervals → window aggregation → durable spool →
 * signed batches to the collector, with a heartbeat, a status file and a resource watchdog.
 * A throwing sensor is counted and the rest keep going; stop() drains.
 */
export class Daemon {
  private config: AgentConfig;
  private configSource: string;
  private configIssues: string[];
  private fromLastGood: boolean;
  readonly log: Logger;
  private readonly classifier: ObservationClassifier;
  private readonly platform: Platform;
  private readonly timing: DaemonTiming;
  private privacy: Privacy;
  private aggregator: WindowAggregator;
  private spool!: Spool;
  private outbox!: Outbox;
  private delivery!: Delivery;
  private client: CollectorClient;
  private identity: IdentityState | null = null;
  private readonly backoff: Backoff;
  private readonly watchdog: Watchdog;
  private readonly scheduled: Scheduled[];
  private readonly startedAt = Date.now();
  private timers: NodeJS.Timeout[] = [];
  private windowTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private sensorQueue: Promise<void> = Promise.resolve();
  private deliveryLoop: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private stopping = false;
  private draining = false;
  private throttled = false;
  private deliveryStatus: DeliveryStatus = emptyDelivery();
  private enrollReason: string | null = null;
  private lastHeartbeat = { at: Date.now(), cpuMicros: 0 };
  private statusDirty = false;
  private statusWrite: Promise<void> = Promise.resolve();
  private spoolErrors = 0;

  constructor(private readonly options: DaemonOptions) {
    this.config = options.config;
    this.configSource = options.configSource;
    this.configIssues = options.configIssues ?? [];
    this.fromLastGood = options.fromLastGood ?? false;
    this.log = options.log ?? new Logger(options.config.log_level);
    this.classifier = options.classifier ?? defaultClassifier();
    this.platform = options.platform ?? currentPlatform();
    this.timing = options.timing ?? {};
    this.privacy = new Privacy(this.config.privacy);
    this.aggregator = new WindowAggregator(this.windowMs(), this.privacy);
    this.client = this.makeClient();
    this.backoff = new Backoff(this.timing.backoffBaseMs ?? 1000, this.timing.backoffCapMs ?? 5 * 60_000);
    this.watchdog = new Watchdog(this.watchdogLimits());
    this.scheduled = (options.sensors ?? defaultSensors()).map((sensor) => ({
      sensor,
      health: new CumulativeHealth(sensor.name, sensor.enabled(this.config), sensor.enabled(this.config) ? null : 'disabled by configuration'),
      timer: null,
      lastRunAt: null,
      startedWith: null,
    }));
  }

  private windowMs(): number {
    return this.timing.windowMs ?? this.config.window_seconds * 1000;
  }

  private intervalMs(name: IntervalName): number {
    return this.timing.intervalsMs?.[name] ?? this.config.intervals[name] * 1000;
  }

  private watchdogLimits() {
    const l = this.config.limits;
    return { maxRssMb: l.max_rss_mb, maxCpuPercent: l.max_cpu_percent, sustainedSeconds: l.sustained_seconds };
  }

  private makeClient(): CollectorClient {
    return new CollectorClient(this.config.collector_url, this.config);
  }

  private host() {
    // Running as a service (root), the agent's own account says nothing about who uses the machine.
    const primary = process.getuid?.() === 0 ? null : os.userInfo().username;
    return hostFacts({ team: this.config.team, hostname: this.config.privacy.hostname, pseudonymKey: this.config.privacy.pseudonym_key, primaryUser: primary ? this.privacy.user(primary) : null });
  }

  private envelope = (): Envelope => ({ agent_version: AGENT_VERSION, catalog_version: this.classifier.version.slice(0, 128) || 'unknown', host: this.host() });

  /** Opens the spool and the outbox, then starts sensors, windows, heartbeat, watchdog and delivery. */
  async start(): Promise<void> {
    const c = this.config;
    this.spool = await Spool.open(c.spool.dir, { maxBytes: c.spool.max_bytes });
    this.outbox = await Outbox.open(c.state_dir);
    this.delivery = new Delivery(this.spool, this.outbox, c.state_dir, this.envelope, this.options.deliveryLimits ?? DELIVERY_LIMITS);
    const st = this.spool.stats();
    this.log.info('agent started', {
      version: AGENT_VERSION, config_source: this.configSource, from_last_good: this.fromLastGood, spool_records: st.records,
      spool_corrupt_records: st.corrupt.records, spool_dropped_records: st.dropped.records,
    });
    for (const issue of formatIssues(this.configIssuesRaw())) this.log.warn('configuration issue', { issue });
    this.lastHeartbeat = { at: Date.now(), cpuMicros: sampleSelf().cpuMicros };
    for (const s of this.scheduled) await this.startLongLived(s);
    this.scheduleAll(true);
    this.scheduleWindow();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.timing.heartbeatMs ?? c.intervals.heartbeat * 1000);
    const sample = this.options.sample ?? sampleSelf;
    const wd = setInterval(() => this.onWatchdog(sample()), this.timing.watchdogMs ?? 1000);
    wd.unref();
    this.timers.push(wd);
    this.deliveryLoop = this.runDelivery();
    this.markStatus();
  }

  private configIssuesRaw() {
    return this.configIssues.map((message) => ({ path: '', message, severity: 'warning' as const }));
  }

  // ---- sensors -------------------------------------------------------------------------------

  private scheduleAll(first: boolean): void {
    for (const s of this.scheduled) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
      const enabled = s.sensor.enabled(this.config);
      s.health.setEnabled(enabled, enabled ? null : 'disabled by configuration');
      // A long-lived sensor that runs says itself whether it works (capture permission, port in use).
      const own = enabled && s.startedWith !== null ? s.sensor.cumulativeHealth?.() : null;
      if (own) s.health.add(own, true);
      if (!enabled) continue;
      const delay = first ? (this.timing.firstRunMs ?? Math.floor(Math.random() * 5000)) : this.nextDelay(s.sensor);
      this.scheduleSensor(s, delay);
    }
  }

  private nextDelay(sensor: DaemonSensor): number {
    // ±10 % jitter; the watchdog doubles intervals while it throttles.
    return Math.round(this.intervalMs(sensor.interval) * (this.throttled ? 2 : 1) * (0.9 + Math.random() * 0.2));
  }

  private scheduleSensor(s: Scheduled, delay: number): void {
    if (this.stopping) return;
    s.timer = setTimeout(() => {
      s.timer = null;
      // One sensor at a time: the agent's peak memory and CPU stay those of one scan.
      this.sensorQueue = this.sensorQueue.then(() => this.runSensor(s)).finally(() => {
        if (!this.stopping && s.timer === null && s.sensor.enabled(this.config)) this.scheduleSensor(s, this.nextDelay(s.sensor));
      });
    }, delay);
  }

  private sensorContext(): SensorContext {
    let homes: Promise<UserHome[]> | null = null;
    return {
      classifier: this.classifier,
      platform: this.platform,
      privacy: this.privacy,
      config: this.config,
      windowMs: this.windowMs(),
      intervalMs: (name) => this.intervalMs(name),
      usageGraceMs: this.timing.usageGraceMs ?? OTEL_EXPORT_GRACE_MS,
      homes: () => (homes ??= this.options.homes ? Promise.resolve(this.options.homes) : discoverHomes({ platform: this.platform })),
    };
  }

  // ---- long-lived sensors (live capture, OTLP receiver) -----------------------------------------

  /** Starts a sensor's long-lived part when it is enabled and has one; never throws. */
  private async startLongLived(s: Scheduled): Promise<void> {
    if (!s.sensor.start || s.startedWith !== null || this.stopping || !s.sensor.enabled(this.config)) return;
    try {
      await s.sensor.start(this.sensorContext());
      s.startedWith = s.sensor.restartKey?.(this.config) ?? '';
    } catch (err) {
      s.health.setEnabled(false, `could not start: ${(err as Error).message}`.slice(0, 256));
      this.log.warn('sensor could not start', { sensor: s.sensor.name, error: (err as Error).message.slice(0, 300) });
      return;
    }
    const own = s.sensor.cumulativeHealth?.();
    if (own) s.health.add(own, true);
    if (own && !own.enabled) this.log.warn('sensor disabled', { sensor: s.sensor.name, reason: own.disabled_reason });
    else this.log.info('sensor started', { sensor: s.sensor.name });
  }

  /** Stops a sensor's long-lived part and spools what it still held. */
  private async stopLongLived(s: Scheduled): Promise<void> {
    if (!s.sensor.stop || s.startedWith === null) return;
    s.startedWith = null;
    try {
      const out = await s.sensor.stop(this.sensorContext());
      if (out.detections) this.aggregator.add(out.detections);
      if (out.events && out.events.length > 0) await this.append(out.events);
      if (out.committed) await out.committed();
    } catch (err) {
      this.log.warn('sensor stop failed', { sensor: s.sensor.name, error: (err as Error).message.slice(0, 300) });
    }
  }

  /** After a reload or a watchdog restart: stop what was switched off or changed, start what is on. */
  private async restartLongLived(force: boolean): Promise<void> {
    for (const s of this.scheduled) {
      if (!s.sensor.start) continue;
      const on = s.sensor.enabled(this.config);
      const key = on ? (s.sensor.restartKey?.(this.config) ?? '') : null;
      if (s.startedWith !== null && (force || !on || key !== s.startedWith)) {
        this.log.info('restarting sensor', { sensor: s.sensor.name, reason: force ? 'watchdog' : on ? 'settings changed' : 'disabled' });
        await this.stopLongLived(s);
      }
      if (on) await this.startLongLived(s);
    }
  }

  /** Runs one sensor; a failure is counted in its health and never reaches the daemon. */
  async runSensor(s: Scheduled): Promise<void> {
    if (this.stopping) return;
    if (this.throttled && s.sensor.heavy) {
      s.health.setEnabled(true, 'skipped: agent over its resource limits');
      return;
    }
    const health = new SensorHealthCounter(s.sensor.name);
    const started = performance.now();
    try {
      const out = await s.sensor.run(this.sensorContext(), health);
      if (out.detections) this.aggregator.add(out.detections);
      if (out.events && out.events.length > 0) await this.append(out.events);
      if (out.committed) await out.committed();
      this.log.debug('sensor ran', { sensor: s.sensor.name, ms: Math.round(performance.now() - started), detections: out.detections?.length ?? 0, events: out.events?.length ?? 0 });
    } catch (err) {
      health.count('other');
      // Error messages can hold paths under a home (a user name): with pseudonymization on, log the code only.
      const e = err as NodeJS.ErrnoException;
      this.log.warn('sensor failed', { sensor: s.sensor.name, error: this.privacy.on ? (e.code ?? e.name) : String(e.message).slice(0, 300) });
    }
    const cumulative = s.sensor.cumulativeHealth?.();
    if (cumulative) {
      s.health.add(cumulative, true);
      if (health.errors.other > 0) s.health.add({ ...health.snapshot(), enabled: cumulative.enabled, disabled_reason: cumulative.disabled_reason });
    } else s.health.add(health.snapshot());
    s.lastRunAt = new Date().toISOString();
    this.markStatus();
  }

  /** Test hook: runs every enabled sensor once now, in order. */
  async runSensorsNow(): Promise<void> {
    for (const s of this.scheduled) if (s.sensor.enabled(this.config)) await (this.sensorQueue = this.sensorQueue.then(() => this.runSensor(s)));
  }

  // ---- windows, spool, heartbeat --------------------------------------------------------------

  private scheduleWindow(): void {
    if (this.windowTimer) clearTimeout(this.windowTimer);
    const delay = Math.max(0, this.aggregator.windowEnd - Date.now()) + 50;
    this.windowTimer = setTimeout(() => {
      this.windowTimer = null;
      void this.flushWindow().finally(() => {
        if (!this.stopping) this.scheduleWindow();
      });
    }, delay);
  }

  /** Closes the current window and spools its rows. */
  async flushWindow(): Promise<number> {
    const events = this.aggregator.flush();
    if (events.length > 0) await this.append(events);
    return events.length;
  }

  private async append(events: Event[]): Promise<void> {
    try {
      await this.spool.append(events.map((e) => Buffer.from(JSON.stringify(e))));
    } catch (err) {
      this.spoolErrors += 1;
      this.log.error('spool append failed; these events are lost', { events: events.length, error: (err as Error).message.slice(0, 300) });
      throw err;
    }
    this.wakeDelivery();
  }

  private sensorHealth(): SensorHealth[] {
    const sensors = this.scheduled.map((s) => s.health.snapshot());
    const w = this.watchdog.health();
    const d = this.deliveryStatus;
    const zero = { permission: 0, parse: 0, io: 0, vanished: 0, limit: 0, other: 0 };
    const revoked = this.identity?.state === 'revoked';
    // The transport and the watchdog report in the same shape, so one dashboard shows them all.
    sensors.push({
      name: 'delivery', enabled: !revoked, disabled_reason: revoked ? 'agent revoked by the collector' : null,
      observations: d.events_acked, errors: { ...zero, io: d.consecutive_failures, parse: d.quarantined_batches, other: this.spoolErrors }, dropped: d.quarantined_records,
    });
    sensors.push({
      name: 'watchdog', enabled: w.level === 'normal', disabled_reason: w.level === 'normal' ? null : `${w.level}: ${w.last_reason ?? ''}`.slice(0, 256),
      observations: w.throttles, errors: { ...zero, limit: w.restarts }, dropped: this.aggregator.rejected,
    });
    return sensors;
  }

  /** Builds the agent health event (also used for the final one at stop). */
  heartbeatEvent(now = Date.now()): AgentEvent {
    const st = this.spool.stats();
    const self = sampleSelf();
    const elapsed = Math.max(1, now - this.lastHeartbeat.at);
    const cpu = ((self.cpuMicros - this.lastHeartbeat.cpuMicros) / 1000 / elapsed) * 100;
    const start = new Date(this.lastHeartbeat.at).toISOString();
    this.lastHeartbeat = { at: now, cpuMicros: self.cpuMicros };
    return {
      kind: 'agent',
      tool: null,
      id: randomUUID(),
      window_start: start,
      window_end: new Date(now).toISOString(),
      user: this.privacy.user(os.userInfo().username || 'unknown') || 'unknown',
      evidence: { matcher: 'heartbeat', value: AGENT_VERSION },
      count: 1,
      confidence: 1,
      candidates: [],
      sensors: this.sensorHealth(),
      spool_bytes: st.bytes,
      spool_dropped: st.dropped.records,
      rss_bytes: self.rssBytes,
      cpu_percent: Math.min(100_000, Math.max(0, Math.round(cpu * 1000) / 1000)),
      uptime_s: Math.floor((now - this.startedAt) / 1000),
      config_source: this.configSource.slice(0, 256) || null,
    };
  }

  async heartbeat(): Promise<void> {
    if (this.stopping && !this.draining) return;
    try {
      await this.append([this.heartbeatEvent()]);
    } catch {
      // counted and logged by append
    }
    this.markStatus();
  }

  // ---- watchdog ------------------------------------------------------------------------------

  private onWatchdog(sample: ResourceSample): void {
    const action = this.watchdog.observe(sample);
    if (action === 'none') return;
    const h = this.watchdog.health();
    if (action === 'throttle') {
      this.throttled = true;
      this.log.warn('over resource limits: throttling sensors (intervals doubled, heavy sensors skipped)', { reason: h.last_reason });
    } else if (action === 'restart-sensors') {
      this.log.warn('still over resource limits: restarting sensors', { reason: h.last_reason });
      for (const s of this.scheduled) s.sensor.reset?.();
      // Long-lived parts (capture, receiver) restart in the sensor queue, between runs.
      this.sensorQueue = this.sensorQueue.then(() => this.restartLongLived(true)).then(() => this.markStatus());
      this.scheduleAll(false);
    } else {
      this.throttled = false;
      this.log.info('back under resource limits: normal schedule');
      for (const s of this.scheduled) if (s.health.snapshot().disabled_reason?.startsWith('skipped')) s.health.setEnabled(true, null);
    }
    this.markStatus();
  }

  /** The watchdog's view, for status and tests. */
  watchdogHealth() {
    return { ...this.watchdog.health(), throttled: this.throttled };
  }

  /** Feeds one resource sample to the watchdog (what the 1 s timer does). */
  observeResources(sample: ResourceSample): void {
    this.onWatchdog(sample);
  }

  // ---- delivery ------------------------------------------------------------------------------

  private wakeDelivery(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping && !this.draining) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private identitySettings() {
    return { stateDir: this.config.state_dir, collectorUrl: this.config.collector_url, secret: this.config.enrollment_secret, agentVersion: AGENT_VERSION, host: this.host() };
  }

  private async enroll(force: boolean): Promise<IdentityState> {
    const state = await ensureEnrolled(this.client, this.identitySettings(), { force });
    this.identity = state;
    if (state.state === 'enrolled') {
      this.enrollReason = null;
      this.log.info('enrolled', { agent_id: state.enrollment.agent_id, last_seq: state.enrollment.last_seq });
    } else if (state.state === 'revoked') {
      this.enrollReason = 'revoked by the collector';
    } else {
      this.enrollReason = state.reason;
      this.log.warn('enrollment failed', { reason: state.reason, retryable: state.retryable });
    }
    this.markStatus();
    return state;
  }

  private failure(result: string, reason: string, retryAfterMs: number | null): number {
    const delay = this.backoff.next(retryAfterMs);
    const d = this.deliveryStatus;
    d.last_result = result;
    d.last_error = reason;
    d.consecutive_failures += 1;
    d.next_attempt_at = new Date(Date.now() + delay).toISOString();
    if (d.consecutive_failures === 1 || d.consecutive_failures % 10 === 0) {
      this.log.warn('delivery failed; data stays in the spool', { result, reason, failures: d.consecutive_failures, retry_in_ms: delay });
    }
    this.markStatus();
    return delay;
  }

  /** Keeps sending until stopped (or, while draining, until the spool is empty or sending fails). */
  private async runDelivery(): Promise<void> {
    const idleMs = this.timing.idlePollMs ?? 60_000;
    while (!this.stopping || this.draining) {
      try {
        let id = this.identity;
        if (id === null || id.state === 'unenrolled') id = await this.enroll(false);
        if (id.state === 'revoked') {
          if (this.draining) return;
          await this.sleep(idleMs);
          continue;
        }
        if (id.state === 'unenrolled') {
          const delay = this.failure('unenrolled', id.reason, null);
          if (this.draining) return;
          await this.sleep(delay);
          continue;
        }
        const d = this.deliveryStatus;
        d.last_attempt_at = new Date().toISOString();
        const out = await this.delivery.sendOnce(this.client, { agentId: id.enrollment.agent_id, key: id.key.privateKey, enrolledLastSeq: id.enrollment.last_seq });
        d.quarantined_batches = this.delivery.quarantinedBatches;
        d.quarantined_records = this.delivery.quarantinedRecords;
        switch (out.kind) {
          case 'idle':
            this.backoff.reset();
            if (this.draining) return;
            await this.sleep(idleMs);
            break;
          case 'acked':
            this.backoff.reset();
            Object.assign(d, { last_result: out.duplicate ? 'duplicate' : 'acked', last_success_at: d.last_attempt_at, last_error: null, consecutive_failures: 0, next_attempt_at: null });
            d.batches_acked += 1;
            d.events_acked += out.events;
            this.markStatus();
            break;
          case 'again':
            break;
          case 'poisoned':
            d.last_result = 'poisoned';
            this.log.error('the collector refused a batch for good; it was moved to quarantine', { records: out.records, reason: out.reason, file: out.file });
            this.markStatus();
            break;
          case 'revoked':
            this.identity = { state: 'revoked', enrollment: await markRevoked(this.config.state_dir, id.enrollment) };
            this.enrollReason = 'revoked by the collector';
            d.last_result = 'revoked';
            d.last_error = 'AGENT_REVOKED: the collector revoked this agent; nothing is sent until a new enrollment secret is configured';
            this.log.error('agent revoked by the collector: sending stopped; configure a new enrollment secret to enroll again', { agent_id: id.enrollment.agent_id });
            this.markStatus();
            break;
          case 'reenroll': {
            this.log.warn('collector does not know this agent or key: enrolling again', { reason: out.reason });
            const again = await this.enroll(true);
            if (again.state !== 'enrolled') {
              const delay = this.failure('unenrolled', again.state === 'unenrolled' ? again.reason : 'revoked', null);
              if (this.draining) return;
              await this.sleep(delay);
            }
            break;
          }
          case 'retry': {
            const delay = this.failure('retry', out.reason, out.retryAfterMs);
            if (this.draining) return;
            await this.sleep(delay);
            break;
          }
        }
      } catch (err) {
        // Spool or disk trouble: log, wait, try again; never let the loop die.
        const delay = this.failure('error', (err as Error).message.slice(0, 300), null);
        if (this.draining) return;
        await this.sleep(delay);
      }
    }
  }

  // ---- status, reload, stop ------------------------------------------------------------------

  private status(): AgentStatus {
    const st = this.spool.stats();
    const id = this.identity;
    const sensors = this.scheduled.map((s) => ({
      ...s.health.snapshot(),
      last_run_at: s.lastRunAt,
      interval_s: s.sensor.enabled(this.config) ? Math.round(this.intervalMs(s.sensor.interval) / 1000) : null,
    }));
    return {
      version: AGENT_VERSION,
      pid: process.pid,
      started_at: new Date(this.startedAt).toISOString(),
      updated_at: new Date().toISOString(),
      stopped_at: null,
      config_source: this.configSource,
      config_issues: this.configIssues,
      from_last_good: this.fromLastGood,
      enrollment: {
        state: id?.state ?? 'unenrolled',
        agent_id: id && id.state !== 'unenrolled' ? id.enrollment.agent_id : null,
        reason: this.enrollReason,
      },
      sensors,
      spool: { dir: this.config.spool.dir, bytes: st.bytes, records: st.records, dropped_records: st.dropped.records, dropped_bytes: st.dropped.bytes, corrupt_records: st.corrupt.records },
      delivery: { ...this.deliveryStatus },
      watchdog: this.watchdog.health(),
    };
  }

  /** Writes status.json soon (coalesced: at most one write in flight and one queued). */
  private markStatus(): void {
    if (this.statusDirty) return;
    this.statusDirty = true;
    this.statusWrite = this.statusWrite.then(async () => {
      this.statusDirty = false;
      await writeStatus(this.config.state_dir, this.status()).catch((err: Error) => this.log.warn('status file not written', { error: err.message }));
    });
  }

  /** Waits until the status file reflects everything up to now. */
  async flushStatus(): Promise<void> {
    this.markStatus();
    await this.statusWrite;
  }

  /** SIGHUP: load the configuration again and apply it; a broken one changes nothing. */
  async reload(): Promise<boolean> {
    if (!this.options.loadConfig) return false;
    const result = await this.options.loadConfig();
    for (const line of formatIssues(result.issues)) this.log.warn('configuration issue', { issue: line });
    if (!result.config || result.fromLastGood) {
      this.log.error('configuration reload rejected; the running configuration stays in force');
      return false;
    }
    const prev = this.config;
    const next = result.config;
    if (next.spool.dir !== prev.spool.dir || next.spool.max_bytes !== prev.spool.max_bytes || next.state_dir !== prev.state_dir) {
      this.log.warn('spool and state_dir changes take effect at the next restart');
    }
    await this.flushWindow().catch(() => undefined);
    this.config = { ...next, state_dir: prev.state_dir, spool: prev.spool };
    this.configSource = result.source;
    this.configIssues = formatIssues(result.issues);
    this.fromLastGood = false;
    this.log.setLevel(next.log_level);
    this.privacy = new Privacy(next.privacy);
    this.aggregator = new WindowAggregator(this.windowMs(), this.privacy);
    this.scheduleWindow();
    this.watchdog.setLimits(this.watchdogLimits());
    await (this.sensorQueue = this.sensorQueue.then(() => this.restartLongLived(false)));
    const transportChanged = ['collector_url', 'enrollment_secret', 'ca_file', 'client_cert_file', 'client_key_file'].some(
      (k) => prev[k as keyof AgentConfig] !== next[k as keyof AgentConfig],
    );
    if (transportChanged) {
      this.client.close();
      this.client = this.makeClient();
      // Re-evaluated on the next attempt: a new URL or secret may mean a new enrollment.
      this.identity = null;
      this.backoff.reset();
    }
    this.scheduleAll(false);
    this.log.info('configuration reloaded', { config_source: this.configSource, transport_changed: transportChanged });
    this.wakeDelivery();
    this.markStatus();
    return true;
  }

  /**
   * SIGTERM: stop sensors, close the window into the spool, write a last heartbeat, try to deliver
   * what is spooled until `deadlineMs`, then close the spool. Nothing unacknowledged is lost: it
   * stays in the spool for the next start.
   */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.windowTimer) clearTimeout(this.windowTimer);
    for (const s of this.scheduled) if (s.timer) clearTimeout(s.timer);
    await Promise.race([this.sensorQueue, new Promise((r) => setTimeout(r, Math.min(5000, deadlineMs)).unref())]);
    // Capture and receiver stop first: what they still held joins the last window.
    for (const s of this.scheduled) await this.stopLongLived(s);
    await this.flushWindow().catch(() => undefined);
    this.draining = true;
    await this.heartbeat();
    this.wakeDelivery();
    const deadline = new Promise<void>((r) => setTimeout(r, deadlineMs).unref());
    await Promise.race([this.deliveryLoop, deadline]);
    this.draining = false;
    this.wakeDelivery();
    const status = { ...this.status(), stopped_at: new Date().toISOString() };
    await this.statusWrite;
    await writeStatus(this.config.state_dir, status).catch(() => undefined);
    this.client.close();
    // A send still in flight at the deadline finishes or fails on its own; the spool waits for it.
    await Promise.race([this.deliveryLoop, new Promise((r) => setTimeout(r, 2000).unref())]);
    await this.spool.close();
    this.log.info('agent stopped', { spool_records: status.spool.records });
  }
}
