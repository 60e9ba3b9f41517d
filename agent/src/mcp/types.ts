/**
 * What the MCP inventory reports: one observation per server per config file, and one per
 * risky agent setting. Values of env vars, headers and args never appear here; only names,
 * identities (command basename, package name, URL host) and flags.
 */

/** The host tools whose MCP configs are read (see docs/mcp-inventory.md for every location). */
export const MCP_HOSTS = [
  'claude-desktop',
  'claude-code',
  'cursor',
  'vscode',
  'windsurf',
  'codex',
  'gemini-cli',
  'cline',
  'roo-code',
  'zed',
  'continue',
  'amazon-q',
  'kiro',
] as const;
export type McpHost = (typeof MCP_HOSTS)[number];

/**
 * Risk flags, a closed set (rules in docs/mcp-inventory.md):
 * - literal-secret: an env value, header value, arg, URL query/userinfo or inline token looks like a secret
 * - shell-exec: the server runs a shell, inline code, or is a known shell/terminal server
 * - remote-http: the server (or the remote a stdio proxy connects to) is a non-loopback URL
 * - insecure-http: plain http:// or ws:// to a non-loopback host
 * - permission-bypass: a setting that turns approvals and/or the sandbox off
 * - auto-approve: tools of a server (or all tools) run without asking
 * - unpinned-package: an npx/uvx/docker launch without an exact version
 */
export const MCP_FLAGS = [
  'literal-secret',
  'shell-exec',
  'remote-http',
  'insecure-http',
  'permission-bypass',
  'auto-approve',
  'unpinned-package',
] as const;
export type McpFlag = (typeof MCP_FLAGS)[number];

export type McpTransport = 'stdio' | 'http' | 'sse' | 'ws';

/** user: the person's own config; project: a repository's; managed: machine-wide, set by IT. */
export type McpScope = 'user' | 'project' | 'managed';

export type PackageEcosystem = 'npm' | 'pypi' | 'docker';

export interface McpServerObservation {
  type: 'mcp-server';
  /** The host tool whose config declares the server. */
  ecosystem: McpHost;
  /** Catalog id of the AI tool that runs the server (VS Code: github-copilot, the agent mode that uses MCP). */
  tool: string | null;
  /** For extensions living in an editor (Cline, Roo Code): which editor's storage held the file. */
  product: string | null;
  /** The server's key in the config. */
  name: string;
  transport: McpTransport | null;
  /** Basename of the executable (no path, no args). */
  command: string | null;
  /** The npm / PyPI package or container image the launcher runs, without version. */
  package: string | null;
  package_ecosystem: PackageEcosystem | null;
  /** The exact version pinned in the launch, when there is one. */
  version: string | null;
  /** Host name of the URL (remote servers, or the remote a stdio proxy such as mcp-remote reaches). */
  host: string | null;
  /** Names of the env vars the config sets or forwards; never their values. */
  env_keys: string[];
  /** Names of the HTTP headers the config sets; never their values. */
  header_keys: string[];
  scope: McpScope;
  /** The config file, relative to the home (absolute for machine-wide files), with '/' separators. */
  location: string;
  /** False when the config keeps the server but switches it off. */
  enabled: boolean;
  flags: McpFlag[];
  /** The home's user; null for machine-wide (managed) files. */
  user: string | null;
}

/** A host-tool setting that matters for risk (permission bypass, blanket auto-approval). */
export interface AgentSettingObservation {
  type: 'agent-setting';
  ecosystem: McpHost;
  tool: string | null;
  /** The setting and the value that triggered it, e.g. `permissions.defaultMode=bypassPermissions`. */
  setting: string;
  scope: McpScope;
  location: string;
  flags: McpFlag[];
  user: string | null;
}

export type McpObservation = McpServerObservation | AgentSettingObservation;
