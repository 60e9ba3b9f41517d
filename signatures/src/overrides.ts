import { readFileSync, statSync } from 'node:fs';
import { newAjv } from './ajv.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { hostBreadthProblem } from './host-policy.js';
import { hostPatternProblem } from './hostname.js';
import { normaliseProcessName } from './process-names.js';
import { describeSchemaError } from './schema.js';
import type { CatalogIssue, Overrides, ToolOverride, ToolSignature } from './types.js';
import { lineOfNode, lineOfSchemaError } from './yaml-location.js';

const note = { type: 'string', minLength: 1, maxLength: 500 } as const;
const osList = { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['linux', 'darwin', 'windows'] } } as const;
const entry = (props: Record<string, unknown>, required: string[]) => ({
  type: 'array',
  minItems: 1,
  items: { type: 'object', additionalProperties: false, required: [...required, 'note'], properties: { ...props, note } },
});
const strings = { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: 253 } } as const;

/** Schema of an overrides file. Added identifiers carry a `note` (why) where catalog files carry a `source`. */
export const OVERRIDES_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    tools: {
      type: 'object',
      propertyNames: { pattern: '^[a-z0-9][a-z0-9-]{0,63}$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          disabled: { type: 'boolean' },
          note,
          add: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: {
              processes: entry({ name: { type: 'string', minLength: 1, maxLength: 128 }, os: osList, path_contains: { type: 'string', minLength: 1, maxLength: 256 } }, ['name']),
              cmdline: entry(
                {
                  interpreters: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['node', 'python', 'bun', 'deno', 'electron', 'java', 'any'] } },
                  contains: { type: 'string', minLength: 4, maxLength: 256 },
                },
                ['interpreters', 'contains'],
              ),
              vscode_extensions: entry({ id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9-]*\\.[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 128 } }, ['id']),
              jetbrains_plugins: entry({ id: { type: 'string', minLength: 3, maxLength: 128 } }, ['id']),
              browser_extensions: entry({ browser: { enum: ['chrome', 'edge', 'firefox'] }, id: { type: 'string', minLength: 3, maxLength: 128 } }, ['browser', 'id']),
              hosts: entry(
                {
                  name: { type: 'string', minLength: 3, maxLength: 253 },
                  match: { enum: ['exact', 'suffix', 'wildcard'] },
                  role: { enum: ['api', 'web', 'auth', 'telemetry', 'download', 'inference'] },
                },
                ['name', 'match'],
              ),
              ports: entry({ port: { type: 'integer', minimum: 1, maximum: 65535 }, protocol: { enum: ['tcp', 'udp'] } }, ['port']),
            },
          },
          ignore: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: {
              hosts: strings,
              processes: strings,
              cmdline: strings,
              extensions: strings,
              ports: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 1, maximum: 65535 } },
            },
          },
        },
      },
    },
    ignore: {
      type: 'object',
      additionalProperties: false,
      properties: {
        hosts: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: { name: { type: 'string', minLength: 3, maxLength: 253 }, match: { enum: ['exact', 'suffix'] }, note },
          },
        },
        processes: strings,
        extensions: strings,
      },
    },
  },
} as const;

let validator: ValidateFunction | undefined;
const MAX_OVERRIDES_BYTES = 1 << 20;

/**
 * Reads and validates an overrides file. Any issue means `overrides: null`: a half-understood
 * tuning file is not applied at all.
 */
export function loadOverrides(file: string): { overrides: Overrides | null; issues: CatalogIssue[] } {
  const issues: CatalogIssue[] = [];
  let text: string;
  try {
    if (statSync(file).size > MAX_OVERRIDES_BYTES) {
      return { overrides: null, issues: [{ code: 'file-too-large', file, line: null, message: `an overrides file is at most ${MAX_OVERRIDES_BYTES} bytes` }] };
    }
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { overrides: null, issues: [{ code: 'file-unreadable', file, line: null, message: (e as Error).message }] };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  for (const err of doc.errors) issues.push({ code: 'yaml-syntax', file, line: err.linePos?.[0].line ?? null, message: err.message.split('\n')[0] ?? err.code });
  if (issues.length > 0) return { overrides: null, issues };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    return { overrides: null, issues: [{ code: 'yaml-syntax', file, line: null, message: (e as Error).message }] };
  }
  validator ??= newAjv().compile(OVERRIDES_SCHEMA);
  if (!validator(data)) {
    for (const err of validator.errors ?? []) issues.push({ code: 'schema', file, line: lineOfSchemaError(doc, lines, err), message: describeSchemaError(err) });
    return { overrides: null, issues };
  }
  const parsed = data as Partial<Overrides>;
  const overrides: Overrides = { tools: parsed.tools ?? {}, ignore: parsed.ignore ?? {} };
  checkOverrideHosts(overrides, doc, lines, file, issues);
  return { overrides: issues.length > 0 ? null : overrides, issues };
}

function checkOverrideHosts(o: Overrides, doc: Document, lines: LineCounter, file: string, issues: CatalogIssue[]): void {
  for (const [id, t] of Object.entries(o.tools)) {
    (t.add?.hosts ?? []).forEach((h, i) => {
      const problem = hostPatternProblem(h.name, h.match) ?? hostBreadthProblem(h.name, h.match);
      if (problem) issues.push({ code: 'invalid-host', file, line: lineOfNode(doc.getIn(['tools', id, 'add', 'hosts', i, 'name'], true), lines), message: `${h.name}: ${problem}` });
    });
  }
  (o.ignore.hosts ?? []).forEach((h, i) => {
    const problem = hostPatternProblem(h.name, h.match ?? 'exact');
    if (problem) issues.push({ code: 'invalid-host', file, line: lineOfNode(doc.getIn(['ignore', 'hosts', i, 'name'], true), lines), message: `${h.name}: ${problem}` });
  });
}

/** Issues that need the catalog: a tool id it does not have, or an ignored identifier the tool does not list. */
export function checkOverrides(tools: readonly ToolSignature[], o: Overrides, file = '(overrides)'): CatalogIssue[] {
  const issues: CatalogIssue[] = [];
  const byId = new Map(tools.map((t) => [t.id, t]));
  for (const [id, t] of Object.entries(o.tools)) {
    const tool = byId.get(id);
    if (!tool) {
      issues.push({ code: 'unknown-tool', file, line: null, message: `tools.${id}: no such tool in the catalog` });
      continue;
    }
    const ids = identifiersOf(tool);
    for (const [kind, values] of Object.entries(t.ignore ?? {}) as [keyof typeof ids, (string | number)[]][]) {
      for (const v of values) {
        const key = kind === 'processes' ? normaliseProcessName(String(v)) : kind === 'extensions' ? String(v).toLowerCase() : String(v);
        if (!ids[kind].has(key)) issues.push({ code: 'unknown-identifier', file, line: null, message: `tools.${id}.ignore.${kind}: '${v}' is not listed by ${id}` });
      }
    }
  }
  return issues;
}

function identifiersOf(tool: ToolSignature): Record<'hosts' | 'processes' | 'cmdline' | 'extensions' | 'ports', Set<string>> {
  const m = tool.match;
  return {
    hosts: new Set((m.hosts ?? []).map((h) => h.name)),
    processes: new Set((m.processes ?? []).map((p) => normaliseProcessName(p.name))),
    cmdline: new Set((m.cmdline ?? []).map((c) => c.contains)),
    extensions: new Set([...(m.vscode_extensions ?? []), ...(m.jetbrains_plugins ?? []), ...(m.browser_extensions ?? [])].map((e) => e.id.toLowerCase())),
    ports: new Set((m.ports ?? []).map((p) => String(p.port))),
  };
}

/** The tools with the overrides applied (a new array; the input is not modified). Tool ids the catalog lacks are ignored here; checkOverrides reports them. */
export function applyOverrides(tools: ToolSignature[], o: Overrides): ToolSignature[] {
  const out: ToolSignature[] = [];
  for (const original of tools) {
    const t: ToolOverride | undefined = Object.hasOwn(o.tools, original.id) ? o.tools[original.id] : undefined;
    if (!t) {
      out.push(original);
      continue;
    }
    if (t.disabled === true) continue;
    const tool = structuredClone(original);
    removeIgnored(tool, t.ignore);
    addExtra(tool, t.add);
    out.push(tool);
  }
  return out;
}

function removeIgnored(tool: ToolSignature, ignore: ToolOverride['ignore']): void {
  if (!ignore) return;
  const m = tool.match;
  const set = (xs: (string | number)[] | undefined, f: (x: string) => string = (x) => x) => new Set((xs ?? []).map((x) => f(String(x))));
  const hosts = set(ignore.hosts);
  const processes = set(ignore.processes, normaliseProcessName);
  const cmdline = set(ignore.cmdline);
  const extensions = set(ignore.extensions, (x) => x.toLowerCase());
  const ports = set(ignore.ports);
  m.hosts = m.hosts?.filter((h) => !hosts.has(h.name));
  m.processes = m.processes?.filter((p) => !processes.has(normaliseProcessName(p.name)));
  m.cmdline = m.cmdline?.filter((c) => !cmdline.has(c.contains));
  m.vscode_extensions = m.vscode_extensions?.filter((e) => !extensions.has(e.id.toLowerCase()));
  m.jetbrains_plugins = m.jetbrains_plugins?.filter((e) => !extensions.has(e.id.toLowerCase()));
  m.browser_extensions = m.browser_extensions?.filter((e) => !extensions.has(e.id.toLowerCase()));
  m.ports = m.ports?.filter((p) => !ports.has(String(p.port)));
  for (const key of Object.keys(m) as (keyof ToolSignature['match'])[]) {
    const list = m[key];
    if (list === undefined || list.length === 0) delete m[key];
  }
}

function addExtra(tool: ToolSignature, add: ToolOverride['add']): void {
  if (!add) return;
  const m = tool.match;
  const source = (note: string) => `override: ${note}`;
  for (const p of add.processes ?? []) (m.processes ??= []).push({ name: p.name, ...(p.os ? { os: p.os } : {}), ...(p.path_contains ? { path_contains: p.path_contains } : {}), source: source(p.note) });
  for (const c of add.cmdline ?? []) (m.cmdline ??= []).push({ interpreters: c.interpreters, contains: c.contains, source: source(c.note) });
  for (const e of add.vscode_extensions ?? []) (m.vscode_extensions ??= []).push({ id: e.id, source: source(e.note) });
  for (const e of add.jetbrains_plugins ?? []) (m.jetbrains_plugins ??= []).push({ id: e.id, source: source(e.note) });
  for (const e of add.browser_extensions ?? []) (m.browser_extensions ??= []).push({ browser: e.browser, id: e.id, source: source(e.note) });
  for (const h of add.hosts ?? []) (m.hosts ??= []).push({ name: h.name, match: h.match, role: h.role ?? 'api', source: source(h.note) });
  for (const p of add.ports ?? []) (m.ports ??= []).push({ port: p.port, protocol: p.protocol ?? 'tcp', source: source(p.note) });
}
