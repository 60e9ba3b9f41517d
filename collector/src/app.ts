import Fastify, { LogController, type FastifyInstance } from 'fastify';
import underPressure from '@fastify/under-pressure';
import type { CollectorConfig } from './config.js';
import { loggerOptions, type LogStream } from './logger.js';
import { contextPlugin } from './plugins/context.js';
import type { PolicyOptions } from './policy/index.js';
import { adminApi } from './routes/admin.js';
import { agentApi } from './routes/agent-api.js';
import { installErrorHandler, sendError } from './routes/errors.js';
import { healthApi } from './routes/health.js';
import { reportsApi } from './reports/routes.js';

export interface BuildOptions {
  config: CollectorConfig;
  /** Tool ids of the catalog, to check policy files against. */
  knownToolIds: ReadonlySet<string>;
  policyOptions?: PolicyOptions;
  /** Log sink (tests collect lines); otherwise stdout at config.logLevel. */
  logStream?: LogStream;
  migrate?: boolean;
  probeIntervalMs?: number;
}

/** The collector as a fastify instance, ready for `inject()` or `listen()` (only server.ts listens). */
export async function build(options: BuildOptions): Promise<FastifyInstance> {
  const { config } = options;
  const app = Fastify({
    logger: loggerOptions(options.logStream ? (config.logLevel === 'silent' ? 'info' : config.logLevel) : config.logLevel, options.logStream),
    // Per-request lines cost CPU at thousands of batches a second; rejections and errors are logged instead.
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify's secure JSON parsing: bodies with __proto__ or constructor.prototype are refused.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    bodyLimit: 64 * 1024,
    // Strict like the protocol validators: an unknown property is an error, not silently removed.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    trustProxy: false,
    return503OnClosing: true,
  });
  installErrorHandler(app);
  await app.register(contextPlugin, {
    config,
    knownToolIds: options.knownToolIds,
    policyOptions: options.policyOptions,
    migrate: options.migrate,
    probeIntervalMs: options.probeIntervalMs,
  });
  await app.register(underPressure, {
    maxEventLoopDelay: 2000,
    retryAfter: 5,
    pressureHandler: (request, reply) => {
      sendError(app, request, reply, 'OVERLOADED', []);
    },
  });
  await app.register(healthApi);
  await app.register(agentApi);
  await app.register(adminApi);
  // Weekly reports: GET /reports/latest (own bearer check) and the built-in schedule.
  await app.register(reportsApi);
  return app;
}
