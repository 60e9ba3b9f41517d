/**
 * HTML for mail clients: tables for layout, inline styles only, 600 px wide, no scripts, no images,
 * no external resources. Every value from data or config goes through escapeHtml.
 */
import { STATUS_LABEL, bytes, compact, escapeHtml as e, expiryDay, int, weekRange } from './format.js';
import { change } from './model.js';
import type { AnomalyLine, OrgReport, OrgSection, Report, TeamReport, ToolLine, Totals, Volume } from './model.js';

const FONT = "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif";
const CELL = `padding:6px 8px;border-bottom:1px solid #e5e7eb;font-size:13px;vertical-align:top;word-break:break-word;${FONT}`;
const HEAD = `padding:6px 8px;border-bottom:2px solid #d1d5db;font-size:12px;color:#374151;text-align:left;${FONT}`;
const BADGE: Record<string, string> = {
  unapproved: 'background:#fee2e2;color:#991b1b',
  tolerated: 'background:#fef3c7;color:#92400e',
  exception: 'background:#e0e7ff;color:#3730a3',
  approved: 'background:#dcfce7;color:#166534',
};

function badge(status: string, expires: string | null): string {
  const label = STATUS_LABEL[status] ?? status;
  const until = status === 'exception' && expires ? ` until ${expiryDay(expires)}` : '';
  return `<span style="display:inline-block;padding:1px 6px;border-radius:3px;font-size:11px;${BADGE[status] ?? ''}">${e(label + until)}</span>`;
}

function section(id: string, title: string, body: string): string {
  return `<tr><td data-section="${id}" style="padding:18px 20px 4px 20px;${FONT}">
<h2 style="margin:0 0 8px 0;font-size:16px;color:#111827;${FONT}">${e(title)}</h2>
${body}
</td></tr>`;
}

function table(headers: string[], rows: string[][], align: Array<'left' | 'right'> = [], widths: string[] = []): string {
  const th = headers.map((h, i) => `<th${widths[i] ? ` width="${widths[i]}"` : ''} style="${HEAD};text-align:${align[i] ?? 'left'}${widths[i] ? `;width:${widths[i]}` : ''}">${e(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c, i) => `<td style="${CELL};text-align:${align[i] ?? 'left'}">${c}</td>`).join('')}</tr>`).join('\n');
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;width:100%;table-layout:fixed">
<tr>${th}</tr>
${tr}
</table>`;
}

function para(text: string, style = ''): string {
  return `<p style="margin:4px 0 8px 0;font-size:13px;color:#374151;${FONT};${style}">${text}</p>`;
}

function delta(now: number, before: number | null): string {
  const c = change(now, before);
  const color = c.startsWith('+') || c === 'new' ? '#b45309' : c.startsWith('−') ? '#047857' : '#6b7280';
  return `<span style="color:${color};font-size:11px">${e(c)}</span>`;
}

function toolRows(lines: ReadonlyArray<Omit<ToolLine, 'rule' | 'reason' | 'sightings'>>): string[][] {
  return lines.map((l) => [
    `<strong>${e(l.name)}</strong>${l.isNew ? ' <span style="font-size:11px;color:#b45309">NEW</span>' : ''}<br>${badge(l.status, l.expires)}<br><span style="font-size:11px;color:#6b7280">${e(l.evidenceKinds.join(', '))}</span>`,
    `${int(l.users)} / ${int(l.hosts)}<br>${delta(l.users, l.previous?.users ?? null)}`,
    `${e(compact(l.tokens))}<br>${delta(l.tokens, l.previous?.tokens ?? null)}`,
    `${e(compact(l.estTokens))}<br>${delta(l.estTokens, l.previous?.estTokens ?? null)}`,
    `${e(bytes(l.bytes))}<br>${delta(l.bytes, l.previous?.bytes ?? null)}`,
  ]);
}

const TOOL_HEAD = ['Tool', 'Users / hosts', 'Tokens (exact)', 'Tokens (est.)', 'Bytes'];
const TOOL_ALIGN: Array<'left' | 'right'> = ['left', 'right', 'right', 'right', 'right'];
const TOOL_WIDTHS = ['32%', '17%', '17%', '17%', '17%'];

function summary(t: Totals, prev: Volume): string {
  const cell = (label: string, value: string, d: string): string =>
    `<td style="padding:8px;background:#f9fafb;border:1px solid #e5e7eb;text-align:center;${FONT}"><div style="font-size:18px;font-weight:bold;color:#111827">${value}</div><div style="font-size:11px;color:#6b7280">${e(label)}</div><div>${d}</div></td>`;
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="4" border="0" style="width:100%;table-layout:fixed"><tr>
${cell('people', int(t.users), delta(t.users, prev.users))}
${cell('tools', int(t.tools), '')}
${cell('unapproved tools', `<span style="color:${t.unapprovedTools ? '#991b1b' : '#111827'}">${int(t.unapprovedTools)}</span>`, '')}
${cell('tokens (exact)', e(compact(t.tokens)), delta(t.tokens, prev.tokens))}
${cell('tokens (est.)', e(compact(t.estTokens)), delta(t.estTokens, prev.estTokens))}
</tr></table>`;
}

function anomalyRows(list: readonly AnomalyLine[]): string[][] {
  return list.map((a) => [
    e(a.day), e(a.user), e(a.metric === 'tokens' ? 'exact' : 'estimated'), e(compact(a.volume)), e(`${compact(a.baseline)} (×${a.ratio.toFixed(1)})`), e(a.tool),
  ]);
}

function page(title: string, subtitle: string, body: string, url: string | null, footer: string): string {
  const link = url ? para(`<a href="${e(url)}" style="color:#1d4ed8">Open this report in a browser</a>`) : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light"><title>${e(title)}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6"><tr><td align="center" style="padding:12px 0">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background:#ffffff;border:1px solid #e5e7eb">
<tr><td data-section="header" style="padding:20px 20px 8px 20px;background:#111827;${FONT}">
<h1 style="margin:0;font-size:20px;color:#ffffff;word-break:break-word;${FONT}">${e(title)}</h1>
<p style="margin:6px 0 0 0;font-size:13px;color:#d1d5db;${FONT}">${e(subtitle)}</p>
</td></tr>
${body}
<tr><td data-section="footer" style="padding:16px 20px 20px 20px;${FONT}">${link}${para(footer, 'font-size:11px;color:#6b7280')}</td></tr>
</table>
</td></tr></table>
</body></html>
`;
}

export function teamHtml(r: TeamReport): string {
  const parts: string[] = [];
  parts.push(section('summary', 'Summary', summary(r.totals, r.previousTotals)));
  const unapproved = r.unapproved.length === 0
    ? para('No unapproved or tolerated tool was used this week.')
    : table(['Tool', 'People', 'Hosts'], r.unapproved.map((u) => [
      `<strong>${e(u.name)}</strong><br>${badge(u.status, null)}<br><span style="font-size:11px;color:#6b7280">${e(u.evidenceKinds.join(', '))}</span>`,
      e(u.users.join(', ') || '–'), e(u.hosts.join(', ') || '–'),
    ]));
  parts.push(section('unapproved', 'Not approved: used this week', unapproved));
  parts.push(section('tools', 'Tools in use', r.tools.length === 0 ? para('No AI tool was seen this week.') : table(TOOL_HEAD, toolRows(r.tools), TOOL_ALIGN, TOOL_WIDTHS) + para('Change is against the previous week. Exact tokens come from usage logs; estimated tokens from network bytes. They are never added together.', 'font-size:11px;color:#6b7280')));
  parts.push(section('changes', 'What changed', para(`<strong>New this week:</strong> ${e(r.newTools.map((t) => t.name).join(', ') || 'none')}`) + para(`<strong>No longer seen:</strong> ${e(r.goneTools.map((t) => t.name).join(', ') || 'none')}`)));
  parts.push(section('anomalies', 'Token anomalies', r.anomalies.length === 0
    ? para('No anomalous token volume this week.')
    : table(['Day (UTC)', 'Person', 'Tokens', 'Volume', 'Baseline', 'Tool'], anomalyRows(r.anomalies), ['left', 'left', 'left', 'right', 'right', 'left'])));
  const silent = r.coverage.silent.length === 0 ? para('Every enrolled host reported this week.')
    : table(['Silent host', 'Last seen (UTC)'], r.coverage.silent.map((s) => [e(s.hostname), e(s.lastSeen ? s.lastSeen.slice(0, 16) : 'never')]));
  parts.push(section('coverage', 'Coverage', para(`<strong>${int(r.coverage.reporting)}</strong> of <strong>${int(r.coverage.enrolled)}</strong> enrolled agents reported this week.`) + silent));
  return page(
    `AI tools in ${r.team || '(no team)'} — ${r.week}`,
    weekRange(r.start, r.end, r.timezone),
    parts.join('\n'),
    r.url,
    `aiscout weekly report for the managers of ${e(r.team)}, generated ${e(r.generatedAt.slice(0, 16).replace('T', ' '))} UTC. Metadata only: no prompts, files or URLs are collected. Approval states are the policy in force when the report was made.`,
  );
}

function orgSection(s: OrgSection): string {
  const title = s.team === 'other' ? `Other (${s.teams} teams under k)` : s.team;
  return section('team', title, summary(s.totals, s.previousTotals)
    + (s.tools.length ? table(TOOL_HEAD, toolRows(s.tools), TOOL_ALIGN, TOOL_WIDTHS) : para('No AI tool was seen.'))
    + para(`<strong>New:</strong> ${e(s.newTools.join(', ') || 'none')} · <strong>No longer seen:</strong> ${e(s.goneTools.join(', ') || 'none')}`)
    + para(`<strong>Anomalies:</strong> ${int(s.totals.anomalies)} · <strong>Coverage:</strong> ${int(s.coverage.reporting)} of ${int(s.coverage.enrolled)} agents reported, ${int(s.coverage.silent)} silent`));
}

export function orgHtml(r: OrgReport): string {
  const overview = table(['Team', 'People', 'Tools', 'Unapproved', 'Tokens', 'Est.', 'Anom.'], r.sections.map((s) => [
    e(s.team === 'other' ? `other (${s.teams})` : s.team), int(s.totals.users), int(s.totals.tools),
    `<span style="color:${s.totals.unapprovedTools ? '#991b1b' : '#111827'}">${int(s.totals.unapprovedTools)}</span>`,
    e(compact(s.totals.tokens)), e(compact(s.totals.estTokens)), int(s.totals.anomalies),
  ]), ['left', 'right', 'right', 'right', 'right', 'right', 'right']);
  const parts = [
    section('summary', 'Organisation', summary(r.totals, previousOf(r))),
    section('teams', 'Teams', overview + (r.hiddenTeams ? para(`${int(r.hiddenTeams)} team(s) with fewer than ${r.k} people are not shown (fewer than ${r.k} people in "other" too).`) : '')),
    ...r.sections.map(orgSection),
  ];
  return page(
    `AI tools across the organisation — ${r.week}`,
    `ISO week ${r.week}, each team in its own time zone · teams with fewer than ${r.k} people fold into "other"`,
    parts.join('\n'),
    r.url,
    `aiscout organisation report for security, generated ${e(r.generatedAt.slice(0, 16).replace('T', ' '))} UTC. Aggregates only: no names of people or hosts.`,
  );
}

function previousOf(r: OrgReport): Volume {
  const v: Volume = { users: 0, hosts: 0, tokens: 0, estTokens: 0, bytes: 0 };
  for (const s of r.sections) {
    v.users += s.previousTotals.users;
    v.tokens += s.previousTotals.tokens;
    v.estTokens += s.previousTotals.estTokens;
    v.bytes += s.previousTotals.bytes;
  }
  return v;
}

export function renderHtml(r: Report): string {
  return r.kind === 'team' ? teamHtml(r) : orgHtml(r);
}
