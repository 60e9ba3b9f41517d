import { homedir } from 'node:os';
import Value from 'typebox/value';
import { checkReadable, checkRules, readSecretFile } from './checks.js';
import { CONFIG_FILE_ENV, settingsFromEnv } from './env.js';
import { ConfigParseError, checkDepth, record, type PlainValue } from './errors.js';
import { LAST_GOOD_FILE, loadLastGood, saveLastGood } from './last-good.js';
import { defaultPaths, envGetter, pathApi, targetPlatform, type ConfigPaths, type ConfigPlatform } from './paths.js';
import { readConfigFile } from './read-source.js';
import { parseRegQuery, runRegQuery as defaultRegQuery, type RegQueryRunner } from './reg-query.js';
import { AgentConfigSchema, type AgentConfig, type AgentConfigInput } from './schema.js';
import { coerce, isPlainObject, merge, pickKnown, type SchemaNode, type ShapeIssue } from './shape.js';

export interface ConfigIssue {
  /** Dotted setting path (`intervals.processes`), or '' for a whole source. */
  path: string;
  message: string;
  /** Errors make the configuration unusable; warnings (unknown keys, a failed save) do not. */
  severity: 'error' | 'warning';
  /** The file, registry key or "environment" the issue comes from, when it is about one source. */
  source?: string;
}

export interface ConfigLoadResult {
  /**
   * The configuration to run with: the one just loaded when it has no errors, else the last good
   * one (`fromLastGood`), else null — then the agent must refuse to start.
   */
  config: AgentConfig | null;
  /** Sources that were merged, e.g. "file:/etc/aiscout/agent.yaml + env". */
  source: string;
  issues: ConfigIssue[];
  fromLastGood: boolean;
}

export interface LoadOptions {
  platform?: NodeJS.Platform;
  env?: Record<string, string | undefined>;
  /** Replace any of the per-OS locations (tests point them at fixtures). */
  paths?: Partial<ConfigPaths>;
  runRegQuery?: RegQueryRunner;
  /** Running as root / SYSTEM: decides the default state directory. */
  privileged?: boolean;
  home?: string;
  /** Where the last good configuration is kept; default <state_dir>/last-good-config.json. */
  lastGoodPath?: string;
}

const schema = AgentConfigSchema as unknown as SchemaNode;

/** TypeBox's errors, one per setting, worded for a person and never quoting the value. */
function schemaIssues(value: unknown): ShapeIssue[] {
  const byPath = new Map<string, string>();
  // Interpreted, not compiled: the config is checked once per load, and a compiled validator of this
  // schema costs the always-on agent megabytes of generated code.
  for (const e of Value.Errors(AgentConfigSchema, value)) {
    if (e.keyword === 'required') {
      const prefix = e.instancePath.slice(1).replace(/\//g, '.');
      for (const name of (e.params as { requiredProperties?: string[] }).requiredProperties ?? []) {
        const path = prefix ? `${prefix}.${name}` : name;
        if (!byPath.has(path)) byPath.set(path, 'is required');
      }
      continue;
    }
    const path = e.instancePath.slice(1).replace(/\//g, '.');
    if (byPath.has(path)) continue;
    const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
    byPath.set(path, allowed ? `must be one of: ${allowed.join(', ')}` : e.message);
  }
  return [...byPath].map(([path, message]) => ({ path, message }));
}

interface Gathered {
  merged: PlainValue;
  sources: string[];
}

/** Reads every source in precedence order (file, then registry on Windows, then environment). */
async function gather(platform: ConfigPlatform, env: Record<string, string | undefined>, paths: ConfigPaths, runReg: RegQueryRunner, issues: ConfigIssue[]): Promise<Gathered> {
  const sources: string[] = [];
  let merged: PlainValue = record();
  const add = (value: PlainValue, source: string, caseInsensitive = false, coerceTypes = false) => {
    const shape: ShapeIssue[] = [];
    checkDepth(value);
    let known = pickKnown(value, schema, '', shape, caseInsensitive);
    if (coerceTypes) known = coerce(known, schema);
    for (const i of shape) issues.push({ ...i, severity: 'warning', source });
    merged = merge(merged, known);
    sources.push(source);
  };

  const explicit = envGetter(platform, env)(CONFIG_FILE_ENV);
  const files = explicit ? [explicit] : paths.files;
  for (const file of files) {
    try {
      const value = await readConfigFile(file);
      if (value === null) {
        if (explicit) issues.push({ path: '', message: `${CONFIG_FILE_ENV} names a file that does not exist`, severity: 'error', source: file });
        continue;
      }
      add(file.toLowerCase().endsWith('.plist') ? withoutPayloadKeys(value) : value, `file:${file}`);
    } catch (err) {
      // A broken first file is an error, not a reason to read the next one: the admin meant this one.
      issues.push({ path: '', message: `${file} ${err instanceof ConfigParseError ? err.message : 'could not be read'}`, severity: 'error', source: file });
    }
    break;
  }

  if (paths.registryKey) {
    const key = paths.registryKey;
    try {
      const output = await runReg(key);
      if (output !== null) add(parseRegQuery(output, key, env), `registry:${key}`, true, true);
    } catch (err) {
      issues.push({ path: '', message: err instanceof ConfigParseError ? err.message : `reading ${key} failed`, severity: 'error', source: `registry:${key}` });
    }
  }

  const fromEnv = settingsFromEnv(env);
  for (const name of fromEnv.unknown) issues.push({ path: '', message: `environment variable ${name} matches no setting (ignored)`, severity: 'warning', source: 'env' });
  if (isPlainObject(fromEnv.settings) && Object.keys(fromEnv.settings).length > 0) add(fromEnv.settings, 'env', false, true);
  return { merged, sources };
}

/** Reads secret files and checks certificate files; returns the configuration the agent runs with. */
async function resolve(input: AgentConfigInput, paths: ConfigPaths, platform: ConfigPlatform, issues: ShapeIssue[]): Promise<AgentConfig> {
  let enrollmentSecret = input.enrollment_secret ?? '';
  if (input.enrollment_secret_file !== undefined) {
    const r = await readSecretFile(input.enrollment_secret_file, 8);
    if ('message' in r) issues.push({ path: 'enrollment_secret_file', message: r.message });
    else enrollmentSecret = r.value;
  }
  let pseudonymKey = input.privacy.pseudonym_key ?? null;
  if (input.privacy.pseudonym_key_file !== undefined) {
    const r = await readSecretFile(input.privacy.pseudonym_key_file, 16);
    if ('message' in r) issues.push({ path: 'privacy.pseudonym_key_file', message: r.message });
    else pseudonymKey = r.value;
  }
  for (const key of ['ca_file', 'client_cert_file', 'client_key_file'] as const) {
    const file = input[key];
    if (file === undefined) continue;
    const issue = await checkReadable(key, file);
    if (issue) issues.push(issue);
  }
  const stateDir = input.state_dir ?? paths.stateDir;
  const { enrollment_secret_file: _secretFile, state_dir: _stateDir, spool, privacy, ...rest } = input;
  return {
    ...rest,
    enrollment_secret: enrollmentSecret,
    state_dir: stateDir,
    spool: { dir: spool.dir ?? pathApi(platform).join(stateDir, 'spool'), max_bytes: spool.max_bytes },
    privacy: { pseudonymize_users: privacy.pseudonymize_users, pseudonym_key: pseudonymKey, hostname: privacy.hostname },
  };
}

/**
 * Loads the agent configuration: defaults < configuration file (per OS; first existing wins) <
 * Windows policy registry key < AISCOUT_* environment variables. Never throws for bad input: every
 * problem is an issue with the setting's path. With any error the result carries the last good
 * configuration (or null), never a half-valid one.
 */
export async function loadAgentConfig(options: LoadOptions = {}): Promise<ConfigLoadResult> {
  const platform = targetPlatform(options.platform ?? process.platform);
  const env = options.env ?? process.env;
  const privileged = options.privileged ?? (platform === 'win32' ? true : process.getuid?.() === 0);
  const paths: ConfigPaths = { ...defaultPaths(platform, env, privileged, options.home ?? homedir()), ...options.paths };
  const issues: ConfigIssue[] = [];

  let gathered: Gathered = { merged: record(), sources: [] };
  try {
    gathered = await gather(platform, env, paths, options.runRegQuery ?? defaultRegQuery, issues);
  } catch (err) {
    issues.push({ path: '', message: err instanceof ConfigParseError ? err.message : 'configuration could not be read', severity: 'error' });
  }
  const source = gathered.sources.length > 0 ? gathered.sources.join(' + ') : 'defaults';

  const withDefaults = Value.Default(AgentConfigSchema, structuredClone(gathered.merged)) as unknown;
  // A source that could not be read explains everything after it (a missing collector_url...): report it alone.
  const sourceFailed = issues.some((i) => i.severity === 'error');
  const errors: ShapeIssue[] = sourceFailed ? [] : schemaIssues(withDefaults);
  let config: AgentConfig | null = null;
  if (!sourceFailed && errors.length === 0) {
    const input = withDefaults as AgentConfigInput;
    errors.push(...checkRules(input, platform));
    if (errors.length === 0) config = await resolve(input, paths, platform, errors);
  }
  issues.push(...errors.map((e) => ({ ...e, severity: 'error' as const })));

  const stateDir = config?.state_dir ?? stateDirOf(gathered.merged, platform) ?? paths.stateDir;
  const lastGoodPath = options.lastGoodPath ?? pathApi(platform).join(stateDir, LAST_GOOD_FILE);
  if (config && !issues.some((i) => i.severity === 'error')) {
    try {
      await saveLastGood(lastGoodPath, config, source);
    } catch (err) {
      issues.push({ path: '', message: `last good configuration not saved (${(err as NodeJS.ErrnoException).code ?? 'error'})`, severity: 'warning' });
    }
    return { config, source, issues, fromLastGood: false };
  }
  const lastGood = await loadLastGood(lastGoodPath);
  if (lastGood) return { config: lastGood.config, source: `last-good:${lastGood.source}`, issues, fromLastGood: true };
  return { config: null, source, issues, fromLastGood: false };
}

/** Profile bookkeeping keys (PayloadUUID, PayloadIdentifier...) that may travel with the settings: not ours, not worth a warning. */
function withoutPayloadKeys(value: PlainValue): PlainValue {
  if (!isPlainObject(value)) return value;
  const out = record();
  for (const [k, v] of Object.entries(value)) if (!k.startsWith('Payload')) out[k] = v;
  return out;
}

function stateDirOf(merged: PlainValue, platform: ConfigPlatform): string | null {
  const dir = isPlainObject(merged) ? merged.state_dir : undefined;
  return typeof dir === 'string' && pathApi(platform).isAbsolute(dir) ? dir : null;
}

/** One line per issue, for logs and the CLI. Messages never contain setting values. */
export function formatIssues(issues: ConfigIssue[]): string[] {
  return issues.map((i) => `${i.severity}: ${i.path ? `${i.path} ` : ''}${i.message}${i.source && i.path ? ` (${i.source})` : ''}`);
}
