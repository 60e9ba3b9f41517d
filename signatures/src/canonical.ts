import { createHash } from 'node:crypto';
import type { ToolSignature } from './types.js';

/** JSON with object keys sorted at every level: the same content always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** 'sha256:' + 16 hex over the canonical content of the tools, sorted by id (file order and formatting do not count). */
export function catalogVersion(tools: readonly ToolSignature[]): string {
  const hash = createHash('sha256');
  for (const tool of [...tools].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    hash.update(canonicalJson(tool));
    hash.update('\n');
  }
  return `sha256:${hash.digest('hex').slice(0, 16)}`;
}
