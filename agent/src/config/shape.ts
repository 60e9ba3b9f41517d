import { record, type PlainValue } from './errors.js';

/** The few JSON Schema keywords the configuration schema uses. */
export interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  enum?: unknown[];
  items?: SchemaNode;
}

export interface ShapeIssue {
  path: string;
  message: string;
}

type PlainObject = { [key: string]: PlainValue };

export function isPlainObject(v: unknown): v is PlainObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}

export function joinPath(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}

/**
 * Copies only the settings the schema knows into prototype-less objects, reporting every unknown
 * key (a "__proto__" key included: it is just unknown). `caseInsensitive` matches registry value
 * names, which Windows treats without case.
 */
export function pickKnown(value: PlainValue, schema: SchemaNode, prefix: string, issues: ShapeIssue[], caseInsensitive = false): PlainValue {
  if (!schema.properties || !isPlainObject(value)) return value;
  const out = record();
  const byLower = new Map(Object.keys(schema.properties).map((k) => [k.toLowerCase(), k]));
  for (const key of Object.keys(value)) {
    const known = Object.hasOwn(schema.properties, key) ? key : caseInsensitive ? byLower.get(key.toLowerCase()) : undefined;
    if (known === undefined) {
      issues.push({ path: joinPath(prefix, key), message: 'is not a known setting (ignored)' });
      continue;
    }
    out[known] = pickKnown(value[key] as PlainValue, schema.properties[known] as SchemaNode, joinPath(prefix, known), issues, caseInsensitive);
  }
  return out;
}

/**
 * Turns text and registry numbers into the type the schema expects: "300" → 300 for numbers,
 * "true"/"1"/1 → true for flags. Used for the environment and the registry, whose values have no
 * types of their own; a value that does not convert is left for validation to report.
 */
export function coerce(value: PlainValue, schema: SchemaNode): PlainValue {
  if (schema.properties && isPlainObject(value)) {
    const out = record();
    for (const [k, v] of Object.entries(value)) {
      const sub = schema.properties[k];
      out[k] = sub ? coerce(v, sub) : v;
    }
    return out;
  }
  // Lists from text sources (environment, registry): comma-separated, each item converted like a scalar.
  if (schema.type === 'array' && schema.items && typeof value === 'string') {
    const items = schema.items;
    return value.split(',').map((v) => v.trim()).filter((v) => v !== '').map((v) => coerce(v, items));
  }
  if ((schema.type === 'integer' || schema.type === 'number') && typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) {
    return Number(value);
  }
  if (schema.type === 'boolean') {
    if (value === 1 || value === 0) return value === 1;
    if (typeof value === 'string') {
      const v = value.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
    }
  }
  return value;
}

/** Deep merge of settings objects: `over` wins, objects merge key by key. */
export function merge(base: PlainValue, over: PlainValue): PlainValue {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out = record();
  for (const [k, v] of Object.entries(base)) out[k] = v;
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? merge(out[k] as PlainValue, v) : v;
  return out;
}

/** Every leaf setting of the schema, as a path of keys. */
export function leafPaths(schema: SchemaNode, prefix: string[] = []): string[][] {
  if (!schema.properties) return [prefix];
  return Object.entries(schema.properties).flatMap(([k, sub]) => leafPaths(sub, [...prefix, k]));
}
