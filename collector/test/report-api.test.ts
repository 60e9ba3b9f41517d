/** GET /reports/latest on the collector: bearer token, formats, errors (app.inject, real chDB). */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, admin, buildApp, tempDir, testConfig } from './helpers.js';
import { DEFAULT_REPORT_SETTINGS } from '../src/reports/settings.js';
import { generateEvents, seed } from './fixtures/reports/seed.js';

const REPORT_TOKEN = 'report-token-MARKER-1a2b3c4d5e6f7a8b';
const dir = tempDir('aiscout-report-api-');
let app: FastifyInstance;

beforeAll(async () => {
  const config = testConfig(dir.path, { reports: { ...structuredClone(DEFAULT_REPORT_SETTINGS), tokens: [REPORT_TOKEN], chromiumPath: '/nonexistent/chromium' } });
  app = await buildApp(config);
  await seed(app.collector.store, generateEvents());
}, 120_000);

afterAll(async () => {
  await app?.close();
  dir.cleanup();
});

describe('GET /reports/latest', () => {
  it('requires the admin or report bearer token, and audits a failure', async () => {
    const res = await app.inject({ method: 'GET', url: '/reports/latest' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'ADMIN_UNAUTHORIZED' });
    const wrong = await app.inject({ method: 'GET', url: '/reports/latest', headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } });
    expect(wrong.statusCode).toBe(401);
    const audit = await app.collector.audit.query({ action: 'admin.auth_failed' });
    expect(audit.some((a) => a.target === '/reports/latest')).toBe(true);
  });

  it('serves a team report as HTML with a strict content policy', async () => {
    const res = await app.inject({ method: 'GET', url: '/reports/latest?team=platform&week=2026-W47', headers: admin });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).toContain('AI tools in platform — 2026-W47');
    expect(res.body).not.toMatch(/<script/i);
  });

  it('serves JSON, CSV, Markdown and text with the report token', async () => {
    const auth = { authorization: `Bearer ${REPORT_TOKEN}` };
    const json = await app.inject({ method: 'GET', url: '/reports/latest?team=platform&week=2026-W47&format=json', headers: auth });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toMatchObject({ schema: 'aiscout.report.v1', kind: 'team', team: 'platform', week: '2026-W47', start: '2026-11-16T08:00:00.000Z' });
    const csv = await app.inject({ method: 'GET', url: '/reports/latest?team=platform&week=2026-W47&format=csv', headers: auth });
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.body).toContain(',ollama,Ollama,');
    const md = await app.inject({ method: 'GET', url: '/reports/latest?week=2026-W47&format=md', headers: auth });
    expect(md.body).toContain('| platform | 6 |');
    expect(md.body).not.toMatch(/\btiny\b/);
    const text = await app.inject({ method: 'GET', url: '/reports/latest?week=2026-W47&format=text', headers: auth });
    expect(text.body).toContain('TEAM platform');
  });

  it('defaults to the organisation report of the last complete week', async () => {
    const res = await app.inject({ method: 'GET', url: '/reports/latest?format=json', headers: admin });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ kind: 'org', k: 5 });
  });

  it('answers clear errors: unknown team, week that does not exist, bad format, PDF without Chromium', async () => {
    const unknown = await app.inject({ method: 'GET', url: '/reports/latest?team=nope&week=2026-W47', headers: admin });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().detail[0]).toMatch(/no team "nope"/);
    const week = await app.inject({ method: 'GET', url: '/reports/latest?week=2027-W53', headers: admin });
    expect(week.statusCode).toBe(400);
    expect(week.json().detail[0]).toMatch(/does not exist/);
    const format = await app.inject({ method: 'GET', url: '/reports/latest?format=docx', headers: admin });
    expect(format.statusCode).toBe(400);
    const pdf = await app.inject({ method: 'GET', url: '/reports/latest?team=platform&week=2026-W47&format=pdf', headers: admin });
    expect(pdf.statusCode).toBe(501);
    expect(pdf.json()).toMatchObject({ code: 'REPORT_UNAVAILABLE' });
    expect(pdf.json().detail[0]).toMatch(/Chromium/);
  });
});
