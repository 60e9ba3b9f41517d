/**
 * Every error the API answers with. Clients branch on `code` only; the message is for people.
 * docs/errors.md lists the same codes (a test keeps them in step).
 */
export const ERRORS = {
  BAD_REQUEST: { status: 400, message: 'The request does not match the route schema.' },
  MALFORMED_BODY: { status: 400, message: 'The body is not valid JSON or NDJSON.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send application/json or application/x-ndjson, optionally gzip-encoded.' },
  UNSUPPORTED_ENCODING: { status: 415, message: 'Only gzip and identity content encodings are accepted.' },
  BODY_TOO_LARGE: { status: 413, message: 'The body exceeds the size limit.' },
  INFLATED_TOO_LARGE: { status: 413, message: 'The body inflates beyond the size limit.' },
  BAD_GZIP: { status: 400, message: 'The body is not valid gzip.' },
  SCHEMA_INVALID: { status: 400, message: 'The batch does not match the protocol schema.' },
  TOO_MANY_EVENTS: { status: 413, message: 'The batch holds more events than allowed.' },
  EVENT_TIME_OUT_OF_RANGE: { status: 400, message: 'An event window lies in the future or before the retention period.' },
  DUPLICATE_EVENT_ID: { status: 400, message: 'Two events in the batch share an id.' },
  SIGNATURE_MISSING: { status: 401, message: 'The signature or agent header is missing.' },
  SIGNATURE_INVALID: { status: 401, message: 'The signature does not verify against the agent key.' },
  AGENT_UNKNOWN: { status: 401, message: 'No agent is enrolled with this id.' },
  AGENT_REVOKED: { status: 403, message: 'This agent was revoked.' },
  AGENT_MISMATCH: { status: 400, message: 'The batch names another agent than the header.' },
  REPLAY: { status: 409, message: 'This sequence number was already stored with another batch.' },
  ENROLLMENT_SECRET_INVALID: { status: 401, message: 'The enrollment secret is unknown or retired.' },
  PUBLIC_KEY_INVALID: { status: 400, message: 'The public key is not an Ed25519 SPKI key.' },
  ADMIN_UNAUTHORIZED: { status: 401, message: 'A valid admin bearer token is required.' },
  NOT_FOUND: { status: 404, message: 'No such resource.' },
  RELOAD_REJECTED: { status: 422, message: 'The policy or directory file has problems; nothing was changed.' },
  REPORT_UNAVAILABLE: { status: 501, message: 'This report format cannot be produced here.' },
  STORE_UNAVAILABLE: { status: 503, message: 'The store is unavailable or slow; nothing was stored, retry later.' },
  OVERLOADED: { status: 503, message: 'The collector is overloaded; retry later.' },
  INTERNAL: { status: 500, message: 'Unexpected error.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** Seconds a client should wait after a 503. */
export const RETRY_AFTER_SECONDS = 5;

export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string[] = [],
  ) {
    super(ERRORS[code].message);
    this.name = 'ApiError';
    this.statusCode = ERRORS[code].status;
  }
}

export function errorBody(code: ErrorCode, detail: string[] = []): { code: ErrorCode; message: string; detail?: string[] } {
  const body: { code: ErrorCode; message: string; detail?: string[] } = { code, message: ERRORS[code].message };
  if (detail.length > 0) body.detail = detail.slice(0, 50).map((d) => (d.length > 512 ? `${d.slice(0, 509)}...` : d));
  return body;
}
