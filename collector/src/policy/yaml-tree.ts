/**
 * Parsing a YAML config into its node tree, keeping line numbers. We validate the node tree
 * directly (never doc.toJS()), so every issue has a line, keys like __proto__ stay plain strings,
 * and aliases are expanded one at a time against a budget (no "billion laughs").
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { IssueList } from './issues.js';

/** Aliases are handy for sharing a rule; hundreds of them in a config file are an attack. */
export const MAX_ALIASES = 100;

export interface YamlTree {
  doc: Document.Parsed;
  root: Node | null;
  lineOf(node: unknown): number | null;
  /** Follows an alias (counted against MAX_ALIASES); returns null once the budget is spent. */
  deref(node: unknown): Node | null;
  /** True once MAX_ALIASES was passed: callers skip values they could not resolve (reported once). */
  aliasLimitHit(): boolean;
}

export function parseYamlTree(text: string, issues: IssueList): YamlTree | null {
  const lines = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  } catch (err) {
    // The parser reports deep nesting as an error, but a config loader must never throw.
    issues.error('YAML_SYNTAX', null, `cannot parse YAML: ${(err as Error).message}`);
    return null;
  }
  const lineAt = (offset: number): number => lines.linePos(offset).line;
  for (const err of doc.errors) {
    const code = err.code === 'DUPLICATE_KEY' ? 'DUPLICATE_KEY' : 'YAML_SYNTAX';
    issues.error(code, lineAt(err.pos[0]), firstLine(err.message));
  }
  if (doc.errors.length > 0) return null;

  let aliasesLeft = MAX_ALIASES;
  let aliasReported = false;
  const lineOf = (node: unknown): number | null => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineAt(range[0]) : null;
  };
  const deref = (node: unknown): Node | null => {
    if (!isAlias(node)) return (node as Node | null) ?? null;
    if (aliasesLeft-- <= 0) {
      if (!aliasReported) issues.error('ALIAS_LIMIT', lineOf(node), `more than ${MAX_ALIASES} aliases; expand them in the file`);
      aliasReported = true;
      return null;
    }
    const target = node.resolve(doc);
    if (isAlias(target)) return null;
    return (target as Node | undefined) ?? null;
  };
  return { doc, root: deref(doc.contents), lineOf, deref, aliasLimitHit: () => aliasReported };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** The text of a key as written; non-scalar keys (`? [a]: b`) yield null. */
export function keyText(pair: Pair<unknown, unknown>): string | null {
  return isScalar(pair.key) && pair.key.value !== null ? String(pair.key.value) : null;
}

export function kindOf(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    return v === null ? 'empty' : typeof v === 'string' ? 'a string' : `a ${typeof v}`;
  }
  return 'empty';
}

/** A scalar's string value; numbers and booleans are not strings here (state: yes is an error). */
export function stringValue(node: unknown): string | null {
  return isScalar(node) && typeof node.value === 'string' ? node.value : null;
}

export { isMap, isScalar, isSeq };

/** The key/value pairs of a mapping (aliases followed); non-string keys are reported and skipped. */
export function* mapEntries(tree: YamlTree, issues: IssueList, map: YAMLMap): Generator<[string, Node | null, unknown]> {
  for (const pair of map.items) {
    const key = keyText(pair);
    if (key === null) {
      issues.error('BAD_KEY', tree.lineOf(pair.key), 'keys must be plain strings');
      continue;
    }
    const value = tree.deref(pair.value);
    if (value === null && isAlias(pair.value) && tree.aliasLimitHit()) continue;
    yield [key, value, pair.key];
  }
}
