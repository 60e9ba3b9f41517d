/** Shapes shared by the catalog, the matcher and the classify command. No OS or network code here. */

export const CATEGORIES = [
  'coding-assistant',
  'agent-cli',
  'ai-ide',
  'chat-web',
  'desktop-app',
  'model-api',
  'local-llm',
  'browser-extension',
] as const;
export type Category = (typeof CATEGORIES)[number];

export type SignatureOs = 'linux' | 'darwin' | 'windows';
export type Interpreter = 'node' | 'python' | 'bun' | 'deno' | 'electron' | 'java' | 'any';
export type HostMatch = 'exact' | 'suffix' | 'wildcard';
export type HostRole = 'api' | 'web' | 'auth' | 'telemetry' | 'download' | 'inference';
export type BrowserStore = 'chrome' | 'edge' | 'firefox';

/** One tool file (signatures/tools/<id>.yaml), as validated by tool.schema.json. */
export interface ToolSignature {
  id: string;
  name: string;
  vendor: string;
  category: Category;
  status: 'experimental' | 'stable' | 'deprecated';
  description?: string;
  homepage: string;
  added?: string;
  notes?: string;
  match: {
    processes?: { name: string; os?: SignatureOs[]; path_contains?: string; source: string }[];
    cmdline?: { interpreters: Interpreter[]; contains: string; source: string }[];
    vscode_extensions?: { id: string; source: string }[];
    jetbrains_plugins?: { id: string; source: string }[];
    browser_extensions?: { browser: BrowserStore; id: string; source: string }[];
    hosts?: { name: string; match: HostMatch; role: HostRole; shared?: boolean; source: string }[];
    ports?: { port: number; protocol: 'tcp' | 'udp'; source: string }[];
    usage_logs?: { path: string; os?: SignatureOs[]; format: string; env?: string; source: string }[];
  };
}

/** Ecosystems an extension observation can come from. VS Code forks share the vscode id space. */
export type ExtensionEcosystem = 'vscode' | 'jetbrains' | 'chrome' | 'edge' | 'firefox';

/** What a sensor saw, before the catalog says whether it is AI. */
export type Observation =
  | { type: 'process'; name: string; exe?: string | null; cmdline?: string | null; os?: SignatureOs }
  | { type: 'host'; name: string }
  | { type: 'extension'; ecosystem: ExtensionEcosystem; id: string }
  | { type: 'port'; port: number; protocol?: 'tcp' | 'udp' };

/** The catalog's verdict on one observation. `tool` is null when nothing matched. */
export interface Classification {
  tool: string | null;
  tool_name: string | null;
  category: Category | null;
  /** 0 when nothing matched; lower when several tools share the identifier. */
  confidence: number;
  /** Every tool the observation could belong to, best first. */
  candidates: string[];
  /** Which matcher fired and on what value (e.g. { matcher: 'host', value: 'anthropic.com' }). */
  evidence: { matcher: string; value: string } | null;
}

/** A problem found while loading the catalog: reported and skipped, never thrown. */
export interface CatalogIssue {
  code: string;
  file: string;
  line: number | null;
  message: string;
}

/** An operator's tuning file (see README "Overrides"): keyed by tool id, never edits the catalog. */
export interface Overrides {
  tools: Record<string, ToolOverride>;
  /** Observed values that must never be classified, whatever tool lists them (e.g. an internal proxy). */
  ignore: OverrideIgnore;
}

export interface ToolOverride {
  disabled?: boolean;
  note?: string;
  /** Extra identifiers for this tool; each carries a `note` (why) instead of a `source`. */
  add?: {
    processes?: { name: string; os?: SignatureOs[]; path_contains?: string; note: string }[];
    cmdline?: { interpreters: Interpreter[]; contains: string; note: string }[];
    vscode_extensions?: { id: string; note: string }[];
    jetbrains_plugins?: { id: string; note: string }[];
    browser_extensions?: { browser: BrowserStore; id: string; note: string }[];
    hosts?: { name: string; match: HostMatch; role?: HostRole; note: string }[];
    ports?: { port: number; protocol?: 'tcp' | 'udp'; note: string }[];
  };
  /** Catalog identifiers of this tool to drop, written as in its file (host name or pattern, process name, extension id, port). */
  ignore?: { hosts?: string[]; processes?: string[]; cmdline?: string[]; extensions?: string[]; ports?: number[] };
}

export interface OverrideIgnore {
  /** Observed host names; `exact` by default, `suffix` covers the name and its subdomains. */
  hosts?: { name: string; match?: 'exact' | 'suffix' }[];
  processes?: string[];
  extensions?: string[];
}
