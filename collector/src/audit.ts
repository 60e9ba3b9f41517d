import { randomUUID } from 'node:crypto';
import { clickhouseTime } from './store/migrate.js';
import type { Store } from './store/store.js';

export type AuditOutcome = 'ok' | 'denied' | 'rejected' | 'error';

export interface AuditEntry {
  /** Who: `admin:<token id>`, `agent:<id>`, `secret:<id>`, `system`, or `anonymous`. */
  actor: string;
  /** What, dotted: agent.enroll, agent.revoke, policy.reload, directory.reload, secrets.change, report.send, admin.auth_failed… */
  action: string;
  target: string;
  outcome: AuditOutcome;
  detail: Record<string, unknown>;
  remoteIp: string;
}

export interface AuditRow {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  outcome: AuditOutcome;
  detail: string;
  remote_ip: string;
  collector: string;
}

/** The audit trail is append-only: this module INSERTs and SELECTs, nothing in the collector updates or deletes it. */
export class AuditTrail {
  constructor(
    private readonly store: Store,
    private readonly collectorId: string,
  ) {}

  async append(entry: AuditEntry): Promise<void> {
    await this.store.insert('audit_log', [
      {
        id: randomUUID(),
        at: clickhouseTime(new Date()),
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        outcome: entry.outcome,
        detail: JSON.stringify(entry.detail),
        remote_ip: entry.remoteIp,
        collector: this.collectorId,
      },
    ]);
  }

  async query(filter: { since?: string; until?: string; action?: string; actor?: string; limit?: number }): Promise<AuditRow[]> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: filter.limit ?? 100 };
    if (filter.since) {
      where.push('at >= parseDateTime64BestEffort({since:String}, 3)');
      params.since = filter.since;
    }
    if (filter.until) {
      where.push('at < parseDateTime64BestEffort({until:String}, 3)');
      params.until = filter.until;
    }
    if (filter.action) {
      where.push('action = {action:String}');
      params.action = filter.action;
    }
    if (filter.actor) {
      where.push('actor = {actor:String}');
      params.actor = filter.actor;
    }
    return this.store.query<AuditRow>(
      `SELECT toString(id) AS id, toString(at) AS at, actor, action, target, outcome, detail, remote_ip, collector
       FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY at DESC, id LIMIT {limit:UInt32}`,
      params,
    );
  }
}
