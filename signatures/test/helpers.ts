import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Observation, ToolSignature } from '../src/index.js';

export const BENIGN_DIR = new URL('./benign/', import.meta.url);

export function readJsonl<T = Record<string, unknown>>(file: URL | string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

export function benign(kind: 'processes' | 'hosts' | 'extensions' | 'ports'): Observation[] {
  return readJsonl<Observation>(new URL(`${kind}.jsonl`, BENIGN_DIR));
}

export function tempDir(prefix = 'aiscout-sig-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

const SRC = 'https://example.com/source';

/** A valid tool with the given match block (every entry gets a source). */
export function tool(id: string, match: ToolSignature['match'], extra: Partial<ToolSignature> = {}): ToolSignature {
  return { id, name: `Tool ${id}`, vendor: 'Vendor', category: 'model-api', status: 'stable', homepage: SRC, match, ...extra };
}

export const host = (name: string, match: 'exact' | 'suffix' | 'wildcard' = 'exact', shared = false) =>
  ({ name, match, role: 'api', ...(shared ? { shared: true } : {}), source: SRC }) as const;

/** YAML text of a minimal valid tool file. */
export function toolYaml(id: string, hostName = `api.${id}.example`): string {
  return `id: ${id}
name: Tool ${id}
vendor: Vendor
category: model-api
status: stable
homepage: https://example.com/
match:
  hosts:
    - name: ${hostName}
      match: exact
      role: api
      source: https://example.com/docs
`;
}
