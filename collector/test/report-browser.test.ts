/**
 * The HTML as a person sees it: opened in headless Chromium (playwright-core, /usr/bin/chromium) at
 * 600 px, the mail width: no horizontal overflow, every section present, nothing executable, and a
 * screenshot kept for a human look. The PDF is printed by Chromium and read back with pdftotext.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrgReport, buildTeamReports, ReportError } from '../src/reports/build.js';
import type { OrgReport, TeamReport } from '../src/reports/model.js';
import { renderHtml } from '../src/reports/render-html.js';
import { CHROMIUM_ARGS, renderPdf } from '../src/reports/render-pdf.js';
import type { Store } from '../src/store/store.js';
import { tempDir } from './helpers.js';
import { generateEvents, openStore, seed } from './fixtures/reports/seed.js';

const CHROMIUM = '/usr/bin/chromium';
/** Screenshots and PDFs stay here after the run, for a person to look at. */
const SHOTS = join(tmpdir(), 'aiscout-report-shots');
const dir = tempDir('aiscout-report-browser-');
let store: Store;
let browser: Browser;
let team: TeamReport;
let org: OrgReport;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  store = openStore(join(dir.path, 'clickhouse'));
  await seed(store, generateEvents());
  const now = new Date('2026-11-24T08:00:00Z');
  team = (await buildTeamReports(store, { week: '2026-W47', k: 5, teams: ['platform'], now, baseUrl: 'https://aiscout.corp.example' }))[0]!;
  org = await buildOrgReport(store, { week: '2026-W47', k: 5, now });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await store?.close();
  dir.cleanup();
});

interface PageFacts {
  scrollWidth: number;
  sections: string[];
  scripts: number;
  images: number;
  handlers: number;
  text: string;
}

async function open(html: string, shot: string, js = false) {
  const context = await browser.newContext({ viewport: { width: 600, height: 800 }, javaScriptEnabled: js });
  const page = await context.newPage();
  const requests: string[] = [];
  const dialogs: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.setContent(html, { waitUntil: 'load' });
  await page.screenshot({ path: join(SHOTS, shot), fullPage: true });
  // A string, so the test compiles without DOM types; it runs in the page.
  const facts = await page.evaluate<PageFacts>(`({
    scrollWidth: document.documentElement.scrollWidth,
    sections: [...document.querySelectorAll('[data-section]')].map((e) => e.getAttribute('data-section')),
    scripts: document.querySelectorAll('script').length,
    images: document.querySelectorAll('img').length,
    handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
    text: document.body.innerText,
  })`);
  await context.close();
  return { ...facts, requests: requests.filter((u) => u !== 'about:blank'), dialogs };
}

describe('HTML in Chromium at 600 px', () => {
  it('team report: all sections, no horizontal overflow, nothing loaded or run', async () => {
    const f = await open(renderHtml(team), 'team-platform.png');
    expect(f.sections).toEqual(['header', 'summary', 'unapproved', 'tools', 'changes', 'anomalies', 'coverage', 'footer']);
    expect(f.scrollWidth).toBeLessThanOrEqual(600);
    expect(f.scripts + f.images + f.handlers).toBe(0);
    expect(f.requests).toEqual([]);
    expect(f.text).toContain('<img src=x onerror=alert(1)>');
    expect(f.text).toContain('Not approved: used this week');
    expect(f.text).toContain('p3-laptop');
  });

  it('organisation report: a section per team at or above k, "other" for the rest, no overflow', async () => {
    const f = await open(renderHtml(org), 'org.png');
    expect(f.sections.filter((s) => s === 'team')).toHaveLength(org.sections.length);
    expect(f.sections.slice(0, 3)).toEqual(['header', 'summary', 'teams']);
    expect(f.scrollWidth).toBeLessThanOrEqual(600);
    expect(f.text).toMatch(/Other \(4 teams under k\)/);
    expect(f.text).not.toMatch(/\btiny\b|\bsmall\b|p1|laptop/);
  });

  it('a hostile team name is text, even with JavaScript on', async () => {
    const evil = { ...team, team: '<script>alert("team")</script><img src=x onerror=alert(2)>', managers: [] };
    const f = await open(renderHtml(evil), 'team-hostile.png', true);
    expect(f.dialogs).toEqual([]);
    expect(f.scripts + f.images + f.handlers).toBe(0);
    expect(f.text).toContain('<script>alert("team")</script>');
    expect(f.scrollWidth).toBeLessThanOrEqual(600);
  });

  it('stays within 600 px with very long names', async () => {
    const long = { ...team, team: 'x'.repeat(64), tools: team.tools.map((t) => ({ ...t, name: `${t.name}-${'y'.repeat(120)}` })) };
    const f = await open(renderHtml(long), 'team-long-names.png');
    expect(f.scrollWidth).toBeLessThanOrEqual(600);
  });
});

describe('PDF', () => {
  it('is printed by Chromium, with every section in its text', async () => {
    const pdf = await renderPdf(renderHtml(team), CHROMIUM);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const file = join(SHOTS, 'team-platform.pdf');
    writeFileSync(file, pdf);
    const info = execFileSync('pdfinfo', [file]).toString();
    const pages = Number(/Pages:\s+(\d+)/.exec(info)?.[1]);
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(pages).toBeLessThanOrEqual(4);
    const text = execFileSync('pdftotext', ['-layout', file, '-']).toString();
    for (const heading of ['AI tools in platform', 'Summary', 'Not approved: used this week', 'Tools in use', 'What changed', 'Token anomalies', 'Coverage']) {
      expect(text).toContain(heading);
    }
    expect(text).toContain('Ollama');
    // Page 1 as an image, for a person to look at.
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', file, join(SHOTS, 'team-platform-pdf')]);
    expect(existsSync(join(SHOTS, 'team-platform-pdf-1.png'))).toBe(true);
  }, 60_000);

  it('fails with a clear message when Chromium is missing', async () => {
    const err = await renderPdf('<p>x</p>', '/nonexistent/chromium').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReportError);
    expect((err as ReportError).code).toBe('PDF_UNAVAILABLE');
    expect((err as Error).message).toMatch(/Chromium, not found at \/nonexistent\/chromium/);
  });
});
