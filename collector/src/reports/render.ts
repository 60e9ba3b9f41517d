/** One entry point for every format. */
import { ReportError } from './build.js';
import type { Report } from './model.js';
import { renderCsv, renderJson } from './render-data.js';
import { renderHtml } from './render-html.js';
import { renderPdf } from './render-pdf.js';
import { renderMarkdown, renderText } from './render-text.js';

export const FORMATS = ['html', 'text', 'csv', 'json', 'md', 'pdf'] as const;
export type ReportFormat = (typeof FORMATS)[number];

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  html: 'text/html; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  pdf: 'application/pdf',
};

export function isFormat(value: string): value is ReportFormat {
  return (FORMATS as readonly string[]).includes(value);
}

export async function render(report: Report, format: string, opts: { chromiumPath: string }): Promise<Buffer> {
  switch (format) {
    case 'html': return Buffer.from(renderHtml(report));
    case 'text': return Buffer.from(renderText(report));
    case 'csv': return Buffer.from(renderCsv(report));
    case 'json': return Buffer.from(renderJson(report));
    case 'md': return Buffer.from(renderMarkdown(report));
    case 'pdf': return renderPdf(renderHtml(report), opts.chromiumPath);
    default: throw new ReportError('BAD_FORMAT', `unknown format ${JSON.stringify(format.slice(0, 20))}: use ${FORMATS.join(', ')}`);
  }
}
