import { SENSOR_ERROR_TYPES, type SensorHealth } from '@aiscout/protocol';

export type SensorErrorType = (typeof SENSOR_ERROR_TYPES)[number];

/** Thrown (and caught inside the sensor) when a file or list is larger than the sensor will read. */
export class LimitExceeded extends Error {
  override readonly name = 'LimitExceeded';
}

/** Thrown (and caught inside the sensor) when a manifest cannot be understood. */
export class ParseFailure extends Error {
  override readonly name = 'ParseFailure';
}

/** Maps a caught error to the closed set of sensor error types. */
export function errorType(err: unknown): SensorErrorType {
  if (err instanceof LimitExceeded) return 'limit';
  if (err instanceof ParseFailure || err instanceof SyntaxError) return 'parse';
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission';
    case 'ENOENT':
    case 'ESRCH':
      // Listed a moment ago, gone now: the file or process vanished under us.
      return 'vanished';
    case 'EISDIR':
    case 'ENOTDIR':
    case 'EIO':
    case 'ELOOP':
    case 'EMFILE':
    case 'ENFILE':
    case 'ENAMETOOLONG':
    case 'EBUSY':
      return 'io';
    default:
      return 'other';
  }
}

/**
 * The counters every sensor keeps: what it saw, what went wrong by type, and whether it ran at all.
 * Errors are counted, never thrown; the snapshot has the wire shape of SensorHealth.
 */
export class SensorHealthCounter {
  observations = 0;
  dropped = 0;
  readonly errors: Record<SensorErrorType, number> = { permission: 0, parse: 0, io: 0, vanished: 0, limit: 0, other: 0 };
  enabled = true;
  disabledReason: string | null = null;

  constructor(readonly name: string) {}

  observed(): void {
    this.observations += 1;
  }

  /** Counts one error of a known type. */
  count(type: SensorErrorType): void {
    this.errors[type] += 1;
  }

  /** Counts a caught error under its type and returns the type (for callers that branch on it). */
  fail(err: unknown): SensorErrorType {
    const type = errorType(err);
    this.count(type);
    return type;
  }

  /** An item not reported because a cap was reached: a `limit` error and one dropped item. */
  drop(): void {
    this.dropped += 1;
    this.count('limit');
  }

  disable(reason: string): void {
    this.enabled = false;
    this.disabledReason = reason;
  }

  totalErrors(): number {
    return SENSOR_ERROR_TYPES.reduce((sum, t) => sum + this.errors[t], 0);
  }

  snapshot(): SensorHealth {
    return {
      name: this.name,
      enabled: this.enabled,
      disabled_reason: this.disabledReason,
      observations: this.observations,
      errors: { ...this.errors },
      dropped: this.dropped,
    };
  }
}
