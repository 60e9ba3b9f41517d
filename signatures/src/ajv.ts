import { createRequire } from 'node:module';
import type { Ajv2020 as Ajv2020Class } from 'ajv/dist/2020.js';

const require = createRequire(import.meta.url);
let ctor: typeof Ajv2020Class | undefined;

/**
 * ajv, loaded on first use: the always-on agent classifies with the prebuilt catalog bundle and
 * never validates a schema, so it should not carry ajv (about 6 MB resident) for nothing.
 */
export function newAjv(): Ajv2020Class {
  ctor ??= (require('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020Class }).Ajv2020;
  return new ctor({ allErrors: true, strict: true });
}
