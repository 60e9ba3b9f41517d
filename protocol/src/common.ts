import Type, { type Static } from 'typebox';

/** Version of the wire contract. The collector accepts exactly the versions it lists. */
export const PROTOCOL_VERSION = 1 as const;

/** Upper bounds for every field, so hostile input is rejected by schema, not by luck. */
export const LIMITS = {
  shortString: 128,
  name: 256,
  path: 1024,
  listItems: 64,
  eventsPerBatch: 10_000,
  /** Largest batch body the collector accepts after decompression (bytes). */
  batchBytes: 16 * 1024 * 1024,
} as const;

export const Uuid = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  description: 'UUID, lower-case hex',
});

/** UUID version 7 (RFC 9562): time-ordered, so batch ids sort by creation time. */
export const UuidV7 = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$',
  description: 'UUID version 7, lower-case hex',
});

export const Timestamp = Type.String({ format: 'date-time', maxLength: 40, description: 'RFC 3339 timestamp' });

/** Tool ids are catalog file names: lower-case, digits and dashes. */
export const ToolId = Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{0,63}$', maxLength: 64 });

export const ShortString = Type.String({ minLength: 1, maxLength: LIMITS.shortString });
export const NameString = Type.String({ minLength: 1, maxLength: LIMITS.name });
export const PathString = Type.String({ minLength: 1, maxLength: LIMITS.path });
export const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const Os = Type.Union([
  Type.Literal('linux'),
  Type.Literal('darwin'),
  Type.Literal('windows'),
  Type.Literal('other'),
]);
export type Os = Static<typeof Os>;

/** Facts about the endpoint, sent with enrollment and with every batch. */
export const HostFacts = Type.Object(
  {
    hostname: NameString,
    os: Os,
    os_version: ShortString,
    arch: ShortString,
    serial: Type.Union([ShortString, Type.Null()], { description: 'hardware serial where readable' }),
    primary_user: Type.Union([NameString, Type.Null()]),
    team: Type.Optional(Type.Union([NameString, Type.Null()], { description: 'team or department as MDM knows it' })),
  },
  { additionalProperties: false },
);
export type HostFacts = Static<typeof HostFacts>;
