import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { catalogVersion } from './canonical.js';
import { hostBreadthProblem } from './host-policy.js';
import { hostPatternProblem } from './hostname.js';
import { normaliseProcessName } from './process-names.js';
import { describeSchemaError, toolValidator } from './schema.js';
import type { CatalogIssue, ToolSignature } from './types.js';
import { lineOfNode, lineOfSchemaError } from './yaml-location.js';

/** The bundled catalog: signatures/tools beside src/ and dist/. */
export const BUNDLED_TOOLS_DIR = fileURLToPath(new URL('../tools/', import.meta.url));

export const MAX_TOOL_FILE_BYTES = 1 << 20;

export interface LoadedCatalog {
  tools: ToolSignature[];
  issues: CatalogIssue[];
  version: string;
}

/**
 * Loads every tools/*.yaml (and .yml) file not starting with '_'. Never throws on bad data: each
 * problem becomes a coded issue with its line, the file is skipped and the rest load.
 */
export function loadCatalog(dir: string = BUNDLED_TOOLS_DIR): LoadedCatalog {
  const issues: CatalogIssue[] = [];
  const tools: ToolSignature[] = [];
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((f) => (f.endsWith('.yaml') || f.endsWith('.yml')) && !f.startsWith('_'))
      .sort();
  } catch (e) {
    issues.push({ code: 'dir-unreadable', file: dir, line: null, message: (e as Error).message });
    return { tools, issues, version: catalogVersion(tools) };
  }
  const byId = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    const tool = loadToolFile(file, issues);
    if (!tool) continue;
    const first = byId.get(tool.id);
    if (first !== undefined) {
      issues.push({ code: 'duplicate-tool', file, line: 1, message: `tool id '${tool.id}' is already defined in ${first}` });
      continue;
    }
    byId.set(tool.id, file);
    tools.push(tool);
  }
  return { tools, issues, version: catalogVersion(tools) };
}

/** One tool file, or undefined with the reasons appended to `issues`. */
export function loadToolFile(file: string, issues: CatalogIssue[]): ToolSignature | undefined {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_TOOL_FILE_BYTES) {
      issues.push({ code: 'file-too-large', file, line: null, message: `${size} bytes; a tool file is at most ${MAX_TOOL_FILE_BYTES}` });
      return undefined;
    }
    text = readFileSync(file, 'utf8');
  } catch (e) {
    issues.push({ code: 'file-unreadable', file, line: null, message: (e as Error).message });
    return undefined;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      issues.push({ code: 'yaml-syntax', file, line: err.linePos?.[0].line ?? null, message: err.message.split('\n')[0] ?? err.code });
    }
    return undefined;
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    issues.push({ code: 'yaml-syntax', file, line: null, message: (e as Error).message });
    return undefined;
  }
  const validate = toolValidator();
  if (!validate(data)) {
    for (const err of validate.errors ?? []) {
      issues.push({ code: 'schema', file, line: lineOfSchemaError(doc, lines, err), message: describeSchemaError(err) });
    }
    return undefined;
  }
  const tool = data as ToolSignature;
  const before = issues.length;
  const expected = basename(file, extname(file));
  if (tool.id !== expected) {
    issues.push({ code: 'id-mismatch', file, line: lineAt(doc, lines, ['id']), message: `id '${tool.id}' differs from the file name '${expected}'` });
  }
  checkHosts(tool, doc, lines, file, issues);
  checkDuplicateIdentifiers(tool, doc, lines, file, issues);
  return issues.length === before ? tool : undefined;
}

function lineAt(doc: Document, lines: LineCounter, path: (string | number)[]): number | null {
  return lineOfNode(doc.getIn(path, true), lines);
}

function checkHosts(tool: ToolSignature, doc: Document, lines: LineCounter, file: string, issues: CatalogIssue[]): void {
  (tool.match.hosts ?? []).forEach((h, i) => {
    const line = lineAt(doc, lines, ['match', 'hosts', i, 'name']);
    const invalid = hostPatternProblem(h.name, h.match);
    if (invalid) {
      issues.push({ code: 'invalid-host', file, line, message: `${h.name}: ${invalid}` });
      return;
    }
    const broad = hostBreadthProblem(h.name, h.match);
    if (broad) issues.push({ code: 'host-too-broad', file, line, message: broad });
  });
}

/** Keys under which two entries of one list count as the same identifier. */
const IDENTIFIER_KEYS: Record<string, (entry: Record<string, unknown>) => string> = {
  processes: (e) => `${normaliseProcessName(String(e.name))}|${String(e.path_contains ?? '').toLowerCase()}|${[...((e.os as string[] | undefined) ?? [])].sort().join(',')}`,
  cmdline: (e) => String(e.contains).toLowerCase(),
  vscode_extensions: (e) => String(e.id).toLowerCase(),
  jetbrains_plugins: (e) => String(e.id),
  browser_extensions: (e) => `${String(e.browser)}|${String(e.id)}`,
  hosts: (e) => String(e.name),
  ports: (e) => `${String(e.protocol)}/${String(e.port)}`,
  usage_logs: (e) => `${String(e.path)}|${[...((e.os as string[] | undefined) ?? [])].sort().join(',')}`,
};

function checkDuplicateIdentifiers(tool: ToolSignature, doc: Document, lines: LineCounter, file: string, issues: CatalogIssue[]): void {
  for (const [list, keyOf] of Object.entries(IDENTIFIER_KEYS)) {
    const entries = (tool.match as Record<string, Record<string, unknown>[] | undefined>)[list];
    if (!entries) continue;
    const seen = new Map<string, number>();
    entries.forEach((entry, i) => {
      const key = keyOf(entry);
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, i);
        return;
      }
      const line = lineAt(doc, lines, ['match', list, i]);
      issues.push({ code: 'duplicate-identifier', file, line, message: `match.${list}[${i}] repeats match.${list}[${first}] (${key.split('|')[0]})` });
    });
  }
}
