import Type, { type Static } from 'typebox';
import { HostFacts, LIMITS, NameString, PROTOCOL_VERSION, ShortString, Timestamp, Uuid, UuidV7 } from './common.js';
import { Event } from './events.js';

/** A batch of events from one agent, signed (Ed25519 over the exact body bytes) by that agent. */
export const Batch = Type.Object(
  {
    protocol_version: Type.Literal(PROTOCOL_VERSION),
    batch_id: UuidV7,
    agent_id: Uuid,
    /** Strictly increasing per agent; the collector rejects a sequence it has already stored. */
    seq: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    sent_at: Timestamp,
    agent_version: ShortString,
    catalog_version: ShortString,
    host: HostFacts,
    events: Type.Array(Event, { maxItems: LIMITS.eventsPerBatch }),
  },
  { additionalProperties: false },
);
export type Batch = Static<typeof Batch>;

/** HTTP header carrying the base64 Ed25519 signature of the request body (as sent, before gzip decoding). */
export const SIGNATURE_HEADER = 'x-aiscout-signature';
/** HTTP header naming the agent that signed the body. */
export const AGENT_ID_HEADER = 'x-aiscout-agent';

export const EnrollRequest = Type.Object(
  {
    protocol_version: Type.Literal(PROTOCOL_VERSION),
    enrollment_secret: Type.String({ minLength: 1, maxLength: 512 }),
    /** Ed25519 public key, SPKI DER, base64. */
    public_key: Type.String({ minLength: 40, maxLength: 200, pattern: '^[A-Za-z0-9+/]+={0,2}$' }),
    agent_version: ShortString,
    host: HostFacts,
  },
  { additionalProperties: false },
);
export type EnrollRequest = Static<typeof EnrollRequest>;

export const EnrollResponse = Type.Object(
  {
    agent_id: Uuid,
    /** Last sequence number the collector stored for this agent (0 when new), so a re-enrolled agent resumes. */
    last_seq: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type EnrollResponse = Static<typeof EnrollResponse>;

export const BatchAck = Type.Object(
  {
    batch_id: UuidV7,
    accepted: Type.Integer({ minimum: 0 }),
    duplicate: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type BatchAck = Static<typeof BatchAck>;

/** Every error answer: clients branch on `code` only. */
export const ErrorResponse = Type.Object(
  {
    code: Type.String({ pattern: '^[A-Z][A-Z0-9_]+$' }),
    message: NameString,
    detail: Type.Optional(Type.Array(Type.String({ maxLength: 512 }), { maxItems: 50 })),
  },
  { additionalProperties: false },
);
export type ErrorResponse = Static<typeof ErrorResponse>;
