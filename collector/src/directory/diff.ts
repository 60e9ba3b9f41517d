/**
 * Human-readable differences between two directories for the audit trail. Users appear by
 * pseudonym when the directory was loaded with a pseudonym key, so the trail holds no clear names.
 */
import type { Directory, DirectoryRow, TeamInfo } from './types.js';

export function diffDirectory(before: Directory, after: Directory): string[] {
  return [...diffTeams(before.teams(), after.teams()), ...diffRows(before.rows(), after.rows())];
}

function diffTeams(before: TeamInfo[], after: TeamInfo[]): string[] {
  const old = new Map(before.map((t) => [t.team, t]));
  const now = new Map(after.map((t) => [t.team, t]));
  const lines: string[] = [];
  for (const name of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const a = old.get(name);
    const b = now.get(name);
    if (a && !b) lines.push(`- team ${name}`);
    else if (!a && b) lines.push(`+ team ${name} (managers: ${list(b.managers)}; timezone ${b.timezone})`);
    else if (a && b) {
      if (list(a.managers) !== list(b.managers)) lines.push(`~ team ${name} managers: ${list(a.managers)} → ${list(b.managers)}`);
      if (a.timezone !== b.timezone) lines.push(`~ team ${name} timezone: ${a.timezone} → ${b.timezone}`);
    }
  }
  return lines;
}

function diffRows(before: DirectoryRow[], after: DirectoryRow[]): string[] {
  const key = (r: DirectoryRow): string => `${r.kind}\u0000${r.key}`;
  const old = new Map(before.map((r) => [key(r), r]));
  const now = new Map(after.map((r) => [key(r), r]));
  const lines: string[] = [];
  for (const k of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const a = old.get(k);
    const b = now.get(k);
    if (a && !b) lines.push(`- ${a.kind} ${shown(a)} (was ${a.team})`);
    else if (!a && b) lines.push(`+ ${b.kind} ${shown(b)} → ${b.team}`);
    else if (a && b && a.team !== b.team) lines.push(`~ ${b.kind} ${shown(b)}: ${a.team} → ${b.team}`);
  }
  return lines;
}

function shown(r: DirectoryRow): string {
  return r.pseudonym ?? r.key;
}

function list(items: string[]): string {
  return items.length === 0 ? 'none' : items.join(', ');
}
