import { isRecord } from '../sensors/fs-read.js';
import { launchFacts } from './launcher.js';
import { argsHaveSecret, isLiteralSecret, looksLikeToken, urlHasSecret } from './secrets.js';
import { transportFromUrl, urlFacts } from './url.js';
import type { McpFlag, McpHost, McpScope, McpServerObservation, McpTransport } from './types.js';

/** Where a server entry was found; everything the observation needs besides the entry. */
export interface EntryContext {
  ecosystem: McpHost;
  tool: string | null;
  product: string | null;
  scope: McpScope;
  location: string;
  user: string | null;
  /** Gemini CLI: `url` is an SSE endpoint and `httpUrl` a Streamable HTTP one. */
  urlIsSse?: boolean;
}

/** Names and flags lists are bounded like the wire lists they end up in. */
const MAX_KEYS = 64;
const KEY_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function scalar(v: unknown): string | null {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
}

function transportOf(raw: unknown): McpTransport | null {
  const t = typeof raw === 'string' ? raw : isRecord(raw) ? raw.type : null;
  if (typeof t !== 'string') return null;
  switch (t.toLowerCase().replace(/[-_]/g, '')) {
    case 'stdio':
    case 'local':
      return 'stdio';
    case 'http':
    case 'streamablehttp':
    case 'https':
    case 'remote':
      return 'http';
    case 'sse':
      return 'sse';
    case 'ws':
    case 'websocket':
      return 'ws';
    default:
      return null;
  }
}

/** Collects the names of a name→value map, flagging secret values; values are dropped here. */
function namesOf(map: unknown, pattern: RegExp, flags: Set<McpFlag>): string[] {
  if (!isRecord(map)) return [];
  const names: string[] = [];
  for (const [name, raw] of Object.entries(map)) {
    const value = scalar(raw);
    if (value !== null && isLiteralSecret(value, name)) flags.add('literal-secret');
    // A name that is itself a token is a secret pasted in the wrong place; other odd names are just dropped.
    if (looksLikeToken(name)) flags.add('literal-secret');
    else if (pattern.test(name)) names.push(name);
  }
  return names;
}

function bounded(names: Iterable<string>): string[] {
  return [...new Set(names)].sort().slice(0, MAX_KEYS);
}

function autoApproves(entry: Record<string, unknown>): boolean {
  const list = (v: unknown): boolean => v === true || v === '*' || (Array.isArray(v) && v.length > 0);
  return list(entry.autoApprove) || list(entry.alwaysAllow) || entry.trust === true;
}

/** A server's name as the config spells it, unless it looks like a token. */
export function serverName(raw: string, flags: Set<McpFlag>): string {
  const name = [...raw].filter((ch) => ch.charCodeAt(0) > 0x1f && ch !== '\u007f').join('').trim().slice(0, 128);
  if (name === '' || looksLikeToken(name)) {
    if (name !== '') flags.add('literal-secret');
    return '(unnamed)';
  }
  return name;
}

/**
 * Turns one server entry of any supported dialect into an observation: Claude/Cursor/Windsurf/Cline
 * style (`command`/`args`/`env`/`url`|`serverUrl`/`headers`), VS Code (`type`), Gemini
 * (`httpUrl`, `trust`), Codex TOML (`http_headers`, `bearer_token[_env_var]`, `env_vars`,
 * `enabled`), Zed (`command` as `{path,args,env}`), Continue (`transport.type`).
 */
export function normalizeServer(rawName: string, entry: Record<string, unknown>, ctx: EntryContext): McpServerObservation {
  const flags = new Set<McpFlag>();
  const name = serverName(rawName, flags);
  const cmdObj = isRecord(entry.command) ? entry.command : null;
  const command = str(cmdObj ? cmdObj.path : entry.command);
  const args = strings(cmdObj && cmdObj.args !== undefined ? cmdObj.args : entry.args);
  const transportSpec = transportOf(entry.type) ?? transportOf(entry.transport);

  const envKeys = namesOf(cmdObj && cmdObj.env !== undefined ? cmdObj.env : entry.env, KEY_NAME, flags);
  for (const k of strings(entry.env_vars)) if (KEY_NAME.test(k)) envKeys.push(k);
  const tokenVar = str(entry.bearer_token_env_var);
  if (tokenVar && KEY_NAME.test(tokenVar)) envKeys.push(tokenVar);
  const requestHeaders = isRecord(entry.requestOptions) ? entry.requestOptions.headers : undefined;
  const headerKeys = [
    ...namesOf(entry.headers, HEADER_NAME, flags),
    ...namesOf(entry.http_headers, HEADER_NAME, flags),
    ...namesOf(requestHeaders, HEADER_NAME, flags),
  ];
  // Zed extension servers keep their options (tokens included) in `settings`; only secrecy is checked.
  if (isRecord(entry.settings)) {
    for (const [k, v] of Object.entries(entry.settings)) if (typeof v === 'string' && isLiteralSecret(v, k)) flags.add('literal-secret');
  }
  if (isRecord(entry.env_http_headers)) {
    for (const [header, envVar] of Object.entries(entry.env_http_headers)) {
      if (HEADER_NAME.test(header)) headerKeys.push(header);
      if (typeof envVar === 'string' && KEY_NAME.test(envVar)) envKeys.push(envVar);
    }
  }
  const inlineToken = str(entry.bearer_token);
  if (inlineToken !== null && isLiteralSecret(inlineToken, 'bearer_token')) flags.add('literal-secret');

  const httpUrl = str(entry.httpUrl);
  const plainUrl = str(entry.url) ?? str(entry.serverUrl);
  const url = httpUrl ?? plainUrl;
  let transport: McpTransport | null = transportSpec;
  let host: string | null = null;
  let commandBase: string | null = null;
  let pkg: string | null = null;
  let pkgEcosystem: McpServerObservation['package_ecosystem'] = null;
  let version: string | null = null;

  const remote = (raw: string): void => {
    if (urlHasSecret(raw)) flags.add('literal-secret');
    const facts = urlFacts(raw);
    if (facts === null) return;
    host = facts.host;
    if (!facts.loopback) flags.add('remote-http');
    if (facts.plaintext && !facts.loopback) flags.add('insecure-http');
  };

  if (command !== null && (transport === null || transport === 'stdio')) {
    transport = 'stdio';
    if (argsHaveSecret(args)) flags.add('literal-secret');
    const launch = launchFacts(command, args);
    commandBase = launch.command;
    pkg = launch.package;
    pkgEcosystem = launch.packageEcosystem;
    version = launch.version;
    if (launch.shellExec) flags.add('shell-exec');
    if (launch.unpinned) flags.add('unpinned-package');
    if (launch.proxyUrl !== null) remote(launch.proxyUrl);
    if (looksLikeToken(command)) flags.add('literal-secret');
  } else if (url !== null) {
    transport ??= httpUrl !== null ? 'http' : ctx.urlIsSse ? 'sse' : transportFromUrl(url);
    remote(url);
  }

  return {
    type: 'mcp-server',
    ecosystem: ctx.ecosystem,
    tool: ctx.tool,
    product: ctx.product,
    name,
    transport,
    command: commandBase,
    package: pkg,
    package_ecosystem: pkgEcosystem,
    version,
    host,
    env_keys: bounded(envKeys),
    header_keys: bounded(headerKeys),
    scope: ctx.scope,
    location: ctx.location,
    enabled: entry.disabled !== true && entry.enabled !== false,
    flags: [...(autoApproves(entry) ? flags.add('auto-approve') : flags)].sort(),
    user: ctx.user,
  };
}
