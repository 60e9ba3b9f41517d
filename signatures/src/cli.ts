#!/usr/bin/env node
/** `aiscout` command: classify observations from stdin, check or list the catalog. */
import { realpathSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileCatalog, type Classifier } from './classifier.js';
import { BUNDLE_FILE, writeCatalogBundle } from './bundle.js';
import { readLines } from './lines.js';
import { BUNDLED_TOOLS_DIR, loadCatalog } from './loader.js';
import { parseObservation } from './observation.js';
import { applyOverrides, checkOverrides, loadOverrides } from './overrides.js';
import { CATEGORIES, type CatalogIssue } from './types.js';

export const MAX_LINE_BYTES = 64 * 1024;

export const HELP = `aiscout - find AI tools in what an endpoint sees

Usage:
  aiscout classify [--dir DIR] [--overrides FILE]
      Reads observations as JSON Lines on stdin and writes one JSON line per input line, in order:
      the input plus tool, tool_name, category, confidence, candidates, evidence; or {"error": ...}.
        {"type":"process","name":"node","exe":"/usr/bin/node","cmdline":"node .../cli.js"}
        {"type":"host","name":"api.anthropic.com"}
        {"type":"extension","ecosystem":"vscode|jetbrains|chrome|edge|firefox","id":"..."}
        {"type":"port","port":11434,"protocol":"tcp"}
  aiscout catalog check [--dir DIR] [--overrides FILE]
      Prints every catalog issue (file:line code message) and a summary; exit 1 if any issue.
  aiscout catalog bundle [--dir DIR] [--out FILE]
      Validates the catalog and writes it as one JSON file (default dist/catalog.json), which the
      agent loads at start instead of the YAML files; exit 1 and nothing written on any issue.
  aiscout catalog list [--dir DIR] [--json]
      Lists the tools: id, name, category, status.
  aiscout help

Options:
  --dir DIR          signature folder (default: the bundled catalog)
  --overrides FILE   operator overrides (see signatures/README.md)
`;

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** Runs the command line `argv` (without node and script) and resolves to the exit code. Never rejects. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'classify':
        return await classifyCommand(rest, io);
      case 'catalog': {
        const [sub, ...args] = rest;
        if (sub === 'check') return catalogCheck(args, io);
        if (sub === 'list') return catalogList(args, io);
        if (sub === 'bundle') return catalogBundle(args, io);
        return usage(io, sub === undefined ? 'catalog needs a subcommand: check, list or bundle' : `unknown catalog subcommand '${sub}'`);
      }
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(HELP);
        return 0;
      case undefined:
        return usage(io, 'a command is required');
      default:
        return usage(io, `unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return usage(io, e.message);
    io.stderr.write(`aiscout: ${(e as Error).message}\n`);
    return 1;
  }
}

function usage(io: CliIo, message: string): number {
  io.stderr.write(`aiscout: ${message}\n\n${HELP}`);
  return 2;
}

function formatIssue(i: CatalogIssue): string {
  return `${i.file}:${i.line ?? 0} ${i.code} ${i.message}\n`;
}

/** The catalog (from --dir) with --overrides applied, or the issues that stop it. */
function buildClassifier(dir: string | undefined, overridesFile: string | undefined): { classifier: Classifier; issues: CatalogIssue[]; overrideIssues: CatalogIssue[] } {
  const catalog = loadCatalog(dir ?? BUNDLED_TOOLS_DIR);
  if (overridesFile === undefined) return { classifier: compileCatalog(catalog.tools, catalog.version), issues: catalog.issues, overrideIssues: [] };
  const { overrides, issues } = loadOverrides(overridesFile);
  if (!overrides) return { classifier: compileCatalog(catalog.tools, catalog.version), issues: catalog.issues, overrideIssues: issues };
  const tools = applyOverrides(catalog.tools, overrides);
  return {
    classifier: compileCatalog(tools, undefined, { ignore: overrides.ignore }),
    issues: catalog.issues,
    overrideIssues: checkOverrides(catalog.tools, overrides, overridesFile),
  };
}

async function classifyCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { dir: { type: 'string' }, overrides: { type: 'string' } }, strict: true, allowPositionals: false });
  const { classifier, issues, overrideIssues } = buildClassifier(values.dir, values.overrides);
  // Catalog problems are worth a warning, not a stop: the files that loaded still classify.
  for (const i of issues) io.stderr.write(`warning: ${formatIssue(i)}`);
  if (overrideIssues.some((i) => i.code !== 'unknown-tool' && i.code !== 'unknown-identifier')) {
    for (const i of overrideIssues) io.stderr.write(formatIssue(i));
    return 2;
  }
  for (const i of overrideIssues) io.stderr.write(`warning: ${formatIssue(i)}`);

  let outputFailed = false;
  io.stdout.on('error', () => {
    outputFailed = true; // e.g. EPIPE when the reader went away: stop quietly
  });
  try {
    for await (const lines of readLines(io.stdin, MAX_LINE_BYTES)) {
      let out = '';
      for (const line of lines) out += answerLine(classifier, line.text) + '\n';
      if (outputFailed) break;
      if (!io.stdout.write(out)) await drained(io.stdout);
      if (outputFailed) break;
    }
  } catch (e) {
    io.stderr.write(`aiscout: cannot read stdin: ${(e as Error).message}\n`);
    return 1;
  }
  return 0;
}

/** Resolves when `out` can take more, or can take nothing ever again (closed, failed). Never rejects. */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    out.on('error', done);
  });
}

/** One output line for one input line (null: the line was longer than MAX_LINE_BYTES). */
export function answerLine(classifier: Classifier, text: string | null): string {
  if (text === null) return JSON.stringify({ error: `line longer than ${MAX_LINE_BYTES} bytes` });
  if (text.trim() === '') return JSON.stringify({ error: 'blank line' });
  try {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // The engine's message differs between Node versions; keep the answer stable.
      return JSON.stringify({ error: 'invalid JSON' });
    }
    const parsed = parseObservation(value);
    if (!parsed.ok) return JSON.stringify({ error: parsed.error });
    const c = classifier.classify(parsed.obs);
    return JSON.stringify({
      ...(value as object),
      tool: c.tool,
      tool_name: c.tool_name,
      category: c.category,
      confidence: c.confidence,
      candidates: c.candidates,
      evidence: c.evidence,
    });
  } catch (e) {
    // Deeply nested input can exhaust the stack while echoing it back; answer the line anyway.
    return JSON.stringify({ error: `cannot process line: ${(e as Error).message.slice(0, 200)}` });
  }
}

function catalogCheck(args: string[], io: CliIo): number {
  const { values } = parseArgs({ args, options: { dir: { type: 'string' }, overrides: { type: 'string' } }, strict: true, allowPositionals: false });
  const catalog = loadCatalog(values.dir ?? BUNDLED_TOOLS_DIR);
  const issues = [...catalog.issues];
  if (values.overrides !== undefined) {
    const o = loadOverrides(values.overrides);
    issues.push(...o.issues);
    if (o.overrides) issues.push(...checkOverrides(catalog.tools, o.overrides, values.overrides));
  }
  for (const i of issues) io.stdout.write(formatIssue(i));
  const counts = CATEGORIES.map((c) => [c, catalog.tools.filter((t) => t.category === c).length] as const).filter(([, n]) => n > 0);
  io.stdout.write(
    `${catalog.tools.length} tools (${counts.map(([c, n]) => `${c}: ${n}`).join(', ') || 'none'}), ${issues.length} issues, version ${catalog.version}\n`,
  );
  return issues.length > 0 ? 1 : 0;
}

/** Build step: validates the catalog and writes dist/catalog.json, which the agent loads instead of the YAML files. */
function catalogBundle(args: string[], io: CliIo): number {
  const { values } = parseArgs({ args, options: { dir: { type: 'string' }, out: { type: 'string' } }, strict: true, allowPositionals: false });
  const r = writeCatalogBundle(values.dir ?? BUNDLED_TOOLS_DIR, values.out ?? BUNDLE_FILE);
  for (const i of r.issues) io.stderr.write(formatIssue(i));
  if (r.issues.length > 0) {
    io.stderr.write(`catalog bundle not written: ${r.issues.length} issue(s)\n`);
    return 1;
  }
  io.stdout.write(`catalog bundle: ${r.tools} tools, version ${r.version}\n`);
  return 0;
}

function catalogList(args: string[], io: CliIo): number {
  const { values } = parseArgs({ args, options: { dir: { type: 'string' }, json: { type: 'boolean' } }, strict: true, allowPositionals: false });
  const catalog = loadCatalog(values.dir ?? BUNDLED_TOOLS_DIR);
  const rows = catalog.tools.map((t) => ({ id: t.id, name: t.name, category: t.category, status: t.status }));
  if (values.json) {
    io.stdout.write(JSON.stringify({ version: catalog.version, tools: rows }) + '\n');
  } else {
    const w = Math.max(2, ...rows.map((r) => r.id.length));
    const n = Math.max(4, ...rows.map((r) => r.name.length));
    const c = Math.max(8, ...rows.map((r) => r.category.length));
    io.stdout.write(`${'id'.padEnd(w)}  ${'name'.padEnd(n)}  ${'category'.padEnd(c)}  status\n`);
    for (const r of rows) io.stdout.write(`${r.id.padEnd(w)}  ${r.name.padEnd(n)}  ${r.category.padEnd(c)}  ${r.status}\n`);
  }
  for (const i of catalog.issues) io.stderr.write(`warning: ${formatIssue(i)}`);
  return 0;
}

function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const code = await runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
  process.exitCode = code;
}
