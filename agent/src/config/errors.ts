/** A configuration source that cannot be read or understood; the message never quotes values (they may be secrets). */
export class ConfigParseError extends Error {
  override readonly name = 'ConfigParseError';
}

/** Nesting deeper than any real configuration: refused before anything walks it recursively. */
export const MAX_DEPTH = 32;
/** Largest configuration file or command output read. */
export const MAX_SOURCE_BYTES = 1024 * 1024;

/** Values decoded from any source: plain data only (plist dates and data blobs included). */
export type PlainValue = string | number | boolean | null | Date | Uint8Array | PlainValue[] | { [key: string]: PlainValue };

/** Iterative depth check (a recursive one is what deep nesting would break). */
export function checkDepth(value: unknown, max = MAX_DEPTH): void {
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop() as { v: unknown; d: number };
    if (typeof v !== 'object' || v === null || v instanceof Date || v instanceof Uint8Array) continue;
    if (d >= max) throw new ConfigParseError(`nested deeper than ${max} levels`);
    for (const child of Object.values(v)) stack.push({ v: child, d: d + 1 });
  }
}

/** Object with no prototype, so a key named "__proto__" is just a key. */
export function record(): { [key: string]: PlainValue } {
  return Object.create(null) as { [key: string]: PlainValue };
}
