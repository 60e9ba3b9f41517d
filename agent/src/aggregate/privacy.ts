import { pseudonymize } from '@aiscout/protocol';

export interface PrivacySettings {
  pseudonymize_users: boolean;
  pseudonym_key: string | null;
}

/** Home folder prefixes that name their owner: /home/alice/…, /Users/alice/…, C:\Users\alice\… */
const HOME_PREFIX = /^(?:\/home\/[^/]+|\/Users\/[^/]+|[A-Za-z]:[\\/]Users[\\/][^\\/]+)(?=[\\/]|$)/;

/**
 * Applies the privacy settings to everything that names a person before it reaches the spool:
 * user names become keyed pseudonyms, and paths under a home lose the owner's name (`~/…`).
 */
export class Privacy {
  private readonly cache = new Map<string, string>();

  constructor(private readonly settings: PrivacySettings) {}

  get on(): boolean {
    return this.settings.pseudonymize_users && this.settings.pseudonym_key !== null;
  }

  user(name: string): string {
    if (!this.on) return name;
    let p = this.cache.get(name);
    if (p === undefined) {
      p = pseudonymize(this.settings.pseudonym_key!, name) ?? 'unknown';
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(name, p);
    }
    return p;
  }

  path(p: string | null): string | null {
    if (p === null || !this.on) return p;
    return p.replace(HOME_PREFIX, '~');
  }
}
