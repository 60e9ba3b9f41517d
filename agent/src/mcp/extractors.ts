import { isRecord } from '../sensors/fs-read.js';
import { ParseFailure } from '../sensors/health.js';
import type { McpFlag } from './types.js';

/** One server entry as found, before normalization; `where` refines the location (a project key). */
export interface RawServer {
  name: string;
  entry: unknown;
  /** Overrides the source's scope/location (per-project servers inside ~/.claude.json). */
  projectPath?: string;
}

export interface RawSetting {
  setting: string;
  flags: McpFlag[];
}

/** What one config document holds for the inventory. */
export interface Extracted {
  servers: RawServer[];
  settings: RawSetting[];
  /** Project folders the document names (Claude Code and Codex keep one entry per project). */
  projects: string[];
}

export type Extractor = (doc: unknown) => Extracted;

function expectObject(doc: unknown, what: string): Record<string, unknown> {
  if (!isRecord(doc)) throw new ParseFailure(`${what}: the document is not an object`);
  return doc;
}

/** Entries of a name→server map; a map of the wrong type is a parse error. */
function mapEntries(map: unknown, key: string): RawServer[] {
  if (map === undefined || map === null) return [];
  if (!isRecord(map)) throw new ParseFailure(`${key} is not an object`);
  return Object.entries(map).map(([name, entry]) => ({ name, entry }));
}

function get(obj: Record<string, unknown>, ...keys: string[]): unknown {
  let cur: unknown = obj;
  for (const k of keys) {
    if (!isRecord(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

const none = (): Extracted => ({ servers: [], settings: [], projects: [] });

/** `{ "mcpServers": { name: {...} } }`: Claude Desktop, Cursor, Windsurf, Cline, Roo Code, Kiro, Amazon Q, .mcp.json. */
export const mcpServersMap: Extractor = (doc) => ({ ...none(), servers: mapEntries(expectObject(doc, 'config').mcpServers, 'mcpServers') });

/** VS Code mcp.json: `{ "servers": {...}, "inputs": [...] }`. */
export const vscodeMcpJson: Extractor = (doc) => ({ ...none(), servers: mapEntries(expectObject(doc, 'mcp.json').servers, 'servers') });

/** VS Code settings.json: `"mcp": { "servers": {...} }` (or the flat `"mcp.servers"` key) and blanket tool auto-approval. */
export const vscodeSettings: Extractor = (doc) => {
  const obj = expectObject(doc, 'settings.json');
  const nested = get(obj, 'mcp', 'servers');
  const servers = mapEntries(nested !== undefined ? nested : obj['mcp.servers'], 'mcp.servers');
  const settings: RawSetting[] = [];
  for (const key of ['chat.tools.autoApprove', 'chat.tools.global.autoApprove']) {
    if (obj[key] === true) settings.push({ setting: `${key}=true`, flags: ['permission-bypass'] });
  }
  return { servers, settings, projects: [] };
};

/** Claude Code permission settings, in any of its settings files (user, project, local, managed). */
function claudeSettingsOf(obj: Record<string, unknown>): RawSetting[] {
  const out: RawSetting[] = [];
  if (get(obj, 'permissions', 'defaultMode') === 'bypassPermissions') out.push({ setting: 'permissions.defaultMode=bypassPermissions', flags: ['permission-bypass'] });
  // Written when the user accepts the --dangerously-skip-permissions warning: bypass mode is in use.
  if (obj.skipDangerousModePermissionPrompt === true || get(obj, 'permissions', 'skipDangerousModePermissionPrompt') === true) {
    out.push({ setting: 'skipDangerousModePermissionPrompt=true', flags: ['permission-bypass'] });
  }
  if (obj.enableAllProjectMcpServers === true) out.push({ setting: 'enableAllProjectMcpServers=true', flags: ['auto-approve'] });
  return out;
}

/** ~/.claude/settings.json, .claude/settings.json, .claude/settings.local.json, managed-settings.json. */
export const claudeSettings: Extractor = (doc) => ({ ...none(), settings: claudeSettingsOf(expectObject(doc, 'settings.json')) });

/** ~/.claude.json: user servers, per-project (local scope) servers, the project list, bypass acceptance. */
export const claudeState: Extractor = (doc) => {
  const obj = expectObject(doc, '.claude.json');
  const servers = mapEntries(obj.mcpServers, 'mcpServers');
  const projects: string[] = [];
  if (isRecord(obj.projects)) {
    for (const [project, state] of Object.entries(obj.projects)) {
      projects.push(project);
      if (!isRecord(state)) continue;
      for (const s of mapEntries(state.mcpServers, 'projects.mcpServers')) servers.push({ ...s, projectPath: project });
    }
  }
  const settings: RawSetting[] = [];
  if (obj.bypassPermissionsModeAccepted === true) settings.push({ setting: 'bypassPermissionsModeAccepted=true', flags: ['permission-bypass'] });
  return { servers, settings, projects };
};

/** Codex approval and sandbox settings, at the top level and in every `[profiles.<name>]`. */
function codexSettingsOf(obj: Record<string, unknown>, prefix: string): RawSetting[] {
  const out: RawSetting[] = [];
  if (obj.sandbox_mode === 'danger-full-access') out.push({ setting: `${prefix}sandbox_mode=danger-full-access`, flags: ['permission-bypass'] });
  if (obj.approval_policy === 'never') out.push({ setting: `${prefix}approval_policy=never`, flags: ['auto-approve'] });
  return out;
}

const PROFILE_NAME = /^[A-Za-z0-9][\w.-]{0,63}$/;

/** ~/.codex/config.toml: `[mcp_servers.<name>]` tables, approval/sandbox settings, `[projects."<path>"]`. */
export const codexConfig: Extractor = (doc) => {
  const obj = expectObject(doc, 'config.toml');
  const settings = codexSettingsOf(obj, '');
  if (isRecord(obj.profiles)) {
    for (const [name, profile] of Object.entries(obj.profiles)) {
      if (isRecord(profile)) settings.push(...codexSettingsOf(profile, `profiles.${PROFILE_NAME.test(name) ? name : '(profile)'}.`));
    }
  }
  return { servers: mapEntries(obj.mcp_servers, 'mcp_servers'), settings, projects: isRecord(obj.projects) ? Object.keys(obj.projects) : [] };
};

/** ~/.gemini/settings.json: `mcpServers`, YOLO as the default approval mode, auto-accept of safe tools. */
export const geminiSettings: Extractor = (doc) => {
  const obj = expectObject(doc, 'settings.json');
  const settings: RawSetting[] = [];
  const mode = get(obj, 'general', 'defaultApprovalMode') ?? obj.defaultApprovalMode;
  if (mode === 'yolo') settings.push({ setting: 'general.defaultApprovalMode=yolo', flags: ['permission-bypass'] });
  if (get(obj, 'tools', 'autoAccept') === true || obj.autoAccept === true) settings.push({ setting: 'tools.autoAccept=true', flags: ['auto-approve'] });
  return { servers: mapEntries(obj.mcpServers, 'mcpServers'), settings, projects: [] };
};

/** Zed settings.json (JSONC): `context_servers`; extension-provided servers have no command and are kept by name. */
export const zedSettings: Extractor = (doc) => ({ ...none(), servers: mapEntries(expectObject(doc, 'settings.json').context_servers, 'context_servers') });

/** Continue config.yaml: `mcpServers` is a list of `{ name, command, args, env | type, url }`. */
export const continueConfig: Extractor = (doc) => {
  const obj = expectObject(doc, 'config.yaml');
  const list = obj.mcpServers;
  if (list === undefined || list === null) return none();
  if (!Array.isArray(list)) throw new ParseFailure('mcpServers is not a list');
  return { ...none(), servers: list.map((entry, i) => ({ name: isRecord(entry) && typeof entry.name === 'string' ? entry.name : `#${i}`, entry })) };
};
