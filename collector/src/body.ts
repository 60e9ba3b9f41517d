import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { ApiError } from './errors.js';

const gunzipAsync = promisify(gunzip);

export type JsonParser = (text: string) => unknown;

/**
 * Inflates a gzip body with a cap on the output, so a small "zip bomb" cannot grow past
 * `maxBytes` in memory. Runs on the libuv pool, off the event loop.
 */
export async function decodeBody(raw: Buffer, encoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  if (enc === 'identity' || enc === '') {
    if (raw.length > maxBytes) throw new ApiError('BODY_TOO_LARGE', [`${raw.length} bytes > ${maxBytes}`]);
    return raw;
  }
  if (enc !== 'gzip' && enc !== 'x-gzip') throw new ApiError('UNSUPPORTED_ENCODING', [`content-encoding: ${enc.slice(0, 40)}`]);
  try {
    return await gunzipAsync(raw, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new ApiError('INFLATED_TOO_LARGE', [`inflates beyond ${maxBytes} bytes`]);
    }
    throw new ApiError('BAD_GZIP');
  }
}

/**
 * A batch body: one JSON object, or NDJSON where the first line is the batch without `events`
 * and every further non-empty line is one event. `parse` is fastify's secure JSON parser
 * (it rejects `__proto__` and `constructor.prototype` keys).
 */
export function parseBatchBody(bytes: Buffer, ndjson: boolean, parse: JsonParser, maxEvents: number): unknown {
  const text = bytes.toString('utf8');
  if (!ndjson) return parseOne(parse, text, 'body');
  const lines = text.split('\n');
  let envelope: unknown = undefined;
  const events: unknown[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const value = parseOne(parse, line, `line ${i + 1}`);
    if (envelope === undefined) {
      envelope = value;
      continue;
    }
    events.push(value);
    if (events.length > maxEvents) throw new ApiError('TOO_MANY_EVENTS', [`more than ${maxEvents} events`]);
  }
  if (envelope === undefined || typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    throw new ApiError('MALFORMED_BODY', ['the first NDJSON line must be the batch object']);
  }
  if ('events' in envelope) throw new ApiError('MALFORMED_BODY', ['in NDJSON the events follow the first line; it must not hold "events"']);
  return { ...envelope, events };
}

function parseOne(parse: JsonParser, text: string, where: string): unknown {
  try {
    return parse(text);
  } catch {
    throw new ApiError('MALFORMED_BODY', [`${where}: not valid JSON, or a forbidden key (__proto__, constructor.prototype)`]);
  }
}
