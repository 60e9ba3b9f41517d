import { LOG_LEVELS } from '../config/index.js';

export type LogLevel = (typeof LOG_LEVELS)[number];
type Fields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/**
 * One JSON object per line on stderr (pino's shape: level as a number, time in ms, msg), so
 * journald, a log shipper or `jq` can read it. Callers pass only metadata: never a secret, a
 * command line or a user name that privacy settings would hide.
 */
export class Logger {
  private min: number;

  constructor(
    level: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
  ) {
    this.min = RANK[level];
  }

  setLevel(level: LogLevel): void {
    this.min = RANK[level];
  }

  private log(level: LogLevel, msg: string, fields: Fields | undefined): void {
    if (RANK[level] < this.min) return;
    this.write(`${JSON.stringify({ level: RANK[level], time: Date.now(), name: 'aiscout-agent', msg, ...fields })}\n`);
  }

  trace(msg: string, fields?: Fields): void {
    this.log('trace', msg, fields);
  }
  debug(msg: string, fields?: Fields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: Fields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: Fields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Fields): void {
    this.log('error', msg, fields);
  }
  fatal(msg: string, fields?: Fields): void {
    this.log('fatal', msg, fields);
  }
}
