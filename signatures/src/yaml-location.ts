import { isMap, isNode, isPair, isScalar, type Document, type LineCounter, type Node } from 'yaml';
import type { ErrorObject } from 'ajv/dist/2020.js';

/**
 * 1-based line of the YAML node a schema error points at. Falls back to the nearest existing
 * parent (e.g. a missing property is reported at its object); for an unknown property, the line
 * of that property's key.
 */
export function lineOfSchemaError(doc: Document, lines: LineCounter, e: ErrorObject): number | null {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = doc.contents;
  let found: unknown = node;
  for (const key of path) {
    node = childOf(node, key);
    if (node === undefined) break;
    found = node;
  }
  const extra = (e.params as { additionalProperty?: unknown }).additionalProperty;
  if (e.keyword === 'additionalProperties' && typeof extra === 'string' && isMap(found)) {
    const pair = found.items.find((p) => isScalar(p.key) && String(p.key.value) === extra);
    if (pair && isNode(pair.key)) found = pair.key;
  }
  return lineOfNode(found, lines);
}

function childOf(node: unknown, key: string): unknown {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
    return pair?.value ?? undefined;
  }
  if (node && typeof node === 'object' && 'items' in node && Array.isArray((node as { items: unknown[] }).items)) {
    const idx = Number(key);
    return Number.isInteger(idx) ? (node as { items: unknown[] }).items[idx] : undefined;
  }
  return undefined;
}

export function lineOfNode(node: unknown, lines: LineCounter): number | null {
  const range = isNode(node) ? (node as Node).range : undefined;
  if (!range) return null;
  return lines.linePos(range[0]).line;
}
