/**
 * Delivery end to end: a real SMTP server (smtp-server, STARTTLS with a certificate made here, AUTH)
 * on 127.0.0.1 receives the weekly mails; a local HTTP server plays the chat webhook. The first
 * attempt is refused to prove the retry, a second run (a restart) sends nothing again, and two
 * runners at once (two collectors) still mail each team once.
 */
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '../src/audit.js';
import { CollectorMetrics } from '../src/metrics.js';
import { ReportRunner } from '../src/reports/runner.js';
import { DEFAULT_REPORT_SETTINGS, type ReportSettings } from '../src/reports/settings.js';
import type { Store } from '../src/store/store.js';
import { tempDir } from './helpers.js';
import { generateEvents, openStore, seed } from './fixtures/reports/seed.js';

const dir = tempDir('aiscout-report-send-');
const SMTP_USER = 'reports';
const SMTP_PASS = 'smtp-pass-MARKER-9d8c7b6a';
let store: Store;
let smtp: SMTPServer;
let smtpPort = 0;
let webhook: Server;
let webhookUrl = '';
const received: Array<{ rcpt: string[]; from: string; mail: ParsedMail; secure: boolean; user: string | undefined }> = [];
const posts: Array<{ text: string }> = [];
let refuseNext = 1;

function settings(): ReportSettings {
  return {
    ...structuredClone(DEFAULT_REPORT_SETTINGS),
    smtp: { host: '127.0.0.1', port: smtpPort, secure: false, requireTls: true, user: SMTP_USER, password: SMTP_PASS, from: 'aiscout <reports@corp.example>', caFile: join(dir.path, 'cert.pem') },
    webhookUrl,
    orgRecipients: ['security@corp.example'],
    publicBaseUrl: 'https://aiscout.corp.example/',
    retry: { attempts: 3, backoffMs: 10 },
  };
}

function runner(metrics: CollectorMetrics, settleMs = 0, s = settings()): ReportRunner {
  return new ReportRunner({ store, audit: new AuditTrail(store, 'test'), sendsCounter: metrics.reportSends, settings: s, collectorId: 'test', actor: 'system', settleMs });
}

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir.path, 'key.pem'), '-out', join(dir.path, 'cert.pem')], { stdio: 'ignore' });
  smtp = new SMTPServer({
    key: readFileSync(join(dir.path, 'key.pem')), cert: readFileSync(join(dir.path, 'cert.pem')),
    authMethods: ['PLAIN', 'LOGIN'], logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASS) cb(null, { user: auth.username });
      else cb(new Error('bad credentials'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refuseNext > 0) {
          refuseNext--;
          const err = new Error('try again later') as Error & { responseCode: number };
          err.responseCode = 451;
          return cb(err);
        }
        simpleParser(Buffer.concat(chunks)).then((mail) => {
          received.push({ rcpt: session.envelope.rcptTo.map((r) => r.address), from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', mail, secure: session.secure, user: session.user as string | undefined });
          cb();
        }, cb);
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posts.push(JSON.parse(body) as { text: string });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hooks/T000/B000/secret`;
  store = openStore(join(dir.path, 'clickhouse'));
  await seed(store, generateEvents());
}, 120_000);

afterAll(async () => {
  await new Promise<void>((r) => smtp?.close(() => r()));
  await new Promise<void>((r) => webhook?.close(() => r()));
  await store?.close();
  dir.cleanup();
});

const MONDAY = new Date('2026-11-23T09:00:00Z');

describe('weekly delivery', () => {
  const metrics = new CollectorMetrics();

  it('mails each team its report over STARTTLS with AUTH, retrying the refused first attempt', async () => {
    const outcomes = await runner(metrics).run({ now: MONDAY });
    const email = outcomes.filter((o) => o.channel === 'email');
    expect(email.filter((o) => o.status === 'sent').map((o) => o.team).sort()).toEqual(['(organisation)', 'data', 'platform', 'small', 'tiny']);
    expect(email.find((o) => o.team === 'nomgr')).toMatchObject({ status: 'skipped', detail: 'no manager in the directory' });
    expect(outcomes.every((o) => o.status !== 'failed')).toBe(true);
    expect(received).toHaveLength(5);
    expect(received.every((r) => r.secure && r.user === SMTP_USER)).toBe(true);
    // One refused DATA: one retry counted, then sent.
    expect(metrics.reportSends.get({ channel: 'email', status: 'retry' })).toBe(1);
    expect(metrics.reportSends.get({ channel: 'email', status: 'sent' })).toBe(5);
    expect(metrics.reportSends.get({ channel: 'webhook', status: 'sent' })).toBe(1);
    expect(metrics.render()).toContain('aiscout_report_sends_total{channel="email",status="sent"} 5');
  });

  it('sends the managers a mail with an HTML part, a plain-text part, and CSV and JSON attachments', () => {
    const m = received.find((r) => r.rcpt.includes('pat.lead@corp.example'))!;
    expect(m.rcpt.sort()).toEqual(['ops.head@corp.example', 'pat.lead@corp.example']);
    expect(m.from).toBe('reports@corp.example');
    expect(m.mail.subject).toBe('AI tools in platform, week 2026-W47 (2 unapproved)');
    expect(m.mail.html).toContain('data-section="unapproved"');
    expect(m.mail.html).not.toMatch(/<script|<img /i);
    expect(m.mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(m.mail.text).toContain('NOT APPROVED: USED THIS WEEK');
    expect(m.mail.text).toContain('https://aiscout.corp.example/reports/latest?week=2026-W47&team=platform&format=html');
    expect(m.mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['aiscout-platform-2026-W47.csv', 'text/csv'],
      ['aiscout-platform-2026-W47.json', 'application/json'],
    ]);
    const json = JSON.parse(m.mail.attachments[1]!.content.toString()) as { team: string; week: string; tools: Array<{ tool: string; bytes: number }> };
    expect(json).toMatchObject({ team: 'platform', week: '2026-W47' });
    expect(json.tools.find((t) => t.tool === 'ollama')!.bytes).toBe(1020);
    const csv = m.mail.attachments[0]!.content.toString();
    expect(csv.split('\r\n')[0]).toMatch(/^week,team,timezone,tool,/);
    expect(csv).toContain('2026-W47,platform,America/Los_Angeles,ollama,Ollama,local-llm,tolerated,,2,2,network process,0,0,1020,1,0,0,300,0\r\n');
    expect(m.mail.messageId).toMatch(/^<aiscout-report\.2026-W47\.[0-9a-f]{24}@corp\.example>$/);
    const org = received.find((r) => r.rcpt.includes('security@corp.example'))!;
    expect(org.mail.subject).toBe('AI tools across the organisation, week 2026-W47');
    expect(org.mail.html).not.toMatch(/\bp[1-6]\b|laptop|tiny|small/);
  });

  it('posts the organisation summary to the webhook, without names', () => {
    expect(posts).toHaveLength(1);
    expect(posts[0]!.text).toContain('AI tools across the organisation — 2026-W47');
    expect(posts[0]!.text).toMatch(/\| platform \| 6 \|/);
    expect(posts[0]!.text).not.toMatch(/\bp[1-6]\b|laptop|tiny/);
  });

  it('records every send (report_sends) and audits it', async () => {
    const rows = await runner(new CollectorMetrics()).sends.list('2026-W47');
    expect(rows.filter((r) => r.status === 'sent').map((r) => `${r.team}/${r.channel}`).sort())
      .toEqual(['(organisation)/email', '(organisation)/webhook', 'data/email', 'platform/email', 'small/email', 'tiny/email']);
    const retried = rows.find((r) => r.attempts === 2)!;
    expect(retried.status).toBe('sent');
    const audit = await new AuditTrail(store, 'test').query({ action: 'report.send', limit: 100 });
    expect(audit.filter((a) => a.outcome === 'ok')).toHaveLength(6);
    expect(audit.map((a) => a.detail).join('')).not.toContain(SMTP_PASS);
  });

  it('sends nothing twice: a restart on Monday morning skips every team already mailed', async () => {
    const m2 = new CollectorMetrics();
    const outcomes = await runner(m2).run({ now: new Date('2026-11-23T09:30:00Z') });
    expect(received).toHaveLength(5);
    expect(posts).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'sent')).toEqual([]);
    expect(m2.reportSends.get({ channel: 'email', status: 'skipped' })).toBe(6); // 5 sent before + nomgr
  });

  it('two collectors running at once still mail each team once', async () => {
    const [a, b] = [runner(new CollectorMetrics(), 300), runner(new CollectorMetrics(), 300)];
    const week = '2026-W46';
    const [ra, rb] = await Promise.all([a.run({ now: MONDAY, week, org: false }), b.run({ now: MONDAY, week, org: false })]);
    const sent = [...ra, ...rb].filter((o) => o.status === 'sent').map((o) => o.team).sort();
    expect(sent).toEqual(['data', 'platform', 'small', 'tiny']);
    expect(received.filter((r) => r.mail.subject?.includes('2026-W46'))).toHaveLength(4);
  });

  it('a send that keeps failing is marked failed, counted, audited, and retried by the next run', async () => {
    refuseNext = 100;
    const m = new CollectorMetrics();
    const out = await runner(m).run({ now: MONDAY, week: '2026-W45', teams: ['platform'] });
    expect(out).toEqual([expect.objectContaining({ team: 'platform', status: 'failed', attempts: 3 })]);
    expect(out[0]!.detail).toMatch(/451/);
    expect(m.reportSends.get({ channel: 'email', status: 'failed' })).toBe(1);
    expect(m.reportSends.get({ channel: 'email', status: 'retry' })).toBe(2);
    const audit = await new AuditTrail(store, 'test').query({ action: 'report.send', limit: 100 });
    expect(audit.find((a) => a.outcome === 'error')?.target).toBe('platform 2026-W45 email');
    refuseNext = 0;
    const again = await runner(new CollectorMetrics()).run({ now: MONDAY, week: '2026-W45', teams: ['platform'] });
    expect(again).toEqual([expect.objectContaining({ status: 'sent', attempts: 4 })]);
  });

  it('a wrong SMTP password fails cleanly and never shows the password', async () => {
    const s = settings();
    s.smtp = { ...s.smtp!, password: 'wrong-MARKER-secret' };
    s.retry = { attempts: 1, backoffMs: 0 };
    const out = await runner(new CollectorMetrics(), 0, s).run({ now: MONDAY, week: '2026-W44', teams: ['data'] });
    expect(out[0]!.status).toBe('failed');
    expect(out[0]!.detail).not.toContain('wrong-MARKER-secret');
  });
});
