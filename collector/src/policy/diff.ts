/** Human-readable differences between two policies, one line per change, for the audit trail. */
import type { Policy, PolicyRow } from './types.js';

/** `+` rule added, `-` rule removed, `~` rule changed; lines sorted by team then tool. */
export function diffPolicy(before: Policy, after: Policy): string[] {
  const lines: string[] = [];
  if (before.defaultState !== after.defaultState) lines.push(`~ default: ${before.defaultState} → ${after.defaultState}`);
  const old = index(before.rows());
  const now = index(after.rows());
  const keys = [...new Set([...old.keys(), ...now.keys()])].sort();
  for (const key of keys) {
    const a = old.get(key);
    const b = now.get(key);
    if (a && !b) lines.push(`- ${subject(a)} ${where(a)} (was ${a.state}${details(a)})`);
    else if (!a && b) lines.push(`+ ${subject(b)} ${b.state} ${where(b)}${details(b)}`);
    else if (a && b) {
      const changes: string[] = [];
      if (a.state !== b.state) changes.push(`${a.state} → ${b.state}`);
      if (a.expires !== b.expires) changes.push(`expires ${a.expires ?? 'never'} → ${b.expires ?? 'never'}`);
      if (a.reason !== b.reason) changes.push(`reason "${a.reason}" → "${b.reason}"`);
      if (changes.length > 0) lines.push(`~ ${subject(b)} ${where(b)}: ${changes.join(', ')}`);
    }
  }
  return lines;
}

function index(rows: PolicyRow[]): Map<string, PolicyRow> {
  // \u0000 cannot appear in a team name or tool id, so the key is unambiguous.
  return new Map(rows.map((r) => [`${r.team}\u0000${r.tool}`, r]));
}

function subject(r: PolicyRow): string {
  return r.kind === 'category' ? `category ${r.tool.slice('category:'.length)}` : `tool ${r.tool}`;
}

function where(r: PolicyRow): string {
  return r.team === '' ? 'globally' : `for team ${r.team}`;
}

function details(r: PolicyRow): string {
  const until = r.expires ? ` until ${r.expires}` : '';
  const why = r.reason ? `, reason: ${r.reason}` : '';
  return `${until}${why}`;
}
