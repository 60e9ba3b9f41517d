/**
 * A weekly run: for each team with managers, the last complete week in the team's time zone is
 * built, rendered and mailed once (the send log), retried with back-off on failure; then the
 * organisation report goes to security and, as Markdown, to the webhook. Every send is audited and
 * counted in aiscout_report_sends_total{channel,status}.
 */
import type { AuditTrail } from '../audit.js';
import type { Counter } from '../metrics.js';
import type { Store } from '../store/store.js';
import { buildOrgReport, buildTeamReports } from './build.js';
import { messageIdFor, postWebhook, safeFileName, smtpSender, type Mail, type MailAttachment, type MailSender } from './deliver.js';
import type { OrgReport, TeamReport } from './model.js';
import { directoryTeams } from './queries.js';
import { renderCsv, renderJson } from './render-data.js';
import { renderHtml } from './render-html.js';
import { renderPdf } from './render-pdf.js';
import { renderMarkdown, renderText } from './render-text.js';
import { SendLog, type Channel } from './sends.js';
import type { ReportSettings } from './settings.js';
import { lastCompleteWeek } from './week.js';

export interface RunnerDeps {
  store: Store;
  audit: AuditTrail;
  sendsCounter: Counter;
  settings: ReportSettings;
  collectorId: string;
  /** Who runs it, for the audit trail: `system` (schedule), `cli:$USER`. */
  actor: string;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Tests inject a sender or a shorter settle delay. */
  mailer?: MailSender;
  settleMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface SendOutcome {
  team: string;
  week: string;
  channel: Channel;
  status: 'sent' | 'skipped' | 'failed';
  attempts: number;
  detail: string;
}

export interface RunOptions {
  now?: Date;
  /** A fixed week instead of each team's last complete week. */
  week?: string;
  teams?: readonly string[];
  /** Also send the organisation report (default: when teams is not given). */
  org?: boolean;
}

const ORG = '(organisation)';

export class ReportRunner {
  readonly sends: SendLog;
  constructor(private readonly deps: RunnerDeps) {
    this.sends = new SendLog(deps.store, { collectorId: deps.collectorId, settleMs: deps.settleMs });
  }

  async run(opts: RunOptions = {}): Promise<SendOutcome[]> {
    const { settings } = this.deps;
    const now = opts.now ?? new Date();
    const out: SendOutcome[] = [];
    const mailer = this.deps.mailer ?? (settings.smtp ? smtpSender(settings.smtp) : null);
    try {
      if (mailer) {
        let teams = (await directoryTeams(this.deps.store)).filter((t) => !opts.teams || opts.teams.includes(t.team));
        const noManagers = teams.filter((t) => t.managers.length === 0);
        for (const t of noManagers) {
          this.deps.sendsCounter.inc({ channel: 'email', status: 'skipped' });
          out.push({ team: t.team, week: opts.week ?? lastCompleteWeek(now, t.timezone), channel: 'email', status: 'skipped', attempts: 0, detail: 'no manager in the directory' });
        }
        teams = teams.filter((t) => t.managers.length > 0);
        const byWeek = new Map<string, string[]>();
        for (const t of teams) {
          const week = opts.week ?? lastCompleteWeek(now, t.timezone);
          byWeek.set(week, [...(byWeek.get(week) ?? []), t.team]);
        }
        for (const [week, names] of byWeek) {
          // Only teams not already sent are built: a restart on Monday morning costs a few lookups.
          const pending: string[] = [];
          for (const team of names) {
            const cur = await this.sends.current(team, week, 'email');
            if (cur?.status === 'sent') {
              this.deps.sendsCounter.inc({ channel: 'email', status: 'skipped' });
              out.push({ team, week, channel: 'email', status: 'skipped', attempts: cur.attempts, detail: 'already sent' });
            } else pending.push(team);
          }
          if (pending.length === 0) continue;
          const reports = await buildTeamReports(this.deps.store, { week, k: settings.k, teams: pending, now, baseUrl: settings.publicBaseUrl });
          for (const r of reports) out.push(await this.#deliver(r.team, week, 'email', r.managers, async () => mailer.send(await this.teamMail(r))));
        }
      }
      const orgWeek = opts.week ?? lastCompleteWeek(now, settings.schedule.timezone);
      if ((opts.org ?? !opts.teams) && (settings.webhookUrl || (mailer && settings.orgRecipients.length > 0))) {
        let org: OrgReport | null = null;
        const orgReport = async (): Promise<OrgReport> => (org ??= await buildOrgReport(this.deps.store, { week: orgWeek, k: settings.k, now, baseUrl: settings.publicBaseUrl }));
        if (mailer && settings.orgRecipients.length > 0) {
          out.push(await this.#deliver(ORG, orgWeek, 'email', settings.orgRecipients, async () => mailer.send(await this.orgMail(await orgReport()))));
        }
        const url = settings.webhookUrl;
        if (url) out.push(await this.#deliver(ORG, orgWeek, 'webhook', [], async () => postWebhook(url, renderMarkdown(await orgReport()))));
      }
    } finally {
      if (mailer && !this.deps.mailer) mailer.close();
    }
    return out;
  }

  async teamMail(r: TeamReport): Promise<Mail> {
    const base = `aiscout-${safeFileName(r.team)}-${r.week}`;
    const attachments: MailAttachment[] = [
      { filename: `${base}.csv`, content: Buffer.from(renderCsv(r)), contentType: 'text/csv; charset=utf-8' },
      { filename: `${base}.json`, content: Buffer.from(renderJson(r)), contentType: 'application/json' },
    ];
    const html = renderHtml(r);
    if (this.deps.settings.attachPdf) attachments.push({ filename: `${base}.pdf`, content: await renderPdf(html, this.deps.settings.chromiumPath), contentType: 'application/pdf' });
    const unapproved = r.totals.unapprovedTools > 0 ? ` (${r.totals.unapprovedTools} unapproved)` : '';
    return {
      to: r.managers, subject: `AI tools in ${r.team}, week ${r.week}${unapproved}`, html, text: renderText(r), attachments,
      messageId: messageIdFor(r.team, r.week, this.deps.settings.smtp?.from ?? ''),
    };
  }

  async orgMail(r: OrgReport): Promise<Mail> {
    const base = `aiscout-organisation-${r.week}`;
    return {
      to: this.deps.settings.orgRecipients, subject: `AI tools across the organisation, week ${r.week}`, html: renderHtml(r), text: renderText(r),
      attachments: [
        { filename: `${base}.csv`, content: Buffer.from(renderCsv(r)), contentType: 'text/csv; charset=utf-8' },
        { filename: `${base}.json`, content: Buffer.from(renderJson(r)), contentType: 'application/json' },
      ],
      messageId: messageIdFor(ORG, r.week, this.deps.settings.smtp?.from ?? ''),
    };
  }

  async #deliver(team: string, week: string, channel: Channel, recipients: string[], send: () => Promise<string>): Promise<SendOutcome> {
    const { settings, sendsCounter, log } = this.deps;
    const sleep = this.deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const claim = await this.sends.claim(team, week, channel, recipients);
    if (!claim.ok) {
      sendsCounter.inc({ channel, status: 'skipped' });
      return { team, week, channel, status: 'skipped', attempts: claim.record.attempts, detail: claim.reason === 'sent' ? 'already sent' : 'another sender holds it' };
    }
    let attempts = claim.attempts;
    let lastError = '';
    for (let i = 0; i < settings.retry.attempts; i++) {
      attempts += 1;
      try {
        const messageId = await send();
        await this.sends.sent(team, week, channel, attempts, recipients, channel === 'email' ? messageId : '');
        sendsCounter.inc({ channel, status: 'sent' });
        await this.#audit(team, week, channel, 'ok', { recipients, attempts, message_id: channel === 'email' ? messageId : '' });
        log?.info({ team, week, channel, attempts }, 'weekly report sent');
        return { team, week, channel, status: 'sent', attempts, detail: messageId };
      } catch (err) {
        lastError = describeError(err);
        const final = i === settings.retry.attempts - 1;
        sendsCounter.inc({ channel, status: final ? 'failed' : 'retry' });
        log?.warn({ team, week, channel, attempts, reason: lastError }, final ? 'weekly report not sent' : 'weekly report send failed; retrying');
        if (!final) {
          // Keep the claim fresh while waiting, so another collector does not take over a live send.
          await this.sends.failed(team, week, channel, attempts, recipients, lastError);
          await sleep(settings.retry.backoffMs * 2 ** i);
          const again = await this.sends.claim(team, week, channel, recipients);
          if (!again.ok) return { team, week, channel, status: 'skipped', attempts, detail: again.reason };
        }
      }
    }
    await this.sends.failed(team, week, channel, attempts, recipients, lastError);
    await this.#audit(team, week, channel, 'error', { recipients, attempts, error: lastError });
    return { team, week, channel, status: 'failed', attempts, detail: lastError };
  }

  async #audit(team: string, week: string, channel: Channel, outcome: 'ok' | 'error', detail: Record<string, unknown>): Promise<void> {
    await this.deps.audit.append({ actor: this.deps.actor, action: 'report.send', target: `${team} ${week} ${channel}`, outcome, detail, remoteIp: '' })
      .catch((err: unknown) => this.deps.log?.warn({ reason: describeError(err) }, 'could not audit a report send'));
  }
}

/** An SMTP or HTTP error as one line, without credentials (nodemailer never puts the password in messages). */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err).slice(0, 300);
  const code = (err as { responseCode?: number; code?: string }).responseCode ?? (err as { code?: string }).code;
  return `${code ? `${code} ` : ''}${err.message.split('\n')[0]}`.slice(0, 300);
}
