/** The team directory's public shapes. */
export type { ConfigIssue } from '../policy/issues.js';

export interface Directory {
  /** The user's team (user first), else the host's team, else null. Names are normalised (names.ts). */
  teamOf(user: string | null, host: string | null): string | null;
  /** The team's manager emails; [] for an unknown team. */
  managers(team: string): string[];
  /** Every user and host entry, keys normalised, sorted by kind then key. */
  rows(): DirectoryRow[];
  teams(): TeamInfo[];
}

export interface DirectoryRow {
  kind: 'user' | 'host';
  key: string;
  team: string;
  /** The user's pseudonym, when the directory was loaded with a pseudonym key. */
  pseudonym?: string;
}

export interface TeamInfo {
  team: string;
  managers: string[];
  /** IANA time zone for the weekly report; 'UTC' when the file gives none. */
  timezone: string;
}

export type DirectoryFormat = 'csv' | 'yaml';

export interface DirectoryOptions {
  /** The agents' pseudonym key: every user is also indexed by pseudonymize(key, user). */
  pseudonymKey?: string;
}
