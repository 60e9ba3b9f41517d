// Writes protocol/schema/<Type>.json from the TypeBox schemas. Generated files: never edit by hand.
import { mkdirSync, writeFileSync } from 'node:fs';
import { jsonSchemas } from '../src/json-schema.js';

const dir = new URL('../schema/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const [name, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(new URL(`${name}.json`, dir), JSON.stringify(schema, null, 2) + '\n');
}
console.log(`wrote ${Object.keys(jsonSchemas()).length} schemas to protocol/schema/`);
