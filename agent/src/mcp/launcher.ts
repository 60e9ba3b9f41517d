import { looksLikeToken } from './secrets.js';
import type { PackageEcosystem } from './types.js';

/** What a stdio server's command and args say about it, without keeping the args themselves. */
export interface LaunchFacts {
  /** Basename of the program that really runs (the one inside a `cmd /c` wrapper). */
  command: string | null;
  package: string | null;
  packageEcosystem: PackageEcosystem | null;
  /** Exact pinned version, or null. */
  version: string | null;
  /** True for a package launch (npx, uvx, docker run...) with no exact version or digest. */
  unpinned: boolean;
  shellExec: boolean;
  /** The URL a stdio-to-remote proxy (mcp-remote, mcp-proxy) connects to. */
  proxyUrl: string | null;
}

const SHELLS = new Set(['sh', 'bash', 'zsh', 'fish', 'dash', 'ksh', 'csh', 'tcsh', 'ash', 'cmd', 'powershell', 'pwsh']);
/** Programs that Windows users wrap in `cmd /c` because they are .cmd shims; the wrapper is not a risk. */
const LAUNCHERS = new Set(['npx', 'uvx', 'uv', 'node', 'python', 'python3', 'py', 'docker', 'podman', 'bunx', 'bun', 'pnpm', 'pnpx', 'yarn', 'deno', 'pipx', 'npm', 'java', 'dotnet', 'go']);
const INTERPRETERS = new Set(['node', 'python', 'python3', 'py', 'deno', 'bun', 'ruby', 'perl', 'php']);
/** stdio servers that relay to a remote MCP server given as an argument. */
const REMOTE_PROXIES = new Set(['mcp-remote', 'mcp-proxy', 'supergateway', '@modelcontextprotocol/mcp-remote']);
/** Servers whose job is to run shell commands or drive a terminal. */
const SHELL_SERVER = /(?:^|[/@_-])(?:shell|terminal|bash|powershell|desktop-commander|cli-mcp-server)(?:[_-]|$)|^mcp-server-commands$/i;

const NPM_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/i;
const PYPI_SPEC = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?(?:(==|@)(.+))?$/;
const EXACT_VERSION = /^v?\d+(?:\.\d+)*(?:[-+.][0-9A-Za-z.+-]+)?$/;
const IMAGE_NAME = /^[a-z0-9][a-z0-9._/-]*(?::[0-9]+\/[a-z0-9._/-]+)?$/;

export function commandBasename(command: string): string | null {
  const base = command.trim().split(/[\\/]/).pop()?.replace(/\.(?:exe|cmd|bat|ps1|com)$/i, '') ?? '';
  return /^[A-Za-z0-9][\w.+-]{0,63}$/.test(base) && !looksLikeToken(base) ? base : null;
}

function safeVersion(v: string | null | undefined): string | null {
  return v && v.length <= 64 && EXACT_VERSION.test(v) && !looksLikeToken(v) ? v.replace(/^v(?=\d)/, '') : null;
}

function npmSpec(spec: string): { name: string; version: string | null } | null {
  const at = spec.startsWith('@') ? spec.indexOf('@', 1) : spec.indexOf('@');
  const name = at > 0 ? spec.slice(0, at) : spec;
  if (name.length > 214 || !NPM_NAME.test(name) || looksLikeToken(name)) return null;
  return { name: name.toLowerCase(), version: at > 0 ? safeVersion(spec.slice(at + 1)) : null };
}

function pypiSpec(spec: string): { name: string; version: string | null } | null {
  const m = PYPI_SPEC.exec(spec);
  if (!m?.[1] || m[1].length > 128 || looksLikeToken(m[1])) return null;
  return { name: m[1].toLowerCase(), version: m[2] ? safeVersion(m[3]) : null };
}

function imageSpec(spec: string): { name: string; version: string | null; pinned: boolean } | null {
  const [ref = '', digest] = spec.split('@', 2);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const hasTag = colon > slash;
  const name = hasTag ? ref.slice(0, colon) : ref;
  const tag = hasTag ? ref.slice(colon + 1) : null;
  if (!IMAGE_NAME.test(name) || name.length > 255 || looksLikeToken(name)) return null;
  const pinned = digest !== undefined || (tag !== null && tag !== 'latest');
  return { name, version: tag !== null && tag !== 'latest' ? safeVersion(tag) : null, pinned };
}

/** Walks launcher options: returns the first positional token and an explicit package option, if any. */
function positional(args: readonly string[], valued: ReadonlySet<string>, packageOpts: ReadonlySet<string>): { first: string | null; explicit: string | null; rest: string[] } {
  let explicit: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--') return { first: args[i + 1] ?? null, explicit, rest: args.slice(i + 2) };
    if (!a.startsWith('-') || a === '-') return { first: a, explicit, rest: args.slice(i + 1) };
    const eq = a.indexOf('=');
    const opt = (eq > 0 ? a.slice(0, eq) : a).replace(/^-+/, '');
    const value = eq > 0 ? a.slice(eq + 1) : valued.has(opt) ? (args[++i] ?? null) : null;
    if (packageOpts.has(opt) && value !== null) explicit = value;
  }
  return { first: null, explicit, rest: [] };
}

const NPX_VALUED = new Set(['p', 'package', 'c', 'call', 'registry', 'cache', 'userconfig', 'prefix', 'w', 'workspace']);
const UVX_VALUED = new Set([
  'from', 'with', 'with-editable', 'with-requirements', 'python', 'p', 'index', 'index-url', 'extra-index-url',
  'default-index', 'find-links', 'f', 'directory', 'project', 'refresh-package', 'upgrade-package', 'P',
  'reinstall-package', 'constraints', 'c', 'overrides', 'build-constraints', 'b', 'env-file', 'config-file', 'cache-dir', 'spec', 'pip-args',
]);
const DOCKER_VALUED = new Set([
  'e', 'env', 'env-file', 'v', 'volume', 'mount', 'name', 'p', 'publish', 'network', 'net', 'entrypoint', 'w', 'workdir',
  'u', 'user', 'l', 'label', 'label-file', 'platform', 'pull', 'add-host', 'cpus', 'm', 'memory', 'h', 'hostname', 'dns',
  'cap-add', 'cap-drop', 'device', 'gpus', 'log-driver', 'log-opt', 'restart', 'runtime', 'security-opt', 'shm-size',
  'stop-signal', 'tmpfs', 'ulimit', 'ipc', 'pid', 'uts', 'expose', 'link', 'volumes-from', 'group-add', 'cidfile',
]);

function emptyFacts(command: string | null): LaunchFacts {
  return { command, package: null, packageEcosystem: null, version: null, unpinned: false, shellExec: false, proxyUrl: null };
}

function withNpm(facts: LaunchFacts, args: readonly string[]): LaunchFacts {
  const { first, explicit, rest } = positional(args, NPX_VALUED, new Set(['p', 'package']));
  if (args.some((a) => a === '-c' || a === '--call' || a.startsWith('--call='))) facts.shellExec = true;
  const spec = npmSpec(explicit ?? first ?? '');
  if (spec) {
    facts.package = spec.name;
    facts.packageEcosystem = 'npm';
    facts.version = spec.version;
    facts.unpinned = spec.version === null;
  }
  return withPackageRisks(facts, explicit !== null && first !== null ? [first, ...rest] : rest);
}

function withPypi(facts: LaunchFacts, args: readonly string[]): LaunchFacts {
  const { first, explicit, rest } = positional(args, UVX_VALUED, new Set(['from', 'spec']));
  const spec = pypiSpec(explicit ?? first ?? '');
  if (spec) {
    facts.package = spec.name;
    facts.packageEcosystem = 'pypi';
    facts.version = spec.version;
    facts.unpinned = spec.version === null;
  }
  return withPackageRisks(facts, rest);
}

function withDocker(facts: LaunchFacts, args: readonly string[]): LaunchFacts {
  if (args[0] !== 'run' && !(args[0] === 'container' && args[1] === 'run')) return facts;
  const { first } = positional(args.slice(args[0] === 'run' ? 1 : 2), DOCKER_VALUED, new Set());
  const image = imageSpec(first ?? '');
  if (image) {
    facts.package = image.name;
    facts.packageEcosystem = 'docker';
    facts.version = image.version;
    facts.unpinned = !image.pinned;
  }
  return facts;
}

function withPackageRisks(facts: LaunchFacts, rest: readonly string[]): LaunchFacts {
  if (facts.package === null) return facts;
  if (SHELL_SERVER.test(facts.package)) facts.shellExec = true;
  if (REMOTE_PROXIES.has(facts.package)) facts.proxyUrl = rest.find((a) => /^(?:https?|wss?):\/\//i.test(a)) ?? null;
  return facts;
}

/** Splits a simple command string (no quoting, no shell operators) into words; null otherwise. */
function simpleWords(line: string): string[] | null {
  if (/[;&|<>`$()"'^%]/.test(line)) return null;
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  return words.length > 0 ? words : null;
}

/**
 * Reads a stdio launch: the program, the package it runs (npx/bunx/pnpm dlx/yarn dlx/npm exec,
 * uvx/uv tool run/pipx run, docker/podman run), its pin, and whether it executes a shell.
 */
export function launchFacts(command: string, args: readonly string[], depth = 0): LaunchFacts {
  const base = commandBasename(command);
  const facts = emptyFacts(base);
  if (base === null) return facts;
  const prog = base.toLowerCase();
  if (SHELLS.has(prog)) {
    if (prog === 'cmd') {
      const i = args.findIndex((a) => /^\/[ck]$/i.test(a));
      const inner = i < 0 ? null : args.length === i + 2 ? simpleWords(args[i + 1] ?? '') : args.slice(i + 1);
      const innerProg = inner?.[0] ? commandBasename(inner[0])?.toLowerCase() : undefined;
      if (inner && innerProg && LAUNCHERS.has(innerProg) && depth === 0 && !inner.some((a) => /[&|<>^]/.test(a))) {
        return launchFacts(inner[0] ?? '', inner.slice(1), depth + 1);
      }
      return { ...facts, shellExec: true };
    }
    // sh -c "npx -y pkg": still a shell running a command string, but the package is worth naming.
    const c = args.findIndex((a) => /^-[a-z]*c[a-z]*$/i.test(a) || /^-command$/i.test(a));
    const words = c >= 0 && depth === 0 ? simpleWords(args[c + 1] ?? '') : null;
    const inner = words?.[0] ? launchFacts(words[0], words.slice(1), depth + 1) : null;
    return { ...(inner ?? facts), command: base, shellExec: true };
  }
  if (INTERPRETERS.has(prog) && args.some((a) => /^(?:-c|-e|--eval|-p|--print)$/.test(a))) facts.shellExec = true;
  switch (prog) {
    case 'npx':
    case 'bunx':
    case 'pnpx':
      return withNpm(facts, args);
    case 'pnpm':
    case 'yarn':
      return args[0] === 'dlx' || args[0] === 'exec' ? withNpm(facts, args.slice(1)) : facts;
    case 'npm':
      return args[0] === 'exec' || args[0] === 'x' ? withNpm(facts, args.slice(1)) : facts;
    case 'bun':
      return args[0] === 'x' ? withNpm(facts, args.slice(1)) : facts;
    case 'uvx':
      return withPypi(facts, args);
    case 'uv':
      return args[0] === 'tool' && args[1] === 'run' ? withPypi(facts, args.slice(2)) : facts;
    case 'pipx':
      return args[0] === 'run' ? withPypi(facts, args.slice(1)) : facts;
    case 'docker':
    case 'podman':
      return withDocker(facts, args);
    default:
      return facts;
  }
}
