import { record, type PlainValue } from './errors.js';
import { leafPaths, type SchemaNode } from './shape.js';
import { AgentConfigSchema } from './schema.js';

/** Names an explicit configuration file, replacing the per-OS search. */
export const CONFIG_FILE_ENV = 'AISCOUT_CONFIG';
const PREFIX = 'AISCOUT_';

/**
 * One environment variable per setting, named after its path: `spool.max_bytes` →
 * AISCOUT_SPOOL_MAX_BYTES, `collector_url` → AISCOUT_COLLECTOR_URL.
 */
export const ENV_VARIABLES: ReadonlyMap<string, string[]> = new Map(
  leafPaths(AgentConfigSchema as unknown as SchemaNode).map((path) => [`${PREFIX}${path.join('_').toUpperCase()}`, path]),
);

/**
 * The settings the environment overrides, as a nested object (values still text), and the
 * AISCOUT_* names that match no setting. An empty variable counts as unset.
 */
export function settingsFromEnv(env: Record<string, string | undefined>): { settings: PlainValue; unknown: string[] } {
  const settings = record();
  const unknown: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.toUpperCase().startsWith(PREFIX) || value === undefined || value === '') continue;
    const upper = name.toUpperCase();
    if (upper === CONFIG_FILE_ENV) continue;
    const path = ENV_VARIABLES.get(upper);
    if (!path) {
      unknown.push(name);
      continue;
    }
    let node = settings;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next === 'object' && next !== null && !Array.isArray(next) && !(next instanceof Date) && !(next instanceof Uint8Array)) {
        node = next;
      } else {
        const child = record();
        node[key] = child;
        node = child;
      }
    }
    node[path[path.length - 1] as string] = value;
  }
  return { settings, unknown };
}
