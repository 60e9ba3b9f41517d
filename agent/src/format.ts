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

const ran = (result: ScanResult, name: string) => result.sensors.some((s) => s.name === name);

/** ISO time to the second: the table's "last seen". */
const shortTime = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');

function usageSection(result: ScanResult): string[] {
  if (result.usage.length === 0) return ['Token usage from local logs: none found', ''];
  const rows = [['TOOL', 'USER', 'MODEL', 'IN', 'OUT', 'CACHE-READ', 'CACHE-WRITE', 'REQUESTS', 'QUALITY', 'LAST-SEEN']];
  for (const u of result.usage) {
    rows.push([
      u.tool,
      u.user,
      u.model ?? '-',
      String(u.tokens_in),
      String(u.tokens_out),
      String(u.tokens_cache_read),
      String(u.tokens_cache_write),
      String(u.requests),
      u.quality,
      shortTime(u.last_seen),
    ]);
  }
  return ['Token usage from local logs:', ...table(rows), ''];
}

function mcpSection(result: ScanResult): string[] {
  if (result.mcp_servers.length + result.agent_settings.length === 0) return ['MCP servers and agent settings: none found', ''];
  const rows = [['TOOL', 'USER', 'SERVER', 'TRANSPORT', 'TARGET', 'FLAGS', 'LOCATION']];
  for (const s of result.mcp_servers) {
    const name = s.enabled ? s.name : `${s.name} (disabled)`;
    rows.push([s.tool, s.user, name, s.transport ?? '-', s.target ?? '-', s.flags.join(',') || '-', s.location]);
  }
  for (const s of result.agent_settings) {
    rows.push([s.tool, s.user, `setting:${s.setting}`, '-', '-', s.flags.join(',') || '-', s.location]);
  }
  return ['MCP servers and agent settings:', ...table(rows), ''];
}

/** The human-readable scan report: detections, usage and MCP tables, summary line, sensor health. */
export function formatTable(result: ScanResult): string {
  const lines: string[] = [];
  if (result.detections.length > 0) {
    const rows = [['TOOL', 'CATEGORY', 'EVIDENCE', 'VALUE', 'USER', 'COUNT', 'CONFIDENCE']];
    for (const d of result.detections) {
      rows.push([d.tool, d.category, d.evidence.matcher, d.evidence.value, d.user, String(d.count), d.confidence.toFixed(2)]);
    }
    lines.push(...table(rows), '');
  }
  if (ran(result, 'usage-logs')) lines.push(...usageSection(result));
  if (ran(result, 'mcp-servers')) lines.push(...mcpSection(result));
  const tools = new Set(result.detections.map((d) => d.tool)).size;
  // The first part is unchanged from the three-sensor scan; the new sensors add theirs only when they ran.
  const parts = [
    `${result.detections.length} detections of ${tools} tools from ${result.observations} observations ` +
      `(${result.unmatched} not AI, dropped) in ${result.homes} homes`,
    `catalog ${result.catalog_version}`,
  ];
  if (ran(result, 'usage-logs')) {
    const requests = result.usage.reduce((sum, u) => sum + u.requests, 0);
    parts.push(`usage-logs: ${result.usage.length} usage rows, ${requests} requests`);
  }
  if (ran(result, 'mcp-servers')) {
    parts.push(`mcp-servers: ${result.mcp_servers.length} MCP servers, ${result.agent_settings.length} agent settings`);
  }
  parts.push(`${result.duration_ms} ms`);
  lines.push(parts.join('; '));
  lines.push('sensors:', ...result.sensors.map(healthLine));
  return lines.join('\n') + '\n';
}

/**
 * JSON lines: one per detection, per usage row, per MCP server, per agent setting, one per sensor,
 * then a summary. Each line's `type` says what it is (detection, usage, mcp-server, agent-setting,
 * sensor, summary).
 */
export function formatJsonLines(result: ScanResult): string {
  const lines = [
    ...result.detections.map((d) => ({ type: 'detection', ...d })),
    ...result.usage.map((u) => ({ type: 'usage', ...u })),
    ...result.mcp_servers.map((s) => ({ type: 'mcp-server', ...s })),
    ...result.agent_settings.map((s) => ({ type: 'agent-setting', ...s })),
    ...result.sensors.map((s) => ({ type: 'sensor', ...s })),
    {
      type: 'summary',
      detections: result.detections.length,
      usage: result.usage.length,
      mcp_servers: result.mcp_servers.length,
      agent_settings: result.agent_settings.length,
      observations: result.observations,
      unmatched: result.unmatched,
      homes: result.homes,
      catalog_version: result.catalog_version,
      duration_ms: result.duration_ms,
    },
  ];
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}
