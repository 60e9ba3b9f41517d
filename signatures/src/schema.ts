import { readFileSync } from 'node:fs';
import { newAjv } from './ajv.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';

/** tool.schema.json sits beside src/ and dist/, so one relative URL works from both. */
export const SCHEMA_URL = new URL('../tool.schema.json', import.meta.url);

let compiled: ValidateFunction | undefined;

/** The compiled tool schema (compiled once per process). */
export function toolValidator(): ValidateFunction {
  compiled ??= newAjv().compile(JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as object);
  return compiled;
}

/** One line per schema error, naming the offending property and the allowed values when ajv knows them. */
export function describeSchemaError(e: ErrorObject): string {
  const at = e.instancePath === '' ? '(root)' : e.instancePath;
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') return `${at}: unknown property '${String(params.additionalProperty)}'`;
  if (e.keyword === 'enum') return `${at}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'required') return `${at}: missing required property '${String(params.missingProperty)}'`;
  return `${at}: ${e.message ?? e.keyword}`;
}
