import { execFile } from 'node:child_process';
import { ConfigParseError, MAX_DEPTH, MAX_SOURCE_BYTES, record, type PlainValue } from './errors.js';

/** Where Group Policy and Intune (ADMX-backed policies) write the agent's settings. */
export const POLICY_KEY = 'HKLM\\SOFTWARE\\Policies\\aiscout';

/** Runs `reg query <key> /s`; resolves to its output, or null when the key does not exist. */
export type RegQueryRunner = (key: string) => Promise<string | null>;

export const runRegQuery: RegQueryRunner = (key) =>
  new Promise((resolve, reject) => {
    // /reg:64 reads the 64-bit view even from a 32-bit node, where the policy lives.
    execFile('reg', ['query', key, '/s', '/reg:64'], { timeout: 10_000, maxBuffer: MAX_SOURCE_BYTES, windowsHide: true }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      // reg exits 1 with "ERROR: The system was unable to find the specified registry key or value."
      if ((err as { code?: unknown }).code === 1 && /unable to find/i.test(stderr)) return resolve(null);
      reject(new ConfigParseError(`reg query ${key} failed: ${stderr.trim().split(/\r?\n/)[0] ?? err.message}`));
    });
  });

const VALUE_LINE = /^ {4}(.*?) {4}(REG_[A-Z0-9_]+)(?: {4}(.*))?$/;

/** Expands %NAME% like Windows does (names are case-insensitive; unknown ones are left as written). */
function expand(value: string, env: Record<string, string | undefined>): string {
  const lower = new Map(Object.entries(env).map(([k, v]) => [k.toLowerCase(), v]));
  return value.replace(/%([^%]+)%/g, (all, name: string) => lower.get(name.toLowerCase()) ?? all);
}

function decodeValue(type: string, data: string, env: Record<string, string | undefined>): PlainValue {
  switch (type) {
    case 'REG_SZ':
      return data;
    case 'REG_EXPAND_SZ':
      return expand(data, env);
    case 'REG_MULTI_SZ':
      // reg prints the separators as a literal "\0".
      return data === '' ? [] : data.split('\\0');
    case 'REG_DWORD':
    case 'REG_QWORD': {
      if (!/^0x[0-9a-fA-F]{1,16}$/.test(data)) throw new ConfigParseError(`reg query: malformed ${type} value`);
      const v = BigInt(data);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ConfigParseError(`reg query: ${type} value out of range`);
      return Number(v);
    }
    case 'REG_BINARY':
      if (!/^([0-9a-fA-F]{2})*$/.test(data)) throw new ConfigParseError('reg query: malformed REG_BINARY value');
      return new Uint8Array(Buffer.from(data, 'hex'));
    default:
      return null;
  }
}

/**
 * Parses the text `reg query <root> /s` prints: a key line ("HKEY_LOCAL_MACHINE\...") followed by
 * its values, one per line, indented four spaces with four-space separators ("name    TYPE    data"),
 * then a blank line. Subkeys become nested objects. `(Default)` values are ignored: policies use names.
 */
export function parseRegQuery(output: string, rootKey: string, env: Record<string, string | undefined> = {}): { [key: string]: PlainValue } {
  const root = record();
  const rootPath = rootKey.replace(/^HKLM\\/i, 'HKEY_LOCAL_MACHINE\\').toLowerCase();
  let current: { [key: string]: PlainValue } | null = null;
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (raw.startsWith('HKEY_')) {
      const path = line;
      if (path.toLowerCase() === rootPath) {
        current = root;
        continue;
      }
      if (!path.toLowerCase().startsWith(`${rootPath}\\`)) throw new ConfigParseError('reg query: key outside the queried key');
      const parts = path.slice(rootPath.length + 1).split('\\');
      if (parts.length >= MAX_DEPTH) throw new ConfigParseError(`reg query: keys nested deeper than ${MAX_DEPTH} levels`);
      let node = root;
      for (const part of parts) {
        const existing = node[part];
        if (typeof existing === 'object' && existing !== null && !Array.isArray(existing) && !(existing instanceof Date) && !(existing instanceof Uint8Array)) {
          node = existing;
        } else {
          const child = record();
          node[part] = child;
          node = child;
        }
      }
      current = node;
      continue;
    }
    // Printed after /f searches; harmless to accept here.
    if (/^End of search:/i.test(line)) continue;
    const m = VALUE_LINE.exec(raw);
    if (!m) {
      if (/^ERROR:/i.test(line)) throw new ConfigParseError('reg query: reported an error');
      throw new ConfigParseError('reg query: unrecognized line in output');
    }
    if (!current) throw new ConfigParseError('reg query: value before any key line');
    const [, name = '', type = '', data = ''] = m;
    if (name === '(Default)') continue;
    // Policy editors leave a blank text setting as an empty REG_SZ: it means "not set".
    if ((type === 'REG_SZ' || type === 'REG_EXPAND_SZ') && data === '') continue;
    current[name] = decodeValue(type, data, env);
  }
  return root;
}
