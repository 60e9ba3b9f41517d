import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, errorBody, ERRORS, RETRY_AFTER_SECONDS, type ErrorCode } from '../errors.js';
import { StoreUnavailableError } from '../store/store.js';

/** Fastify's own error codes → ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_BODY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_BODY',
  FST_ERR_VALIDATION: 'BAD_REQUEST',
};

/** Maps any error to the catalogue; 5xx are logged with their cause, 4xx with the code only. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    let code: ErrorCode;
    let detail: string[] = [];
    if (err instanceof ApiError) {
      code = err.code;
      detail = err.detail;
    } else if (err instanceof StoreUnavailableError) {
      code = 'STORE_UNAVAILABLE';
      request.log.warn({ code, reason: err.message }, 'store unavailable');
    } else if ('code' in err && typeof err.code === 'string' && FASTIFY_CODES[err.code]) {
      code = FASTIFY_CODES[err.code]!;
      if (err.code === 'FST_ERR_VALIDATION') detail = [err.message.slice(0, 500)];
    } else if (err instanceof SyntaxError || ('statusCode' in err && err.statusCode === 400)) {
      code = 'MALFORMED_BODY';
    } else if ('statusCode' in err && err.statusCode === 413) {
      code = 'BODY_TOO_LARGE';
    } else if ('statusCode' in err && err.statusCode === 415) {
      code = 'UNSUPPORTED_MEDIA_TYPE';
    } else {
      code = 'INTERNAL';
      request.log.error({ err: { type: err.name, message: err.message, stack: err.stack } }, 'unexpected error');
    }
    sendError(app, request, reply, code, detail);
  });
  app.setNotFoundHandler((request, reply) => sendError(app, request, reply, 'NOT_FOUND', []));
}

export function sendError(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, code: ErrorCode, detail: string[]): FastifyReply {
  const status = ERRORS[code].status;
  if (status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  if (status < 500 || status === 503) request.log.info({ code, status, route: request.routeOptions.url ?? null }, 'request rejected');
  app.collector?.metrics.rejects.inc({ code });
  return reply.code(status).type('application/json').send(errorBody(code, detail));
}
