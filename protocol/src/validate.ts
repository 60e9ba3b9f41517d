import { Compile } from 'typebox/compile';
import type { TSchema, Static } from 'typebox';
import { Batch, EnrollRequest } from './batch.js';
import { LIMITS } from './common.js';
import { Event } from './events.js';

export interface ValidationIssue {
  /** JSON pointer to the offending value ('' for the root). */
  path: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/** A compiled validator that reports every problem with its location, capped so errors stay small. */
export function validator<T extends TSchema>(schema: T, maxIssues = 20): (value: unknown) => Validated<Static<T>> {
  // Compiled on first use: importing the protocol must not cost every process (the agent above all)
  // the generated code of validators it never calls.
  let cached: { Check(v: unknown): boolean; Errors(v: unknown): Iterable<{ instancePath: string; message: string }> } | null = null;
  return (value: unknown) => {
    const compiled = (cached ??= Compile(schema));
    if (compiled.Check(value)) return { ok: true, value: value as Static<T> };
    const issues: ValidationIssue[] = [];
    for (const e of compiled.Errors(value)) {
      // Unions report one error per branch; keep the distinct ones only.
      const issue = { path: e.instancePath, message: e.message };
      if (!issues.some((i) => i.path === issue.path && i.message === issue.message)) issues.push(issue);
      if (issues.length >= maxIssues) break;
    }
    return { ok: false, issues };
  };
}

const validateBatchSchema = validator(Batch);

/** Batch validation with a cheap size check first, so an oversized batch costs nothing to reject. */
export function validateBatch(value: unknown): Validated<Batch> {
  const events = (value as { events?: unknown } | null)?.events;
  if (typeof value === 'object' && value !== null && Array.isArray(events) && events.length > LIMITS.eventsPerBatch) {
    return { ok: false, issues: [{ path: '/events', message: `must not have more than ${LIMITS.eventsPerBatch} events` }] };
  }
  return validateBatchSchema(value);
}
export const validateEvent = validator(Event);
export const validateEnrollRequest = validator(EnrollRequest);
