/** Writes dashboards/json/** from the specs: `node --import tsx dashboards/src/generate.ts`. Generated files; do not edit. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll, render } from './build.js';

export const JSON_DIR = fileURLToPath(new URL('../json/', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [file, dashboard] of buildAll()) {
    const path = join(JSON_DIR, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, render(dashboard));
    console.log(`wrote ${path}`);
  }
}
