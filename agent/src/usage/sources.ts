import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { claudeCodeJsonl } from './claude-code.js';
import { codexJsonl } from './codex.js';
import type { UsageFormat } from './formats.js';
import { geminiChatJson, geminiChatJsonl } from './gemini.js';

/** Where one tool keeps usage logs: a home-relative glob, the env variable that moves it, the format. */
export interface UsageLogSource {
  tool: string;
  /** `~/`-rooted glob with `*` (one segment) and `**` (any depth), '/' separated. */
  pattern: string;
  /** Variable that relocates the first folder of the pattern (`~/.claude` → $CLAUDE_CONFIG_DIR). */
  env?: string;
  format: UsageFormat;
}

export const FORMATS: Record<string, UsageFormat> = {
  [claudeCodeJsonl.name]: claudeCodeJsonl,
  [codexJsonl.name]: codexJsonl,
  [geminiChatJson.name]: geminiChatJson,
  [geminiChatJsonl.name]: geminiChatJsonl,
};

/**
 * The built-in list, the same places the catalog's `usage_logs` entries name, plus the newer
 * locations those tools moved to (Claude Code's XDG folder, Gemini CLI's JSONL chats and its
 * subagent folders).
 */
export const DEFAULT_USAGE_SOURCES: UsageLogSource[] = [
  { tool: 'claude-code', pattern: '~/.claude/projects/**/*.jsonl', env: 'CLAUDE_CONFIG_DIR', format: claudeCodeJsonl },
  { tool: 'claude-code', pattern: '~/.config/claude/projects/**/*.jsonl', format: claudeCodeJsonl },
  { tool: 'openai-codex', pattern: '~/.codex/sessions/**/*.jsonl', env: 'CODEX_HOME', format: codexJsonl },
  { tool: 'gemini-cli', pattern: '~/.gemini/tmp/*/chats/*.json', format: geminiChatJson },
  { tool: 'gemini-cli', pattern: '~/.gemini/tmp/*/chats/**/*.jsonl', format: geminiChatJsonl },
];

/**
 * Sources from catalog entries (ToolSignature.match.usage_logs); entries whose format this agent
 * does not read are returned in `unknown` so the caller can report them.
 */
export function sourcesFromCatalog(
  tools: { id: string; match: { usage_logs?: { path: string; format: string; env?: string }[] } }[],
): { sources: UsageLogSource[]; unknown: string[] } {
  const sources: UsageLogSource[] = [];
  const unknown: string[] = [];
  for (const t of tools) {
    for (const u of t.match.usage_logs ?? []) {
      const format = FORMATS[u.format];
      if (!format) unknown.push(`${t.id}:${u.format}`);
      else sources.push({ tool: t.id, pattern: u.path, format, ...(u.env ? { env: u.env } : {}) });
    }
  }
  return { sources, unknown };
}

/**
 * The absolute glob for one home: `~` becomes the home; when `envValue` is set, the pattern's
 * first folder (`~/.claude`) becomes that folder instead.
 */
export function rootedPattern(pattern: string, home: string, envValue?: string): string[] {
  const rel = pattern.replace(/^~[\\/]/, '').split('/').filter((s) => s !== '');
  if (envValue && envValue.trim() !== '') return [path.resolve(envValue.trim()), ...rel.slice(1)];
  return [home, ...rel];
}

function segmentRegex(seg: string): RegExp {
  const body = seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/\\\\]*').replace(/\?/g, '[^/\\\\]');
  return new RegExp(`^${body}$`);
}

export interface GlobLimits {
  maxFiles: number;
  maxDepth: number;
}

/**
 * Files matching a rooted pattern. Does not follow symlinked folders (loops, other users'
 * trees); unreadable folders are reported through `onError` and skipped.
 */
export async function globFiles(
  parts: string[],
  limits: GlobLimits,
  onError: (err: unknown) => void,
): Promise<{ files: string[]; truncated: boolean }> {
  const firstGlob = parts.findIndex((p, i) => i > 0 && /[*?]/.test(p));
  const base = path.join(...(firstGlob === -1 ? parts : parts.slice(0, firstGlob)));
  const rest = firstGlob === -1 ? [] : parts.slice(firstGlob);
  const files: string[] = [];
  let truncated = false;

  async function walk(dir: string, segs: string[], depth: number): Promise<void> {
    if (truncated || depth > limits.maxDepth) return;
    const seg = segs[0];
    if (seg === undefined) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onError(err);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const last = segs.length === 1;
    if (seg === '**') {
      // '**' matches no folder (try the next segment here) or any folder (stay on '**' below).
      await walk(dir, segs.slice(1), depth);
      for (const e of entries) if (e.isDirectory()) await walk(path.join(dir, e.name), segs, depth + 1);
      return;
    }
    const re = segmentRegex(seg);
    for (const e of entries) {
      if (!re.test(e.name)) continue;
      const full = path.join(dir, e.name);
      if (last) {
        if (e.isFile()) {
          if (files.length >= limits.maxFiles) {
            truncated = true;
            return;
          }
          files.push(full);
        }
      } else if (e.isDirectory()) await walk(full, segs.slice(1), depth + 1);
    }
  }

  if (rest.length === 0) return { files: [base], truncated };
  await walk(base, rest, 0);
  return { files: [...new Set(files)], truncated };
}
