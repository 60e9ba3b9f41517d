import type { Platform } from '../sensors/types.js';
import {
  claudeSettings,
  claudeState,
  codexConfig,
  continueConfig,
  geminiSettings,
  mcpServersMap,
  vscodeMcpJson,
  vscodeSettings,
  zedSettings,
  type Extractor,
} from './extractors.js';
import { MCP_LIMITS, type ConfigFormat } from './read-config.js';
import type { McpHost, McpScope } from './types.js';

/**
 * The catalog tool that runs each host's servers. VS Code itself is not an AI tool: its MCP
 * servers are used by Copilot's agent mode, so they count for github-copilot.
 */
export const HOST_TOOL: Record<McpHost, string> = {
  'claude-desktop': 'claude',
  'claude-code': 'claude-code',
  cursor: 'cursor',
  vscode: 'github-copilot',
  windsurf: 'windsurf',
  codex: 'openai-codex',
  'gemini-cli': 'gemini-cli',
  cline: 'cline',
  'roo-code': 'roo-code',
  zed: 'zed',
  continue: 'continue',
  'amazon-q': 'amazon-q-developer',
  kiro: 'kiro',
};

/** One config file to read: where, in which format, as which host, and what to take from it. */
export interface ConfigSource {
  ecosystem: McpHost;
  product: string | null;
  scope: McpScope;
  /** Path segments below the base folder (home, project or system root). */
  rel: readonly string[];
  format: ConfigFormat;
  extract: Extractor;
  cap?: number;
  urlIsSse?: boolean;
  /** Set for a folder rather than one file: every `*.json` in it, or with `each`, that file in every subfolder. */
  folder?: boolean;
  each?: string;
}

/** Where an app keeps per-user data (Electron apps' userData): ~/.config, ~/Library/Application Support, %APPDATA%. */
export function appDataDir(platform: Platform): string[] {
  if (platform === 'darwin') return ['Library', 'Application Support'];
  if (platform === 'win32') return ['AppData', 'Roaming'];
  return ['.config'];
}

/** Editors whose User folder may hold VS Code MCP config and extension storage (Cline, Roo Code). */
function editorUserDirs(platform: Platform): { product: string; dir: string[]; vscode: boolean }[] {
  const app = appDataDir(platform);
  return [
    { product: 'vscode', dir: [...app, 'Code', 'User'], vscode: true },
    { product: 'vscode-insiders', dir: [...app, 'Code - Insiders', 'User'], vscode: true },
    { product: 'vscodium', dir: [...app, 'VSCodium', 'User'], vscode: true },
    { product: 'vscode-server', dir: ['.vscode-server', 'data', 'User'], vscode: true },
    { product: 'cursor', dir: [...app, 'Cursor', 'User'], vscode: false },
    { product: 'windsurf', dir: [...app, 'Windsurf', 'User'], vscode: false },
  ];
}

const json = (ecosystem: McpHost, rel: string[], extract: Extractor = mcpServersMap, scope: McpScope = 'user'): ConfigSource => ({
  ecosystem,
  product: null,
  scope,
  rel,
  format: 'json',
  extract,
});

/** Every per-user config file on this OS, relative to the user's home. */
export function userSources(platform: Platform): ConfigSource[] {
  const app = appDataDir(platform);
  const sources: ConfigSource[] = [
    json('claude-desktop', [...app, 'Claude', 'claude_desktop_config.json']),
    { ...json('claude-code', ['.claude.json'], claudeState), cap: MCP_LIMITS.claudeStateBytes },
    json('claude-code', ['.claude', 'settings.json'], claudeSettings),
    json('cursor', ['.cursor', 'mcp.json']),
    json('windsurf', ['.codeium', 'windsurf', 'mcp_config.json']),
    { ...json('codex', ['.codex', 'config.toml'], codexConfig), format: 'toml' },
    { ...json('gemini-cli', ['.gemini', 'settings.json'], geminiSettings), urlIsSse: true },
    { ...json('continue', ['.continue', 'config.yaml'], continueConfig), format: 'yaml' },
    json('amazon-q', ['.aws', 'amazonq', 'mcp.json']),
    json('amazon-q', ['.aws', 'amazonq', 'agents', 'default.json']),
    { ...json('amazon-q', ['.aws', 'amazonq', 'cli-agents']), folder: true },
    json('kiro', ['.kiro', 'settings', 'mcp.json']),
  ];
  const zedDirs = platform === 'darwin' ? [['.config', 'zed'], ['Library', 'Application Support', 'Zed']] : platform === 'win32' ? [[...app, 'Zed']] : [['.config', 'zed']];
  for (const dir of zedDirs) sources.push({ ...json('zed', [...dir, 'settings.json'], zedSettings), format: 'jsonc' });
  for (const editor of editorUserDirs(platform)) {
    if (editor.vscode) {
      sources.push({ ...json('vscode', [...editor.dir, 'mcp.json'], vscodeMcpJson), product: editor.product, format: 'jsonc' });
      sources.push({ ...json('vscode', [...editor.dir, 'settings.json'], vscodeSettings), product: editor.product, format: 'jsonc' });
      sources.push({ ...json('vscode', [...editor.dir, 'profiles'], vscodeMcpJson), product: editor.product, format: 'jsonc', folder: true, each: 'mcp.json' });
    }
    const storage = [...editor.dir, 'globalStorage'];
    sources.push({ ...json('cline', [...storage, 'saoudrizwan.claude-dev', 'settings', 'cline_mcp_settings.json']), product: editor.product });
    sources.push({ ...json('roo-code', [...storage, 'rooveterinaryinc.roo-cline', 'settings', 'mcp_settings.json']), product: editor.product });
  }
  return sources;
}

/** Config files a project folder may hold, relative to the project. */
export function projectSources(): ConfigSource[] {
  return [
    json('claude-code', ['.mcp.json'], mcpServersMap, 'project'),
    json('claude-code', ['.claude', 'settings.json'], claudeSettings, 'project'),
    json('claude-code', ['.claude', 'settings.local.json'], claudeSettings, 'project'),
    json('cursor', ['.cursor', 'mcp.json'], mcpServersMap, 'project'),
    { ...json('vscode', ['.vscode', 'mcp.json'], vscodeMcpJson, 'project'), format: 'jsonc' },
    { ...json('gemini-cli', ['.gemini', 'settings.json'], geminiSettings, 'project'), urlIsSse: true },
    json('roo-code', ['.roo', 'mcp.json'], mcpServersMap, 'project'),
    json('kiro', ['.kiro', 'settings', 'mcp.json'], mcpServersMap, 'project'),
    json('amazon-q', ['.amazonq', 'mcp.json'], mcpServersMap, 'project'),
    { ...json('codex', ['.codex', 'config.toml'], codexConfig, 'project'), format: 'toml' },
  ];
}

/** Machine-wide files set by IT, relative to the system root (`/` or the Windows system drive). */
export function managedSources(platform: Platform): ConfigSource[] {
  const claudeDirs =
    platform === 'darwin'
      ? [['Library', 'Application Support', 'ClaudeCode']]
      : platform === 'win32'
        ? [['Program Files', 'ClaudeCode'], ['ProgramData', 'ClaudeCode']]
        : [['etc', 'claude-code']];
  const sources: ConfigSource[] = [];
  for (const dir of claudeDirs) {
    sources.push(json('claude-code', [...dir, 'managed-settings.json'], claudeSettings, 'managed'));
    sources.push(json('claude-code', [...dir, 'managed-mcp.json'], mcpServersMap, 'managed'));
    sources.push({ ...json('claude-code', [...dir, 'managed-settings.d'], claudeSettings, 'managed'), folder: true });
  }
  const gemini = platform === 'win32' ? ['ProgramData', 'gemini-cli', 'settings.json'] : ['etc', 'gemini-cli', 'settings.json'];
  sources.push({ ...json('gemini-cli', gemini, geminiSettings, 'managed'), urlIsSse: true });
  return sources;
}
