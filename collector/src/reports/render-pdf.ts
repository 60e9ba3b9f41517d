/**
 * PDF through headless Chromium's print to PDF (playwright-core, which never downloads a browser).
 * Optional at runtime: without Chromium, PDF fails with a clear message and the other formats work.
 */
import { existsSync } from 'node:fs';
import { ReportError } from './build.js';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export async function renderPdf(html: string, chromiumPath: string): Promise<Buffer> {
  if (!existsSync(chromiumPath)) {
    throw new ReportError('PDF_UNAVAILABLE', `PDF needs Chromium, not found at ${chromiumPath} (install it, e.g. apt-get install chromium, or set reports.chromium_path); html, text, csv, json and md work without it`);
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
    const page = await context.newPage();
    // The report has no external resources; anything that tries to load is refused.
    await page.route('**/*', (route) => (route.request().url().startsWith('data:') ? route.continue() : route.abort()));
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', printBackground: true, margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' } });
  } finally {
    await browser.close();
  }
}
