/** Collects directory entries from either file format, checks conflicts, and builds the lookup. */
import type { IssueList } from '../policy/issues.js';
import { canonicalTimeZone, normalizeEmail, normalizeHost, normalizeUser } from './names.js';
import { pseudonymize } from './pseudonym.js';
import type { Directory, DirectoryRow, TeamInfo } from './types.js';

interface Entry {
  team: string;
  line: number | null;
}

interface TeamDraft {
  managers: Set<string>;
  timezone: string | null;
  timezoneLine: number | null;
  line: number | null;
}

export class DirectoryBuilder {
  private readonly teams = new Map<string, TeamDraft>();
  private readonly users = new Map<string, Entry>();
  private readonly hosts = new Map<string, Entry>();

  constructor(private readonly issues: IssueList) {}

  hasTeam(team: string): boolean {
    return this.teams.has(team);
  }

  defineTeam(team: string, line: number | null): void {
    if (!this.teams.has(team)) this.teams.set(team, { managers: new Set(), timezone: null, timezoneLine: null, line });
  }

  addManager(team: string, raw: string, line: number | null): void {
    const email = normalizeEmail(raw);
    if (email === null) {
      this.issues.error('BAD_EMAIL', line, `manager "${clip(raw)}" of team ${team} is not an email address`);
      return;
    }
    this.draft(team, line).managers.add(email);
  }

  setTimezone(team: string, raw: string, line: number | null): void {
    const zone = canonicalTimeZone(raw);
    if (zone === null) {
      this.issues.error('BAD_TIMEZONE', line, `time zone "${clip(raw)}" of team ${team} is not an IANA time zone (e.g. Europe/Berlin)`);
      return;
    }
    const draft = this.draft(team, line);
    if (draft.timezone !== null && draft.timezone !== zone) {
      this.issues.error('TIMEZONE_CONFLICT', line, `team ${team} has time zone ${draft.timezone} (line ${draft.timezoneLine}) and ${zone} here`);
      return;
    }
    draft.timezone = zone;
    draft.timezoneLine = line;
  }

  addUser(raw: string, team: string, line: number | null): void {
    const key = normalizeUser(raw);
    if (key === null) {
      this.issues.error('BAD_USER', line, `user name "${clip(raw)}" is empty or holds control characters`);
      return;
    }
    this.addEntry(this.users, 'user', key, team, line, 'USER_IN_TWO_TEAMS');
  }

  addHost(raw: string, team: string, line: number | null): void {
    const key = normalizeHost(raw);
    if (key === null) {
      this.issues.error('BAD_HOST', line, `host name "${clip(raw)}" is not a valid host name`);
      return;
    }
    this.addEntry(this.hosts, 'host', key, team, line, 'HOST_IN_TWO_TEAMS');
  }

  build(pseudonymKey: string | undefined): Directory {
    const pseudonyms = new Map<string, string>();
    const pseudonymOf = new Map<string, string>();
    if (pseudonymKey !== undefined) {
      for (const [user, entry] of this.users) {
        if (user.startsWith('p:')) continue;
        const p = pseudonymize(pseudonymKey, user);
        if (p === null) continue;
        const listed = this.users.get(p);
        if (listed && listed.team !== entry.team) {
          this.issues.error('USER_IN_TWO_TEAMS', entry.line, `user ${user} is in team ${entry.team}, and its pseudonym ${p} is in team ${listed.team} (line ${listed.line})`);
        }
        pseudonyms.set(p, entry.team);
        pseudonymOf.set(user, p);
      }
    }
    for (const [team, draft] of this.teams) {
      if (draft.managers.size === 0) this.issues.warn('NO_MANAGER', draft.line, `team ${team} has no manager email; it gets no weekly report`);
    }
    const teamInfos: TeamInfo[] = [...this.teams]
      .map(([team, d]) => ({ team, managers: [...d.managers].sort(), timezone: d.timezone ?? 'UTC' }))
      .sort((a, b) => cmp(a.team, b.team));
    const byTeam = new Map(teamInfos.map((t) => [t.team, t]));
    const users = new Map([...this.users].map(([k, e]) => [k, e.team]));
    const hosts = new Map([...this.hosts].map(([k, e]) => [k, e.team]));
    const rows: DirectoryRow[] = [
      ...[...users].map(([key, team]): DirectoryRow => {
        const pseudonym = pseudonymOf.get(key);
        return pseudonym ? { kind: 'user', key, team, pseudonym } : { kind: 'user', key, team };
      }),
      ...[...hosts].map(([key, team]): DirectoryRow => ({ kind: 'host', key, team })),
    ].sort((a, b) => cmp(a.kind, b.kind) || cmp(a.key, b.key));

    return {
      teamOf(user, host) {
        if (user !== null) {
          const key = normalizeUser(user);
          const team = key === null ? undefined : (users.get(key) ?? pseudonyms.get(key));
          if (team !== undefined) return team;
        }
        if (host !== null) {
          const key = normalizeHost(host);
          if (key !== null) {
            const team = hosts.get(key) ?? hosts.get(key.split('.')[0] ?? key);
            if (team !== undefined) return team;
          }
        }
        return null;
      },
      managers: (team) => [...(byTeam.get(team)?.managers ?? [])],
      rows: () => rows.map((r) => ({ ...r })),
      teams: () => teamInfos.map((t) => ({ ...t, managers: [...t.managers] })),
    };
  }

  private draft(team: string, line: number | null): TeamDraft {
    this.defineTeam(team, line);
    return this.teams.get(team) as TeamDraft;
  }

  private addEntry(map: Map<string, Entry>, kind: string, key: string, team: string, line: number | null, conflict: string): void {
    const seen = map.get(key);
    if (seen && seen.team !== team) {
      this.issues.error(conflict, line, `${kind} ${key} is in team ${seen.team} (line ${seen.line}) and in team ${team} here`);
      return;
    }
    if (seen) {
      this.issues.warn(`DUPLICATE_${kind.toUpperCase()}`, line, `${kind} ${key} is listed twice for team ${team} (first on line ${seen.line})`);
      return;
    }
    map.set(key, { team, line });
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
