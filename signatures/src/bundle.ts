import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLED_TOOLS_DIR, loadCatalog } from './loader.js';
import type { CatalogIssue, ToolSignature } from './types.js';

/**
 * The catalog, validated once at build time and written as one JSON file, so the endpoint agent
 * loads it without parsing 100+ YAML files or carrying a schema validator. The bundle records
 * each tool file's name, size and modification time; when the folder no longer matches, it is
 * stale and the caller falls back to the YAML files.
 */
export const BUNDLE_FILE = fileURLToPath(new URL('../dist/catalog.json', import.meta.url));

interface FileStamp {
  name: string;
  size: number;
  mtimeMs: number;
}

interface Bundle {
  format: 1;
  version: string;
  files: FileStamp[];
  tools: ToolSignature[];
}

function stamps(dir: string): FileStamp[] {
  return readdirSync(dir)
    .filter((f) => (f.endsWith('.yaml') || f.endsWith('.yml')) && !f.startsWith('_'))
    .sort()
    .map((name) => {
      const st = statSync(join(dir, name));
      return { name, size: st.size, mtimeMs: Math.trunc(st.mtimeMs) };
    });
}

/** Validates the catalog in `dir` and writes the bundle; refuses (returns the issues) when any file has one. */
export function writeCatalogBundle(dir: string = BUNDLED_TOOLS_DIR, out: string = BUNDLE_FILE): { tools: number; version: string; issues: CatalogIssue[] } {
  const before = stamps(dir);
  const { tools, issues, version } = loadCatalog(dir);
  if (issues.length > 0) return { tools: tools.length, version, issues };
  const bundle: Bundle = { format: 1, version, files: before, tools };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(bundle));
  return { tools: tools.length, version, issues };
}

/** The bundle's tools and version when it exists and matches `dir` file for file; null otherwise. Never throws. */
export function readCatalogBundle(dir: string = BUNDLED_TOOLS_DIR, file: string = BUNDLE_FILE): { tools: ToolSignature[]; version: string } | null {
  try {
    const bundle = JSON.parse(readFileSync(file, 'utf8')) as Bundle;
    if (bundle.format !== 1 || !Array.isArray(bundle.tools) || !Array.isArray(bundle.files)) return null;
    const now = stamps(dir);
    if (now.length !== bundle.files.length) return null;
    for (let i = 0; i < now.length; i++) {
      const a = now[i]!;
      const b = bundle.files[i]!;
      if (a.name !== b.name || a.size !== b.size || a.mtimeMs !== b.mtimeMs) return null;
    }
    return { tools: bundle.tools, version: bundle.version };
  } catch {
    return null;
  }
}
