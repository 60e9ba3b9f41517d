import type { Observation } from './types.js';

const OS = new Set(['linux', 'darwin', 'windows']);
const ECOSYSTEMS = new Set(['vscode', 'jetbrains', 'chrome', 'edge', 'firefox']);
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_FIELD = 32 * 1024;

/**
 * Checks untrusted JSON (one classify input line) and returns a typed observation or the reason
 * it is not one. Unknown extra fields are allowed (they are echoed back by the CLI), keys that
 * could pollute prototypes are not, at any depth.
 */
export function parseObservation(value: unknown): { ok: true; obs: Observation } | { ok: false; error: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'an observation is a JSON object' };
  const bad = forbiddenKey(value, 0);
  if (bad) return { ok: false, error: `key not allowed: ${bad}` };
  const o = value as Record<string, unknown>;
  const str = (k: string, required: boolean): string | undefined | Error => {
    const v = o[k];
    if (v === undefined || v === null) return required ? new Error(`'${k}' is required`) : undefined;
    if (typeof v !== 'string') return new Error(`'${k}' must be a string`);
    if (v.length > MAX_FIELD) return new Error(`'${k}' is longer than ${MAX_FIELD} characters`);
    if (required && v.length === 0) return new Error(`'${k}' must not be empty`);
    return v;
  };
  switch (o.type) {
    case 'host': {
      const name = str('name', true);
      if (name instanceof Error) return { ok: false, error: name.message };
      return { ok: true, obs: { type: 'host', name: name as string } };
    }
    case 'process': {
      const name = str('name', true);
      const exe = str('exe', false);
      const cmdline = str('cmdline', false);
      for (const v of [name, exe, cmdline]) if (v instanceof Error) return { ok: false, error: v.message };
      if (o.os !== undefined && !(typeof o.os === 'string' && OS.has(o.os))) return { ok: false, error: `'os' must be one of linux, darwin, windows` };
      const obs: Observation = { type: 'process', name: name as string };
      if (exe !== undefined) obs.exe = exe as string;
      if (cmdline !== undefined) obs.cmdline = cmdline as string;
      if (o.os !== undefined) obs.os = o.os as 'linux' | 'darwin' | 'windows';
      return { ok: true, obs };
    }
    case 'extension': {
      if (typeof o.ecosystem !== 'string' || !ECOSYSTEMS.has(o.ecosystem)) return { ok: false, error: `'ecosystem' must be one of ${[...ECOSYSTEMS].join(', ')}` };
      const id = str('id', true);
      if (id instanceof Error) return { ok: false, error: id.message };
      return { ok: true, obs: { type: 'extension', ecosystem: o.ecosystem as 'vscode', id: id as string } };
    }
    case 'port': {
      if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 1 || o.port > 65535) return { ok: false, error: `'port' must be an integer from 1 to 65535` };
      if (o.protocol !== undefined && o.protocol !== 'tcp' && o.protocol !== 'udp') return { ok: false, error: `'protocol' must be tcp or udp` };
      return { ok: true, obs: { type: 'port', port: o.port, ...(o.protocol ? { protocol: o.protocol } : {}) } };
    }
    case undefined:
      return { ok: false, error: `'type' is required (process, host, extension or port)` };
    default:
      return { ok: false, error: `unknown type ${JSON.stringify(String(o.type)).slice(0, 80)} (process, host, extension or port)` };
  }
}

function forbiddenKey(value: unknown, depth: number): string | null {
  if (depth > 32 || value === null || typeof value !== 'object') return null;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return key;
    const found = forbiddenKey((value as Record<string, unknown>)[key], depth + 1);
    if (found) return found;
  }
  return null;
}
