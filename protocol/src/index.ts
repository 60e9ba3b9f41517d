export * from './common.js';
export * from './events.js';
export * from './batch.js';
export * from './uuid.js';
export * from './validate.js';
export { jsonSchemas } from './json-schema.js';
export * from './signing.js';
export * from './pseudonym.js';
