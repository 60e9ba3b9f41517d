import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'aiscout-report-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(yaml: string, env: Record<string, string> = {}) {
  const file = join(dir, `c${Math.random()}.yaml`);
  writeFileSync(file, yaml);
  return loadConfig({ file, env });
}

describe('reports configuration', () => {
  it('defaults: k 5, Monday 08:00 UTC, no delivery', () => {
    const c = loadConfig({ env: {} });
    expect(c.reports).toMatchObject({ k: 5, schedule: { enabled: true, cron: '0 8 * * 1', timezone: 'UTC' }, smtp: null, webhookUrl: null });
  });

  it('reads SMTP from the file and the password from a file, the environment winning', () => {
    writeFileSync(join(dir, 'pw'), 'file-password-MARKER\n');
    const c = load(`reports:\n  k: 7\n  schedule: { cron: "30 7 * * 1", timezone: Europe/Berlin }\n  smtp:\n    host: mail.corp.example\n    port: 465\n    user: reports\n    password_file: ${join(dir, 'pw')}\n    from: "aiscout <reports@corp.example>"\n`,
      { AISCOUT_SMTP_USER: 'env-user' });
    expect(c.reports.k).toBe(7);
    expect(c.reports.schedule).toEqual({ enabled: true, cron: '30 7 * * 1', timezone: 'Europe/Berlin' });
    expect(c.reports.smtp).toMatchObject({ host: 'mail.corp.example', port: 465, secure: true, user: 'env-user', password: 'file-password-MARKER' });
    expect(load('reports: { smtp: { host: h, from: a@b.example } }', { AISCOUT_SMTP_PASSWORD: 'env-pw' }).reports.smtp).toMatchObject({ port: 587, secure: false, password: 'env-pw' });
  });

  it('lists every problem, naming the setting and never echoing a secret', () => {
    let err: unknown;
    try {
      load('reports:\n  k: 0\n  colour: blue\n  schedule: { cron: "not a cron", timezone: Mars/Base }\n  smtp: { host: h, password: "secret-MARKER-77", port: 99999 }\n  webhook_url: "ftp://x"\n  tokens: [short]\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).problems.join('\n');
    for (const key of ['reports.k', 'reports.colour', 'reports.schedule', 'reports.smtp.from', 'reports.smtp.port', 'reports.webhook_url', 'reports.tokens']) expect(text).toContain(key);
    expect(text).not.toContain('secret-MARKER-77');
  });
});
