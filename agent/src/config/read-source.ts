import { open } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { ConfigParseError, MAX_SOURCE_BYTES, type PlainValue } from './errors.js';
import { isBinaryPlist, parseBinaryPlist } from './plist-binary.js';
import { parseXmlPlist } from './plist-xml.js';

export type FileFormat = 'json' | 'yaml' | 'plist';

export function formatOf(file: string): FileFormat | null {
  const ext = /\.([A-Za-z]+)$/.exec(file)?.[1]?.toLowerCase();
  if (ext === 'json') return 'json';
  if (ext === 'yaml' || ext === 'yml') return 'yaml';
  if (ext === 'plist') return 'plist';
  return null;
}

/** Reads at most MAX_SOURCE_BYTES; resolves null when the file does not exist. */
async function readBounded(file: string): Promise<Buffer | null> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigParseError(`cannot open (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new ConfigParseError('is not a regular file');
    if (st.size > MAX_SOURCE_BYTES) throw new ConfigParseError(`is larger than ${MAX_SOURCE_BYTES} bytes`);
    const buf = Buffer.alloc(MAX_SOURCE_BYTES + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got > MAX_SOURCE_BYTES) throw new ConfigParseError(`is larger than ${MAX_SOURCE_BYTES} bytes`);
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

/** Line and column of a character offset, for error messages that must not quote the text. */
function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1}`;
}

export function parseJson(text: string): PlainValue {
  try {
    return JSON.parse(text) as PlainValue;
  } catch (err) {
    // V8's message quotes the text around the error, which may be a secret: report the position only.
    const pos = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new ConfigParseError(`is not valid JSON${pos ? ` (at ${lineCol(text, Number(pos))})` : ''}`);
  }
}

export function parseYaml(text: string): PlainValue {
  let doc;
  try {
    doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  } catch {
    throw new ConfigParseError('is not valid YAML');
  }
  const first = doc.errors[0];
  if (first) {
    // The error's own message quotes the offending line: report the code and position only.
    throw new ConfigParseError(`is not valid YAML (${first.code} at ${lineCol(text, first.pos[0])})`);
  }
  try {
    // Aliases are capped: a "billion laughs" document is an error, not an allocation.
    return doc.toJS({ maxAliasCount: 50 }) as PlainValue;
  } catch (err) {
    throw new ConfigParseError(`is not valid YAML (${(err as Error).name})`);
  }
}

export function parsePlist(buf: Buffer): PlainValue {
  return isBinaryPlist(buf) ? parseBinaryPlist(buf) : parseXmlPlist(buf.toString('utf8'));
}

/** Reads and parses one configuration file; null when it does not exist. Errors never quote file content. */
export async function readConfigFile(file: string): Promise<PlainValue | null> {
  const format = formatOf(file);
  if (!format) throw new ConfigParseError('has an unknown extension (use .json, .yaml, .yml or .plist)');
  const buf = await readBounded(file);
  if (buf === null) return null;
  let value: PlainValue;
  try {
    value = format === 'plist' ? parsePlist(buf) : format === 'json' ? parseJson(buf.toString('utf8')) : parseYaml(buf.toString('utf8'));
  } catch (err) {
    if (err instanceof ConfigParseError) throw err;
    // Stack exhaustion on absurd nesting, or anything else a parser may throw.
    throw new ConfigParseError(`could not be parsed (${(err as Error).name})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date || value instanceof Uint8Array) {
    throw new ConfigParseError('must hold a mapping of settings at the top level');
  }
  return value;
}
