import { existsSync, readFileSync } from 'node:fs';
import { Cron } from 'croner';

/** Weekly report settings (`reports:` in the collector config). Secrets are read here and never logged. */
export interface ReportSettings {
  /** k-anonymity: a team's figures leave its own managers only when at least k users stand behind them. */
  k: number;
  /** Base URL of the collector as managers reach it, for the "open in browser" link; null: no link. */
  publicBaseUrl: string | null;
  schedule: { enabled: boolean; cron: string; timezone: string };
  smtp: SmtpSettings | null;
  /** Slack-compatible incoming webhook (POST `{ text }`), or null. */
  webhookUrl: string | null;
  /** Bearer tokens (besides the admin tokens) that may read `/reports/*`. */
  tokens: string[];
  /** Delivery attempts per run and the first back-off (doubled each attempt). */
  retry: { attempts: number; backoffMs: number };
  /** Chromium for PDF; PDF fails with a clear message when it is missing. */
  chromiumPath: string;
  /** Attach the PDF to the mail as well (needs Chromium). */
  attachPdf: boolean;
  /** Who receives the organisation-wide report (security). */
  orgRecipients: string[];
}

export interface SmtpSettings {
  host: string;
  port: number;
  /** true: TLS from the start (465); false: STARTTLS when the server offers it (required when requireTls). */
  secure: boolean;
  requireTls: boolean;
  user: string | null;
  password: string | null;
  from: string;
  /** PEM CA bundle to trust for the server's certificate (a private CA), else the system's. */
  caFile: string | null;
}

export const DEFAULT_REPORT_SETTINGS: ReportSettings = {
  k: 5,
  publicBaseUrl: null,
  schedule: { enabled: true, cron: '0 8 * * 1', timezone: 'UTC' },
  smtp: null,
  webhookUrl: null,
  tokens: [],
  retry: { attempts: 4, backoffMs: 30_000 },
  chromiumPath: '/usr/bin/chromium',
  attachPdf: false,
  orgRecipients: [],
};

type Env = Record<string, string | undefined>;

const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+$/;

/**
 * Reads the `reports` mapping and the AISCOUT_REPORT_* / AISCOUT_SMTP_* variables (environment wins).
 * Each problem is pushed to `problems` naming the setting; secret values are never echoed.
 */
export function readReportSettings(raw: unknown, env: Env, problems: string[], source: string): ReportSettings {
  const s: ReportSettings = structuredClone(DEFAULT_REPORT_SETTINGS);
  const bad = (key: string, msg: string): void => void problems.push(`${source}: reports.${key}: ${msg}`);
  const badEnv = (name: string, msg: string): void => void problems.push(`environment: ${name}: ${msg}`);
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    problems.push(`${source}: reports: must be a mapping`);
    raw = {};
  }
  const o = (raw ?? {}) as Record<string, unknown>;
  const allowed = ['k', 'public_base_url', 'schedule', 'smtp', 'webhook_url', 'tokens', 'retry', 'chromium_path', 'attach_pdf', 'org_recipients'];
  for (const key of Object.keys(o)) if (!allowed.includes(key)) bad(key, 'unknown setting');

  const str = (obj: Record<string, unknown>, key: string, path: string): string | null => {
    const v = obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || v === '') {
      bad(path, 'must be a non-empty string');
      return null;
    }
    return v;
  };
  const int = (obj: Record<string, unknown>, key: string, path: string, min: number, max: number): number | null => {
    const v = obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      bad(path, `must be an integer from ${min} to ${max}`);
      return null;
    }
    return v;
  };
  const bool = (obj: Record<string, unknown>, key: string, path: string): boolean | null => {
    const v = obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'boolean') {
      bad(path, 'must be true or false');
      return null;
    }
    return v;
  };
  const map = (key: string): Record<string, unknown> => {
    const v = o[key];
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) {
      bad(key, 'must be a mapping');
      return {};
    }
    return v as Record<string, unknown>;
  };

  s.k = int(o, 'k', 'k', 1, 1000) ?? s.k;
  s.publicBaseUrl = str(o, 'public_base_url', 'public_base_url');
  s.webhookUrl = str(o, 'webhook_url', 'webhook_url');
  s.chromiumPath = str(o, 'chromium_path', 'chromium_path') ?? s.chromiumPath;
  s.attachPdf = bool(o, 'attach_pdf', 'attach_pdf') ?? s.attachPdf;
  if (o.tokens !== undefined && o.tokens !== null) {
    if (!Array.isArray(o.tokens) || o.tokens.some((t) => typeof t !== 'string' || t.length < 24)) bad('tokens', 'must be a list of strings of at least 24 characters');
    else s.tokens = o.tokens as string[];
  }

  if (o.org_recipients !== undefined && o.org_recipients !== null) {
    if (!Array.isArray(o.org_recipients) || o.org_recipients.some((t) => typeof t !== 'string' || !EMAIL.test(t))) bad('org_recipients', 'must be a list of email addresses');
    else s.orgRecipients = o.org_recipients as string[];
  }

  const schedule = map('schedule');
  for (const key of Object.keys(schedule)) if (!['enabled', 'cron', 'timezone'].includes(key)) bad(`schedule.${key}`, 'unknown setting');
  s.schedule.enabled = bool(schedule, 'enabled', 'schedule.enabled') ?? s.schedule.enabled;
  s.schedule.cron = str(schedule, 'cron', 'schedule.cron') ?? s.schedule.cron;
  s.schedule.timezone = str(schedule, 'timezone', 'schedule.timezone') ?? s.schedule.timezone;

  const retry = map('retry');
  for (const key of Object.keys(retry)) if (!['attempts', 'backoff_ms'].includes(key)) bad(`retry.${key}`, 'unknown setting');
  s.retry.attempts = int(retry, 'attempts', 'retry.attempts', 1, 20) ?? s.retry.attempts;
  s.retry.backoffMs = int(retry, 'backoff_ms', 'retry.backoff_ms', 0, 3_600_000) ?? s.retry.backoffMs;

  const smtp = map('smtp');
  for (const key of Object.keys(smtp)) {
    if (!['host', 'port', 'secure', 'require_tls', 'user', 'password', 'password_file', 'from', 'ca_file'].includes(key)) bad(`smtp.${key}`, 'unknown setting');
  }
  const host = env.AISCOUT_SMTP_HOST || str(smtp, 'host', 'smtp.host');
  if (host) {
    let port = int(smtp, 'port', 'smtp.port', 1, 65535);
    if (env.AISCOUT_SMTP_PORT) {
      const p = Number(env.AISCOUT_SMTP_PORT);
      if (!Number.isInteger(p) || p < 1 || p > 65535) badEnv('AISCOUT_SMTP_PORT', 'must be an integer from 1 to 65535');
      else port = p;
    }
    const secure = bool(smtp, 'secure', 'smtp.secure') ?? port === 465;
    let password = env.AISCOUT_SMTP_PASSWORD || str(smtp, 'password', 'smtp.password');
    const passwordFile = env.AISCOUT_SMTP_PASSWORD_FILE || str(smtp, 'password_file', 'smtp.password_file');
    if (password === null && passwordFile !== null) {
      if (!existsSync(passwordFile)) bad('smtp.password_file', `file not found: ${passwordFile}`);
      else password = readFileSync(passwordFile, 'utf8').trim();
    }
    const from = env.AISCOUT_SMTP_FROM || str(smtp, 'from', 'smtp.from');
    if (from === null) bad('smtp.from', 'is required when smtp.host is set');
    else if (!EMAIL.test(from.replace(/^.*<([^>]+)>\s*$/, '$1'))) bad('smtp.from', 'is not an email address');
    const caFile = str(smtp, 'ca_file', 'smtp.ca_file');
    if (caFile !== null && !existsSync(caFile)) bad('smtp.ca_file', `file not found: ${caFile}`);
    s.smtp = {
      host, port: port ?? (secure ? 465 : 587), secure, requireTls: bool(smtp, 'require_tls', 'smtp.require_tls') ?? false,
      user: env.AISCOUT_SMTP_USER || str(smtp, 'user', 'smtp.user'), password, from: from ?? '', caFile,
    };
  }
  s.webhookUrl = env.AISCOUT_REPORT_WEBHOOK_URL || s.webhookUrl;
  if (env.AISCOUT_REPORT_TOKEN) {
    if (env.AISCOUT_REPORT_TOKEN.length < 24) badEnv('AISCOUT_REPORT_TOKEN', 'must be at least 24 characters');
    else s.tokens = [...s.tokens, env.AISCOUT_REPORT_TOKEN];
  }
  for (const [key, url] of [['webhook_url', s.webhookUrl], ['public_base_url', s.publicBaseUrl]] as const) {
    if (url === null) continue;
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') bad(key, 'must be an http:// or https:// URL');
    } catch {
      bad(key, 'is not a valid URL');
    }
  }
  try {
    new Cron(s.schedule.cron, { timezone: s.schedule.timezone, paused: true }).stop();
  } catch (err) {
    bad('schedule', `cron "${s.schedule.cron}" in ${s.schedule.timezone}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return s;
}
