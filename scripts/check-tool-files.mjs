// Quick schema check of signature files while the catalog is being written:
//   node scripts/check-tool-files.mjs [file...]   (default: every signatures/tools/*.yaml)
import { readFileSync, readdirSync } from 'node:fs';
import { join, basename } from 'node:path';
import Ajv2020 from '../signatures/node_modules/ajv/dist/2020.js';
import { parse } from 'yaml';

const dir = new URL('../signatures/tools/', import.meta.url).pathname;
const schema = JSON.parse(readFileSync(new URL('../signatures/tool.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
const files = process.argv.slice(2).length ? process.argv.slice(2) : readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.startsWith('_')).map((f) => join(dir, f));
let bad = 0;
for (const f of files) {
  let doc;
  try { doc = parse(readFileSync(f, 'utf8')); } catch (e) { console.log(`${f}: YAML: ${e.message}`); bad++; continue; }
  if (!validate(doc)) { bad++; for (const e of validate.errors) console.log(`${f}: ${e.instancePath} ${e.message}`); }
  else if (doc.id !== basename(f, '.yaml')) { bad++; console.log(`${f}: id ${doc.id} differs from file name`); }
}
console.log(`${files.length} files, ${bad} with problems`);
process.exit(bad ? 1 : 0);
