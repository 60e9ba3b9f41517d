import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MCP_FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'mcp');

/** Every secret planted in the fixtures contains this; it must never reach an observation or a count. */
export const SECRET_MARKER = 'aiscoutMarker';

/** Copies a fixture tree into `dest`, writing the real home path where the fixture says {{HOME}}. */
export async function copyFixtureTree(fixture: string, dest: string, home: string): Promise<void> {
  await cp(path.join(MCP_FIXTURES, fixture), dest, { recursive: true });
  for (const entry of await readdir(dest, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = await readFile(file, 'utf8');
    if (text.includes('{{HOME}}')) await writeFile(file, text.replaceAll('{{HOME}}', home));
  }
}
