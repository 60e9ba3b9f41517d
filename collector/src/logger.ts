import type { FastifyServerOptions } from 'fastify';

/** Where log lines go (tests pass a sink that collects them). */
export interface LogStream {
  write(line: string): void;
}

/**
 * pino paths that never reach the logs: credentials in headers and bodies, and user names.
 * The no-leak test plants markers in all of them and forces the error paths.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-aiscout-signature"]',
  'headers.authorization',
  '*.authorization',
  '*.enrollment_secret',
  '*.secret',
  '*.token',
  '*.password',
  '*.user',
  '*.primary_user',
  '*.public_key',
  'enrollment_secret',
  'secret',
  'token',
  'password',
  'user',
  'primary_user',
];

export function loggerOptions(level: string, stream?: LogStream): FastifyServerOptions['logger'] | boolean {
  if (level === 'silent' && !stream) return false;
  const base = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return stream ? { ...base, stream } : base;
}
