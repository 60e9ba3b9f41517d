import type { Policy, PolicyState } from './policy/index.js';
import { diffPolicy, emptyPolicy, loadPolicy, checkPolicyTeams, type ConfigIssue, type PolicyOptions } from './policy/index.js';
import { diffDirectory, emptyDirectory, loadDirectory, type Directory } from './directory/index.js';
import type { AuditTrail } from './audit.js';
import { clickhouseTime } from './store/migrate.js';
import type { Store } from './store/store.js';

export interface ReferenceFiles {
  policyFile: string | null;
  directoryFile: string | null;
  pseudonymKey: string | null;
}

export interface ReloadResult {
  ok: boolean;
  /** Errors (nothing changed) and warnings (loaded anyway). */
  issues: ConfigIssue[];
  policyDiff: string[];
  directoryDiff: string[];
}

export interface Enrichment {
  team: string;
  teamSource: 'directory' | 'agent' | 'none';
}

function isError(i: ConfigIssue): boolean {
  return (i.severity ?? 'error') === 'error';
}

/**
 * The policy and directory the collector enriches with. A reload loads both files; any error keeps
 * the previous pair untouched. A good reload writes both to ClickHouse as a new version (one INSERT
 * each, so readers of policy_current / directory_current see all of it or none), then swaps them in
 * memory and appends the diffs to the audit trail.
 */
export class ReferenceData {
  #policy: Policy = emptyPolicy();
  #directory: Directory = emptyDirectory();
  #version = 0;

  constructor(
    private readonly store: Store,
    private readonly audit: AuditTrail,
    private files: ReferenceFiles,
    private readonly knownToolIds: ReadonlySet<string>,
    private readonly policyOptions: PolicyOptions = {},
  ) {}

  get policy(): Policy {
    return this.#policy;
  }

  get directory(): Directory {
    return this.#directory;
  }

  /** Loads the files without changing anything: what `policy check` and a reload run first. */
  check(files: ReferenceFiles = this.files): { policy: Policy | null; directory: Directory | null; issues: ConfigIssue[] } {
    const p = loadPolicy(files.policyFile, this.knownToolIds, this.policyOptions);
    const d = loadDirectory(files.directoryFile, files.pseudonymKey ? { pseudonymKey: files.pseudonymKey } : {});
    const issues = [...p.issues, ...d.issues];
    if (p.policy && d.directory && files.directoryFile !== null && files.policyFile !== null) {
      issues.push(...checkPolicyTeams(p.policy, d.directory.teams().map((t) => t.team), files.policyFile));
    }
    return { policy: p.policy, directory: d.directory, issues };
  }

  async reload(actor: string, remoteIp: string, files: ReferenceFiles = this.files): Promise<ReloadResult> {
    const { policy, directory, issues } = this.check(files);
    if (!policy || !directory || issues.some(isError)) {
      await this.audit.append({
        actor, action: 'reference.reload', target: describe(files), outcome: 'rejected',
        detail: { issues: issues.slice(0, 50).map((i) => `${i.code} ${i.file}:${i.line ?? '-'} ${i.message}`) }, remoteIp,
      });
      return { ok: false, issues, policyDiff: [], directoryDiff: [] };
    }
    const policyDiff = diffPolicy(this.#policy, policy);
    const directoryDiff = diffDirectory(this.#directory, directory);
    const version = this.#nextVersion();
    const loadedAt = clickhouseTime(new Date());
    await this.store.insert('policy', policyRows(policy, version, loadedAt));
    await this.store.insert('directory', directoryRows(directory, version, loadedAt));
    this.#policy = policy;
    this.#directory = directory;
    this.files = files;
    await this.audit.append({
      actor, action: 'policy.reload', target: files.policyFile ?? '(none)', outcome: 'ok',
      detail: { version, rules: policy.rows().length, diff: policyDiff.slice(0, 500) }, remoteIp,
    });
    await this.audit.append({
      actor, action: 'directory.reload', target: files.directoryFile ?? '(none)', outcome: 'ok',
      detail: { version, entries: directory.rows().length, teams: directory.teams().length, diff: directoryDiff.slice(0, 500) }, remoteIp,
    });
    return { ok: true, issues, policyDiff, directoryDiff };
  }

  #nextVersion(): number {
    this.#version = Math.max(this.#version + 1, Date.now() * 1000);
    return this.#version;
  }

  /** Team of an event: directory (user, then host), else the team the agent was configured with. */
  teamFor(user: string | null, host: string | null, agentTeam: string | null): Enrichment {
    const fromDirectory = this.#directory.teamOf(user, host);
    if (fromDirectory) return { team: fromDirectory, teamSource: 'directory' };
    if (agentTeam) return { team: agentTeam, teamSource: 'agent' };
    return { team: '', teamSource: 'none' };
  }

  decide(tool: string, team: string, at: Date): PolicyState {
    return this.#policy.decide(tool, team === '' ? null : team, at).state;
  }
}

function describe(files: ReferenceFiles): string {
  return `policy=${files.policyFile ?? '(none)'} directory=${files.directoryFile ?? '(none)'}`;
}

function policyRows(policy: Policy, version: number, loadedAt: string): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [
    { version, tool: '', team: '', state: policy.defaultState, reason: 'default', expires: null, loaded_at: loadedAt, is_marker: 1 },
  ];
  for (const r of policy.rows()) {
    rows.push({ version, tool: r.tool, team: r.team, state: r.state, reason: r.reason, expires: expiresColumn(r.expires), loaded_at: loadedAt, is_marker: 0 });
  }
  return rows;
}

/** The file's expiry (a date means "through that day", UTC) as a DateTime64 column value. */
function expiresColumn(expires: string | null): string | null {
  if (expires === null) return null;
  const d = /^\d{4}-\d{2}-\d{2}$/.test(expires) ? new Date(`${expires}T23:59:59.999Z`) : new Date(expires);
  return Number.isNaN(d.getTime()) ? null : clickhouseTime(d);
}

function directoryRows(directory: Directory, version: number, loadedAt: string): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [
    { version, kind: 'marker', key: '', pseudonym: '', team: '', managers: [], timezone: '', loaded_at: loadedAt, is_marker: 1 },
  ];
  for (const r of directory.rows()) {
    rows.push({ version, kind: r.kind, key: r.key, pseudonym: r.pseudonym ?? '', team: r.team, managers: [], timezone: '', loaded_at: loadedAt, is_marker: 0 });
  }
  for (const t of directory.teams()) {
    rows.push({ version, kind: 'team', key: t.team, pseudonym: '', team: t.team, managers: t.managers, timezone: t.timezone, loaded_at: loadedAt, is_marker: 0 });
  }
  return rows;
}
