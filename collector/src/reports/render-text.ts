/** Plain text (the mail's text part) and Markdown (chat tools) renderings of a report. */
import { STATUS_LABEL, bytes, compact, escapeMarkdown as md, expiryDay, int, weekRange } from './format.js';
import { change, type OrgReport, type OrgSection, type Report, type TeamReport } from './model.js';

function status(s: string, expires: string | null): string {
  return `${STATUS_LABEL[s] ?? s}${s === 'exception' && expires ? ` until ${expiryDay(expires)}` : ''}`;
}

/** Control characters out of values that come from agents or config. */
function clean(v: string): string {
  // eslint-disable-next-line no-control-regex
  return v.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

export function teamText(r: TeamReport): string {
  const L: string[] = [];
  L.push(`AI tools in ${clean(r.team) || '(no team)'} - ${r.week}`, weekRange(r.start, r.end, r.timezone), '');
  L.push('SUMMARY');
  L.push(`  people ${int(r.totals.users)} (${change(r.totals.users, r.previousTotals.users)}), tools ${int(r.totals.tools)}, unapproved tools ${int(r.totals.unapprovedTools)}`);
  L.push(`  tokens exact ${int(r.totals.tokens)} (${change(r.totals.tokens, r.previousTotals.tokens)}), estimated ${int(r.totals.estTokens)} (${change(r.totals.estTokens, r.previousTotals.estTokens)}), bytes ${bytes(r.totals.bytes)}`, '');
  L.push('NOT APPROVED: USED THIS WEEK');
  if (r.unapproved.length === 0) L.push('  none');
  for (const u of r.unapproved) L.push(`  - ${clean(u.name)} [${status(u.status, null)}] people: ${clean(u.users.join(', ') || '-')}; hosts: ${clean(u.hosts.join(', ') || '-')}`);
  L.push('', 'TOOLS IN USE');
  if (r.tools.length === 0) L.push('  none');
  for (const t of r.tools) {
    L.push(`  - ${clean(t.name)}${t.isNew ? ' (NEW)' : ''} [${status(t.status, t.expires)}] ${int(t.users)} people (${change(t.users, t.previous?.users ?? null)}), ${int(t.hosts)} hosts; ` +
      `tokens exact ${int(t.tokens)} (${change(t.tokens, t.previous?.tokens ?? null)}), estimated ${int(t.estTokens)}; bytes ${bytes(t.bytes)}; evidence: ${t.evidenceKinds.join(', ')}`);
  }
  L.push('', 'WHAT CHANGED');
  L.push(`  new this week: ${clean(r.newTools.map((t) => t.name).join(', ')) || 'none'}`);
  L.push(`  no longer seen: ${clean(r.goneTools.map((t) => t.name).join(', ')) || 'none'}`, '');
  L.push('TOKEN ANOMALIES');
  if (r.anomalies.length === 0) L.push('  none');
  for (const a of r.anomalies) L.push(`  - ${a.day} ${clean(a.user)}: ${int(a.volume)} ${a.metric === 'tokens' ? 'exact' : 'estimated'} tokens, ${a.ratio.toFixed(1)}x the baseline ${int(a.baseline)} (${clean(a.tool)})`);
  L.push('', 'COVERAGE');
  L.push(`  ${int(r.coverage.reporting)} of ${int(r.coverage.enrolled)} enrolled agents reported this week`);
  for (const s of r.coverage.silent) L.push(`  - silent: ${clean(s.hostname)} (last seen ${s.lastSeen ? s.lastSeen.slice(0, 16) : 'never'} UTC)`);
  if (r.url) L.push('', `Open in a browser: ${r.url}`);
  L.push('', 'Metadata only: no prompts, files or URLs are collected.');
  return `${L.join('\n')}\n`;
}

function sectionText(s: OrgSection, L: string[]): void {
  L.push('', s.team === 'other' ? `OTHER (${s.teams} teams under k)` : `TEAM ${clean(s.team)}`);
  L.push(`  people ${int(s.totals.users)}, tools ${int(s.totals.tools)}, unapproved ${int(s.totals.unapprovedTools)}, tokens exact ${int(s.totals.tokens)}, estimated ${int(s.totals.estTokens)}, anomalies ${int(s.totals.anomalies)}`);
  for (const t of s.tools) L.push(`  - ${clean(t.name)} [${status(t.status, t.expires)}] ${int(t.users)} people, tokens ${int(t.tokens)}, est. ${int(t.estTokens)}, bytes ${bytes(t.bytes)}`);
  L.push(`  coverage: ${int(s.coverage.reporting)} of ${int(s.coverage.enrolled)} agents reported, ${int(s.coverage.silent)} silent`);
}

export function orgText(r: OrgReport): string {
  const L: string[] = [`AI tools across the organisation - ${r.week}`, `Teams with fewer than ${r.k} people fold into "other".`, ''];
  L.push(`people ${int(r.totals.users)}, tools ${int(r.totals.tools)}, unapproved tools ${int(r.totals.unapprovedTools)}, tokens exact ${int(r.totals.tokens)}, estimated ${int(r.totals.estTokens)}, anomalies ${int(r.totals.anomalies)}`);
  for (const s of r.sections) sectionText(s, L);
  if (r.hiddenTeams) L.push('', `${r.hiddenTeams} team(s) under k are not shown.`);
  if (r.url) L.push('', `Open in a browser: ${r.url}`);
  return `${L.join('\n')}\n`;
}

export function renderText(r: Report): string {
  return r.kind === 'team' ? teamText(r) : orgText(r);
}

/**
 * Markdown for chat. A team report posted to a channel leaves the team's managers, so it carries no
 * names of people or hosts, and no figures at all when the team is under k.
 */
export function teamMarkdown(r: TeamReport, audience: 'managers' | 'outside' = 'managers'): string {
  const L: string[] = [`*AI tools in ${md(r.team || '(no team)')} — ${r.week}*`, weekRange(r.start, r.end, r.timezone), ''];
  if (audience === 'outside' && !r.meetsK) {
    L.push(`This team has fewer than ${r.k} people using AI tools this week: its figures go to its managers only.`);
    if (r.url) L.push('', `<${r.url}|Open the report> (sign-in needed)`);
    return `${L.join('\n')}\n`;
  }
  L.push(`People: *${int(r.totals.users)}* (${change(r.totals.users, r.previousTotals.users)}) · Tools: *${int(r.totals.tools)}* · Unapproved tools: *${int(r.totals.unapprovedTools)}* · Tokens: *${compact(r.totals.tokens)}* exact, *${compact(r.totals.estTokens)}* estimated`, '');
  if (r.unapproved.length > 0) {
    L.push('*Not approved, used this week*');
    for (const u of r.unapproved) {
      L.push(audience === 'managers'
        ? `• ${md(u.name)} (${status(u.status, null)}): ${md(u.users.join(', '))}`
        : `• ${md(u.name)} (${status(u.status, null)}): ${u.users.length} people`);
    }
    L.push('');
  }
  L.push('| Tool | Status | People | Hosts | Tokens | Est. tokens | Bytes | Δ tokens |', '|---|---|---:|---:|---:|---:|---:|---:|');
  for (const t of r.tools) {
    L.push(`| ${md(t.name)}${t.isNew ? ' (new)' : ''} | ${status(t.status, t.expires)} | ${int(t.users)} | ${int(t.hosts)} | ${int(t.tokens)} | ${int(t.estTokens)} | ${bytes(t.bytes)} | ${change(t.tokens + t.estTokens, t.previous ? t.previous.tokens + t.previous.estTokens : null)} |`);
  }
  L.push('', `New: ${md(r.newTools.map((t) => t.name).join(', ')) || 'none'} · No longer seen: ${md(r.goneTools.map((t) => t.name).join(', ')) || 'none'}`);
  L.push(`Anomalies: ${r.anomalies.length}${audience === 'managers' && r.anomalies.length ? ` (${r.anomalies.map((a) => `${a.day} ${md(a.user)}`).join('; ')})` : ''}`);
  L.push(`Coverage: ${int(r.coverage.reporting)} of ${int(r.coverage.enrolled)} agents reported${r.coverage.silent.length ? `, ${r.coverage.silent.length} silent` : ''}`);
  if (r.url) L.push('', `<${r.url}|Open the full report>`);
  return `${L.join('\n')}\n`;
}

export function orgMarkdown(r: OrgReport): string {
  const L: string[] = [`*AI tools across the organisation — ${r.week}*`, `Teams with fewer than ${r.k} people fold into "other".`, ''];
  L.push('| Team | People | Tools | Unapproved | Tokens | Est. tokens | Anomalies | Agents reporting |', '|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of r.sections) {
    L.push(`| ${s.team === 'other' ? `other (${s.teams})` : md(s.team)} | ${int(s.totals.users)} | ${int(s.totals.tools)} | ${int(s.totals.unapprovedTools)} | ${int(s.totals.tokens)} | ${int(s.totals.estTokens)} | ${int(s.totals.anomalies)} | ${int(s.coverage.reporting)}/${int(s.coverage.enrolled)} |`);
  }
  if (r.hiddenTeams) L.push('', `${r.hiddenTeams} team(s) under k are not shown.`);
  if (r.url) L.push('', `<${r.url}|Open the full report>`);
  return `${L.join('\n')}\n`;
}

export function renderMarkdown(r: Report, audience: 'managers' | 'outside' = 'managers'): string {
  return r.kind === 'team' ? teamMarkdown(r, audience) : orgMarkdown(r);
}
