import type { HttpResponse } from './http.js';
import { parseRetryAfter } from './backoff.js';

/** What the agent does with the collector's answer to a batch; decided by status and error code only. */
export type Verdict =
  | { kind: 'acked'; duplicate: boolean }
  /** Collector, store or network trouble: keep the batch and try again later. */
  | { kind: 'retry'; retryAfterMs: number | null; reason: string }
  /** The agent was revoked: stop sending. */
  | { kind: 'revoked' }
  /** The collector does not know this agent or its key: enroll again (same key), then resend. */
  | { kind: 'reenroll'; reason: string }
  /** Another batch already holds this sequence: move the sequence above `lastStored` and resend. */
  | { kind: 'replay'; lastStored: number | null }
  /** The batch is too big for the collector: send fewer records. */
  | { kind: 'too-large'; reason: string }
  /** The collector will never take this batch as it is: set it aside, do not block the spool. */
  | { kind: 'poison'; reason: string };

interface ErrorBody {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
}

function errorBody(text: string): ErrorBody {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null ? (v as ErrorBody) : {};
  } catch {
    return {};
  }
}

export function classifyBatchAnswer(res: HttpResponse, batchId: string, now = Date.now()): Verdict {
  if (res.status === 200) {
    const body = errorBody(res.body) as { batch_id?: unknown; duplicate?: unknown };
    if (body.batch_id === batchId) return { kind: 'acked', duplicate: body.duplicate === true };
    // A 200 that does not name our batch (a proxy page?) is not an acknowledgement.
    return { kind: 'retry', retryAfterMs: null, reason: 'collector answered 200 without an acknowledgement of this batch' };
  }
  const err = errorBody(res.body);
  const code = typeof err.code === 'string' ? err.code : `HTTP_${res.status}`;
  const detail = Array.isArray(err.detail) ? err.detail.filter((d): d is string => typeof d === 'string') : [];
  const reason = `${code}${detail.length ? `: ${detail.slice(0, 3).join('; ')}` : ''}`.slice(0, 500);
  if (res.status === 429 || res.status >= 500 || res.status === 408) return { kind: 'retry', retryAfterMs: parseRetryAfter(res.headers['retry-after'], now), reason };
  switch (code) {
    case 'AGENT_REVOKED':
      return { kind: 'revoked' };
    case 'AGENT_UNKNOWN':
    case 'SIGNATURE_INVALID':
      return { kind: 'reenroll', reason };
    case 'REPLAY': {
      const m = /last stored (\d+)/.exec(detail.join(' '));
      return { kind: 'replay', lastStored: m ? Number(m[1]) : null };
    }
    case 'BODY_TOO_LARGE':
    case 'INFLATED_TOO_LARGE':
    case 'TOO_MANY_EVENTS':
      return { kind: 'too-large', reason };
  }
  if (res.status === 413) return { kind: 'too-large', reason };
  if (res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 403 && res.status !== 404) return { kind: 'poison', reason };
  // 401/403/404 without a code we know: a proxy or a wrong URL, not this batch's fault.
  return { kind: 'retry', retryAfterMs: parseRetryAfter(res.headers['retry-after'], now), reason };
}
