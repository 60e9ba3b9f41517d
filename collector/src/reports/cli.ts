/** `aiscout-collector report`: build one report to stdout or a file, or send the week's reports. */
import { writeFileSync } from 'node:fs';
import { AuditTrail } from '../audit.js';
import type { CollectorConfig } from '../config.js';
import { CollectorMetrics } from '../metrics.js';
import { migrate } from '../store/migrate.js';
import { Store } from '../store/store.js';
import { ReportError, buildOrgReport, buildTeamReports } from './build.js';
import { directoryTeams } from './queries.js';
import { isFormat, render, FORMATS } from './render.js';
import { ReportRunner } from './runner.js';
import { lastCompleteWeek, parseWeek } from './week.js';

export const REPORT_USAGE = `  report [--team T] [--week 2026-W47] [--format ${FORMATS.join('|')}] [--out FILE] [--send]
                                 build a weekly report (no --team: the organisation report); --send mails it
                                 to the team's managers (once per team and week) instead of printing it`;

export interface ReportArgs {
  team?: string;
  week?: string;
  format?: string;
  out?: string;
  send?: boolean;
}

export async function reportCommand(config: CollectorConfig, args: ReportArgs, write: (s: string | Buffer) => void = (s) => process.stdout.write(s)): Promise<number> {
  const format = args.format ?? 'html';
  if (!isFormat(format)) throw new ReportError('BAD_FORMAT', `--format ${format.slice(0, 20)}: use ${FORMATS.join(', ')}`);
  if (args.week !== undefined) parseWeek(args.week);
  const store = new Store(config.clickhouse);
  try {
    await migrate(store, { retentionDays: config.retentionDays, auditRetentionDays: config.auditRetentionDays, collectorId: config.collectorId });
    const settings = config.reports;
    const now = new Date();
    if (args.send) {
      if (!settings.smtp && !settings.webhookUrl) throw new ReportError('BAD_FORMAT', '--send needs reports.smtp or reports.webhook_url in the configuration');
      const metrics = new CollectorMetrics();
      const runner = new ReportRunner({
        store, audit: new AuditTrail(store, config.collectorId), sendsCounter: metrics.reportSends, settings, collectorId: config.collectorId,
        actor: `cli:${process.env.USER ?? 'unknown'}`,
      });
      const outcomes = await runner.run({ now, week: args.week, teams: args.team ? [args.team] : undefined, org: !args.team });
      for (const o of outcomes) write(`${o.status.padEnd(8)} ${o.channel.padEnd(8)} ${o.week} ${o.team}  (${o.attempts} attempt(s)) ${o.status === 'sent' ? '' : o.detail}\n`);
      return outcomes.some((o) => o.status === 'failed') ? 1 : 0;
    }
    let report;
    if (args.team !== undefined) {
      const zone = (await directoryTeams(store)).find((t) => t.team === args.team)?.timezone ?? 'UTC';
      report = (await buildTeamReports(store, { week: args.week ?? lastCompleteWeek(now, zone), k: settings.k, teams: [args.team], now, baseUrl: settings.publicBaseUrl }))[0]!;
    } else {
      report = await buildOrgReport(store, { week: args.week ?? lastCompleteWeek(now, settings.schedule.timezone), k: settings.k, now, baseUrl: settings.publicBaseUrl });
    }
    const body = await render(report, format, { chromiumPath: settings.chromiumPath });
    if (args.out) {
      writeFileSync(args.out, body);
      write(`wrote ${args.out} (${body.length} bytes, ${format}, week ${report.week})\n`);
    } else write(body);
    return 0;
  } finally {
    await store.close();
  }
}
