/** @aiscout/collector: build the app, load config, run migrations. The CLI is cli.ts. */
export { build, type BuildOptions } from './app.js';
export { loadConfig, ConfigError, DEFAULT_CONFIG, type CollectorConfig } from './config.js';
export { migrate, pendingMigrations, SCHEMA_DIR } from './store/migrate.js';
export { readMigrations, renderStatements, tableNames } from './store/schema.js';
export { Store, StoreUnavailableError } from './store/store.js';
export { ERRORS, type ErrorCode } from './errors.js';
export { serve } from './server.js';
