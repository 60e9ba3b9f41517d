import type { SensorHealth } from '@aiscout/protocol';
import { SENSOR_ERROR_TYPES } from '@aiscout/protocol';
import type { ScanResult } from './scan.js';

/** Pads columns to their widest cell; the last column is not padded. */
function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

export function healthLine(h: SensorHealth): string {
  const errors = SENSOR_ERROR_TYPES.filter((t) => h.errors[t] > 0).map((t) => `${t} ${h.errors[t]}`);
  const state = h.enabled ? 'ran' : `disabled (${h.disabled_reason ?? 'no reason given'})`;
  const parts = [`${h.observations} observations`, errors.length ? `errors: ${errors.join(', ')}` : 'no errors'];
  if (h.dropped > 0) parts.push(`${h.dropped} dropped at caps`);
  return `  ${h.name.padEnd(20)} ${state}, ${parts.join(', ')}`;
}

/** The human-readable scan report: detections table, summary line, sensor health. */
export function formatTable(result: ScanResult): string {
  const lines: string[] = [];
  if (result.detections.length > 0) {
    const rows = [['TOOL', 'CATEGORY', 'EVIDENCE', 'VALUE', 'USER', 'COUNT', 'CONFIDENCE']];
    for (const d of result.detections) {
      rows.push([d.tool, d.category, d.evidence.matcher, d.evidence.value, d.user, String(d.count), d.confidence.toFixed(2)]);
    }
    lines.push(...table(rows), '');
  }
  const tools = new Set(result.detections.map((d) => d.tool)).size;
  lines.push(
    `${result.detections.length} detections of ${tools} tools from ${result.observations} observations ` +
      `(${result.unmatched} not AI, dropped) in ${result.homes} homes; catalog ${result.catalog_version}; ${result.duration_ms} ms`,
  );
  lines.push('sensors:', ...result.sensors.map(healthLine));
  return lines.join('\n') + '\n';
}

/** JSON lines: one per detection, one per sensor, then a summary. */
export function formatJsonLines(result: ScanResult): string {
  const lines = [
    ...result.detections.map((d) => ({ type: 'detection', ...d })),
    ...result.sensors.map((s) => ({ type: 'sensor', ...s })),
    {
      type: 'summary',
      detections: result.detections.length,
      observations: result.observations,
      unmatched: result.unmatched,
      homes: result.homes,
      catalog_version: result.catalog_version,
      duration_ms: result.duration_ms,
    },
  ];
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}
