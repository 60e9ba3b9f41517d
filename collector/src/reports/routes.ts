/**
 * `GET /reports/latest?team=&week=&format=`: the newest complete week's report, built on request,
 * behind the admin or report bearer token. Without `team`, the organisation report (k-anonymous).
 * Also starts the weekly schedule when a delivery channel is configured.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { ErrorResponse } from '@aiscout/protocol';
import { ApiError } from '../errors.js';
import { matchToken } from '../routes/admin.js';
import { ReportError, buildOrgReport, buildTeamReports } from './build.js';
import { directoryTeams } from './queries.js';
import { CONTENT_TYPES, FORMATS, render, type ReportFormat } from './render.js';
import { ReportRunner } from './runner.js';
import { startSchedule } from './schedule.js';
import { lastCompleteWeek } from './week.js';

const LatestQuery = Type.Object({
  team: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  week: Type.Optional(Type.String({ pattern: '^[0-9]{4}-W[0-9]{2}$' })),
  format: Type.Optional(Type.Union(FORMATS.map((f) => Type.Literal(f)))),
}, { additionalProperties: false });

export async function reportsApi(app: FastifyInstance): Promise<void> {
  const ctx = app.collector;
  const settings = ctx.config.reports;
  const tokens = [...ctx.config.adminTokens, ...settings.tokens.map((token, i) => ({ id: `report-${i}`, token }))];

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const token = matchToken(tokens, request.headers.authorization);
    if (!token) {
      await ctx.audit
        .append({ actor: 'anonymous', action: 'admin.auth_failed', target: request.routeOptions.url ?? request.url.slice(0, 200), outcome: 'denied', detail: { method: request.method }, remoteIp: request.ip })
        .catch(() => request.log.warn('could not audit a failed report authentication: store unavailable'));
      throw new ApiError('ADMIN_UNAUTHORIZED');
    }
    if (!ctx.ready) throw new ApiError('STORE_UNAVAILABLE');
  });

  app.get<{ Querystring: Static<typeof LatestQuery> }>(
    '/reports/latest',
    { schema: { querystring: LatestQuery, response: { '4xx': ErrorResponse, '5xx': ErrorResponse } } },
    async (request, reply) => {
      const { team, format = 'html' } = request.query;
      const now = new Date();
      try {
        let report;
        if (team !== undefined) {
          const zone = (await directoryTeams(ctx.store)).find((t) => t.team === team)?.timezone ?? 'UTC';
          const week = request.query.week ?? lastCompleteWeek(now, zone);
          report = (await buildTeamReports(ctx.store, { week, k: settings.k, teams: [team], now, baseUrl: settings.publicBaseUrl }))[0]!;
        } else {
          const week = request.query.week ?? lastCompleteWeek(now, settings.schedule.timezone);
          report = await buildOrgReport(ctx.store, { week, k: settings.k, now, baseUrl: settings.publicBaseUrl });
        }
        const body = await render(report, format, { chromiumPath: settings.chromiumPath });
        return reply
          .header('content-type', CONTENT_TYPES[format as ReportFormat])
          .header('cache-control', 'no-store')
          // The report is self-contained: nothing may load, nothing may run.
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'")
          .header('x-content-type-options', 'nosniff')
          .send(body);
      } catch (err) {
        if (err instanceof ReportError) {
          if (err.code === 'UNKNOWN_TEAM') throw new ApiError('NOT_FOUND', [err.message]);
          if (err.code === 'BAD_WEEK') throw new ApiError('BAD_REQUEST', [err.message]);
          throw new ApiError('REPORT_UNAVAILABLE', [err.message]);
        }
        if (err instanceof Error && err.name === 'WeekError') throw new ApiError('BAD_REQUEST', [err.message]);
        throw err;
      }
    },
  );

  if (settings.schedule.enabled && (settings.smtp || settings.webhookUrl)) {
    const runner = new ReportRunner({
      store: ctx.store, audit: ctx.audit, sendsCounter: ctx.metrics.reportSends, settings, collectorId: ctx.config.collectorId, actor: 'system', log: app.log,
    });
    const schedule = startSchedule(settings.schedule.cron, settings.schedule.timezone, async () => {
      if (!ctx.ready) return app.log.warn('weekly reports skipped: store unavailable');
      try {
        const outcomes = await runner.run();
        app.log.info({ sent: outcomes.filter((o) => o.status === 'sent').length, failed: outcomes.filter((o) => o.status === 'failed').length }, 'weekly report run finished');
      } catch (err) {
        app.log.warn({ reason: err instanceof Error ? err.message : String(err) }, 'weekly report run failed');
      }
    });
    app.addHook('onClose', async () => schedule.stop());
  }
}
