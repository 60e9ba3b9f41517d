import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { LIMITS } from '@aiscout/protocol';
import { DEFAULT_REPORT_SETTINGS, readReportSettings, type ReportSettings } from './reports/settings.js';
import type { StoreOptions } from './store/store.js';

export interface EnrollmentSecret {
  id: string;
  secret: string;
  /** A retired secret no longer enrolls new agents; agents already enrolled keep working. */
  retired: boolean;
}

export interface AdminToken {
  id: string;
  token: string;
}

export interface Limits {
  /** Largest request body as sent (compressed or not). */
  bodyBytes: number;
  /** Largest body after gzip inflation. */
  inflatedBytes: number;
  eventsPerBatch: number;
  /** How far in the future an event window may end (clock skew allowance). */
  futureSkewSeconds: number;
}

export interface CollectorConfig {
  listen: { host: string; port: number };
  /** Embedded folder or server URL, credentials, CA, cluster, timeout: exactly what the store takes. */
  clickhouse: StoreOptions;
  retentionDays: number;
  auditRetentionDays: number;
  enrollmentSecrets: EnrollmentSecret[];
  adminTokens: AdminToken[];
  policyFile: string | null;
  directoryFile: string | null;
  pseudonymKey: string | null;
  limits: Limits;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  collectorId: string;
  /** Weekly reports: schedule, SMTP, webhook, k (src/reports/settings.ts). */
  reports: ReportSettings;
  /** Where the config came from, for the start banner. */
  source: string;
}

export const DEFAULT_CONFIG: Omit<CollectorConfig, 'source'> = {
  listen: { host: '127.0.0.1', port: 8480 },
  clickhouse: { path: './data/clickhouse', url: null, user: null, password: null, database: null, caFile: null, cluster: null, timeoutMs: 10_000 },
  retentionDays: 400,
  auditRetentionDays: 1095,
  enrollmentSecrets: [],
  adminTokens: [],
  policyFile: null,
  directoryFile: null,
  pseudonymKey: null,
  limits: { bodyBytes: 4 * 1024 * 1024, inflatedBytes: LIMITS.batchBytes, eventsPerBatch: LIMITS.eventsPerBatch, futureSkewSeconds: 86_400 },
  logLevel: 'info',
  collectorId: hostname(),
  reports: DEFAULT_REPORT_SETTINGS,
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid collector configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Collects one message per problem instead of stopping at the first. */
class Reader {
  readonly problems: string[] = [];
  constructor(readonly source: string) {}

  problem(key: string, message: string): void {
    this.problems.push(`${this.source}: ${key}: ${message}`);
  }

  string(obj: Record<string, unknown>, key: string, path: string, fallback: string | null): string | null {
    const v = obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || v.length === 0) {
      this.problem(path, 'must be a non-empty string');
      return fallback;
    }
    return v;
  }

  integer(obj: Record<string, unknown>, key: string, path: string, fallback: number, min: number, max: number): number {
    let v = obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'string' && /^\d+$/.test(v)) v = Number(v);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.problem(path, `must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return v;
  }

  object(obj: Record<string, unknown>, key: string, path: string): Record<string, unknown> {
    const v = obj[key];
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.problem(path, 'must be a mapping');
      return {};
    }
    return v as Record<string, unknown>;
  }

  unknownKeys(obj: Record<string, unknown>, allowed: string[], path: string): void {
    for (const k of Object.keys(obj)) if (!allowed.includes(k)) this.problem(path ? `${path}.${k}` : k, 'unknown setting');
  }
}

const ID = /^[A-Za-z0-9_.-]{1,64}$/;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Reads the config file (YAML or JSON; `--config` or AISCOUT_COLLECTOR_CONFIG) and the environment
 * (environment wins), validates everything, and throws one ConfigError listing every problem.
 */
export function loadConfig(opts: { file?: string | null; env?: Env } = {}): CollectorConfig {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.AISCOUT_COLLECTOR_CONFIG ?? null;
  let raw: Record<string, unknown> = {};
  const fileReader = new Reader(file ?? '(defaults)');
  if (file !== null) {
    if (!existsSync(file)) throw new ConfigError([`${file}: file not found`]);
    try {
      const parsed: unknown = parseYaml(readFileSync(file, 'utf8'));
      if (parsed !== null && parsed !== undefined) {
        if (typeof parsed !== 'object' || Array.isArray(parsed)) fileReader.problem('(root)', 'must be a mapping');
        else raw = parsed as Record<string, unknown>;
      }
    } catch (err) {
      throw new ConfigError([`${file}: not valid YAML/JSON: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`]);
    }
  }
  const r = fileReader;
  const d = DEFAULT_CONFIG;
  r.unknownKeys(raw, ['listen', 'clickhouse', 'retention_days', 'audit_retention_days', 'enrollment_secrets', 'admin_tokens', 'policy_file', 'directory_file', 'pseudonym_key', 'limits', 'log_level', 'collector_id', 'reports'], '');
  const listen = r.object(raw, 'listen', 'listen');
  r.unknownKeys(listen, ['host', 'port'], 'listen');
  const ch = r.object(raw, 'clickhouse', 'clickhouse');
  r.unknownKeys(ch, ['path', 'url', 'user', 'password', 'database', 'ca_file', 'cluster', 'timeout_ms'], 'clickhouse');
  const limits = r.object(raw, 'limits', 'limits');
  r.unknownKeys(limits, ['body_bytes', 'inflated_bytes', 'events_per_batch', 'future_skew_seconds'], 'limits');

  const config: CollectorConfig = {
    listen: {
      host: r.string(listen, 'host', 'listen.host', d.listen.host)!,
      port: r.integer(listen, 'port', 'listen.port', d.listen.port, 0, 65535),
    },
    clickhouse: {
      path: r.string(ch, 'path', 'clickhouse.path', d.clickhouse.path)!,
      url: r.string(ch, 'url', 'clickhouse.url', null),
      user: r.string(ch, 'user', 'clickhouse.user', null),
      password: r.string(ch, 'password', 'clickhouse.password', null),
      database: r.string(ch, 'database', 'clickhouse.database', null),
      caFile: r.string(ch, 'ca_file', 'clickhouse.ca_file', null),
      cluster: r.string(ch, 'cluster', 'clickhouse.cluster', null),
      timeoutMs: r.integer(ch, 'timeout_ms', 'clickhouse.timeout_ms', d.clickhouse.timeoutMs, 1, 600_000),
    },
    retentionDays: r.integer(raw, 'retention_days', 'retention_days', d.retentionDays, 1, 10_950),
    auditRetentionDays: r.integer(raw, 'audit_retention_days', 'audit_retention_days', d.auditRetentionDays, 400, 10_950),
    enrollmentSecrets: readSecrets(r, raw.enrollment_secrets),
    adminTokens: readTokens(r, raw.admin_tokens),
    policyFile: r.string(raw, 'policy_file', 'policy_file', null),
    directoryFile: r.string(raw, 'directory_file', 'directory_file', null),
    pseudonymKey: r.string(raw, 'pseudonym_key', 'pseudonym_key', null),
    limits: {
      bodyBytes: r.integer(limits, 'body_bytes', 'limits.body_bytes', d.limits.bodyBytes, 1024, 256 * 1024 * 1024),
      inflatedBytes: r.integer(limits, 'inflated_bytes', 'limits.inflated_bytes', d.limits.inflatedBytes, 1024, 1024 * 1024 * 1024),
      eventsPerBatch: r.integer(limits, 'events_per_batch', 'limits.events_per_batch', d.limits.eventsPerBatch, 1, LIMITS.eventsPerBatch),
      futureSkewSeconds: r.integer(limits, 'future_skew_seconds', 'limits.future_skew_seconds', d.limits.futureSkewSeconds, 0, 7 * 86_400),
    },
    logLevel: d.logLevel,
    collectorId: r.string(raw, 'collector_id', 'collector_id', d.collectorId)!,
    reports: readReportSettings(raw.reports, env, r.problems, file ?? '(defaults)'),
    source: file ?? '(defaults)',
  };
  const level = raw.log_level;
  if (level !== undefined) {
    if (typeof level === 'string' && (LOG_LEVELS as readonly string[]).includes(level)) config.logLevel = level as CollectorConfig['logLevel'];
    else r.problem('log_level', `must be one of ${LOG_LEVELS.join(', ')}`);
  }

  applyEnv(config, env, new Reader('environment'), r.problems);
  checkUrl(config, r);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

function readSecrets(r: Reader, v: unknown): EnrollmentSecret[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    r.problem('enrollment_secrets', 'must be a list of { id, secret, retired }');
    return [];
  }
  const out: EnrollmentSecret[] = [];
  v.forEach((item: unknown, i) => {
    const path = `enrollment_secrets[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return r.problem(path, 'must be a mapping with id and secret');
    const o = item as Record<string, unknown>;
    r.unknownKeys(o, ['id', 'secret', 'retired'], path);
    const id = r.string(o, 'id', `${path}.id`, null);
    const secret = r.string(o, 'secret', `${path}.secret`, null);
    if (id === null) r.problem(`${path}.id`, 'is required');
    else if (!ID.test(id)) r.problem(`${path}.id`, 'use letters, digits, dot, dash, underscore (at most 64)');
    if (secret === null) r.problem(`${path}.secret`, 'is required');
    else if (secret.length < 16) r.problem(`${path}.secret`, 'must be at least 16 characters');
    if (o.retired !== undefined && typeof o.retired !== 'boolean') r.problem(`${path}.retired`, 'must be true or false');
    if (id !== null && out.some((s) => s.id === id)) r.problem(`${path}.id`, `duplicate id ${id}`);
    if (id !== null && secret !== null) out.push({ id, secret, retired: o.retired === true });
  });
  return out;
}

function readTokens(r: Reader, v: unknown): AdminToken[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    r.problem('admin_tokens', 'must be a list of { id, token }');
    return [];
  }
  const out: AdminToken[] = [];
  v.forEach((item: unknown, i) => {
    const path = `admin_tokens[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return r.problem(path, 'must be a mapping with id and token');
    const o = item as Record<string, unknown>;
    r.unknownKeys(o, ['id', 'token'], path);
    const id = r.string(o, 'id', `${path}.id`, null);
    const token = r.string(o, 'token', `${path}.token`, null);
    if (id === null) r.problem(`${path}.id`, 'is required');
    else if (!ID.test(id)) r.problem(`${path}.id`, 'use letters, digits, dot, dash, underscore (at most 64)');
    if (token === null) r.problem(`${path}.token`, 'is required');
    else if (token.length < 24) r.problem(`${path}.token`, 'must be at least 24 characters');
    if (id !== null && token !== null) out.push({ id, token });
  });
  return out;
}

/** Environment variables override the file. CLICKHOUSE_* follow the usual client names. */
function applyEnv(c: CollectorConfig, env: Env, r: Reader, problems: string[]): void {
  const str = (name: string): string | null => {
    const v = env[name];
    return v === undefined || v === '' ? null : v;
  };
  const int = (name: string, min: number, max: number): number | null => {
    const v = str(name);
    if (v === null) return null;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      problems.push(`environment: ${name}: must be an integer from ${min} to ${max}`);
      return null;
    }
    return Number(v);
  };
  c.listen.host = str('AISCOUT_LISTEN_HOST') ?? c.listen.host;
  c.listen.port = int('AISCOUT_LISTEN_PORT', 0, 65535) ?? c.listen.port;
  c.clickhouse.path = str('AISCOUT_CLICKHOUSE_PATH') ?? c.clickhouse.path;
  c.clickhouse.url = str('CLICKHOUSE_URL') ?? c.clickhouse.url;
  c.clickhouse.user = str('CLICKHOUSE_USER') ?? c.clickhouse.user;
  c.clickhouse.password = str('CLICKHOUSE_PASSWORD') ?? c.clickhouse.password;
  c.clickhouse.database = str('CLICKHOUSE_DATABASE') ?? c.clickhouse.database;
  c.clickhouse.caFile = str('CLICKHOUSE_CA_FILE') ?? c.clickhouse.caFile;
  c.clickhouse.cluster = str('CLICKHOUSE_CLUSTER') ?? c.clickhouse.cluster;
  c.clickhouse.timeoutMs = int('AISCOUT_CLICKHOUSE_TIMEOUT_MS', 1, 600_000) ?? c.clickhouse.timeoutMs;
  c.retentionDays = int('AISCOUT_RETENTION_DAYS', 1, 10_950) ?? c.retentionDays;
  c.policyFile = str('AISCOUT_POLICY_FILE') ?? c.policyFile;
  c.directoryFile = str('AISCOUT_DIRECTORY_FILE') ?? c.directoryFile;
  c.pseudonymKey = str('AISCOUT_PSEUDONYM_KEY') ?? c.pseudonymKey;
  c.collectorId = str('AISCOUT_COLLECTOR_ID') ?? c.collectorId;
  const level = str('AISCOUT_LOG_LEVEL');
  if (level !== null) {
    if ((LOG_LEVELS as readonly string[]).includes(level)) c.logLevel = level as CollectorConfig['logLevel'];
    else problems.push(`environment: AISCOUT_LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const secret = str('AISCOUT_ENROLLMENT_SECRET');
  if (secret !== null) {
    if (secret.length < 16) problems.push('environment: AISCOUT_ENROLLMENT_SECRET: must be at least 16 characters');
    else c.enrollmentSecrets = [...c.enrollmentSecrets.filter((s) => s.id !== 'env'), { id: 'env', secret, retired: false }];
  }
  const token = str('AISCOUT_ADMIN_TOKEN');
  if (token !== null) {
    if (token.length < 24) problems.push('environment: AISCOUT_ADMIN_TOKEN: must be at least 24 characters');
    else c.adminTokens = [...c.adminTokens.filter((t) => t.id !== 'env'), { id: 'env', token }];
  }
  problems.push(...r.problems);
}

function checkUrl(c: CollectorConfig, r: Reader): void {
  if (c.clickhouse.url === null) {
    if (c.clickhouse.cluster !== null) r.problem('clickhouse.cluster', 'needs clickhouse.url (the embedded engine is a single node)');
    return;
  }
  try {
    const u = new URL(c.clickhouse.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') r.problem('clickhouse.url', 'must be an http:// or https:// URL');
  } catch {
    r.problem('clickhouse.url', 'is not a valid URL');
  }
  if (c.clickhouse.caFile !== null && !existsSync(c.clickhouse.caFile)) r.problem('clickhouse.ca_file', `file not found: ${c.clickhouse.caFile}`);
}
