import path from 'node:path';
import { isRecord, listDir } from './fs-read.js';
import { SensorHealthCounter } from './health.js';
import { currentPlatform, type HomeSensorOptions, type Platform, type UserHome } from './types.js';
import type { Extracted, RawServer } from '../mcp/extractors.js';
import { HOST_TOOL, managedSources, projectSources, userSources, type ConfigSource } from '../mcp/locations.js';
import { MCP_LIMITS, readConfig } from '../mcp/read-config.js';
import { normalizeServer } from '../mcp/server-entry.js';
import type { AgentSettingObservation, McpObservation, McpScope } from '../mcp/types.js';

export interface McpSensorOptions extends HomeSensorOptions {
  /** Also read the machine-wide (managed) files, once per scan. Default true. */
  managed?: boolean;
  /** Folder the machine-wide paths are under (`/`, or the Windows system drive); tests use a temp folder. */
  systemRoot?: string;
}

/** Where the files of one pass live and how their locations are written. */
interface Base {
  dir: string;
  /** Location prefix: '' for the home, the project's home-relative path, or the system path. */
  display: string;
  user: string | null;
  scope: McpScope | null;
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

function joinDisplay(prefix: string, rel: readonly string[]): string {
  const tail = rel.join('/');
  if (prefix === '') return tail;
  return prefix.endsWith('/') ? prefix + tail : `${prefix}/${tail}`;
}

/** The files of one source: itself, or the `*.json` files / per-subfolder files of its folder. */
async function sourceFiles(source: ConfigSource, base: Base, health: SensorHealthCounter): Promise<{ file: string; rel: string[] }[]> {
  if (!source.folder) return [{ file: path.join(base.dir, ...source.rel), rel: [...source.rel] }];
  const entries = await listDir(path.join(base.dir, ...source.rel), health, MCP_LIMITS.filesPerFolder);
  const out: { file: string; rel: string[] }[] = [];
  for (const e of entries ?? []) {
    if (source.each !== undefined) {
      if (e.isDirectory()) out.push({ file: path.join(base.dir, ...source.rel, e.name, source.each), rel: [...source.rel, e.name, source.each] });
    } else if (e.isFile() && e.name.endsWith('.json')) {
      out.push({ file: path.join(base.dir, ...source.rel, e.name), rel: [...source.rel, e.name] });
    }
  }
  return out;
}

/** Reads and extracts one file; null when it is absent or unreadable (the latter is counted). */
async function extractFile(file: string, source: ConfigSource, health: SensorHealthCounter): Promise<Extracted | null> {
  try {
    return source.extract(await readConfig(file, source.format, source.cap));
  } catch (err) {
    if (!isMissing(err)) health.fail(err);
    return null;
  }
}

/** Home-relative display of a project folder; null for folders outside the home (not read, see docs). */
function projectDisplay(project: string, home: UserHome): string | null {
  if (!path.isAbsolute(project)) return null;
  const rel = path.relative(home.dir, path.resolve(project));
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return rel.split(path.sep).join('/');
}

async function* readSource(
  source: ConfigSource,
  base: Base,
  home: UserHome | null,
  seen: Set<string>,
  projects: Set<string>,
  health: SensorHealthCounter,
): AsyncGenerator<McpObservation> {
  for (const { file, rel } of await sourceFiles(source, base, health)) {
    const resolved = path.resolve(file);
    if (seen.has(resolved)) continue;
    seen.add(resolved);
    const found = await extractFile(file, source, health);
    if (found === null) continue;
    for (const p of found.projects) projects.add(p);
    const location = joinDisplay(base.display, rel);
    const scope = base.scope ?? source.scope;
    const tool = HOST_TOOL[source.ecosystem];
    for (const s of found.settings) {
      const setting: AgentSettingObservation = { type: 'agent-setting', ecosystem: source.ecosystem, tool, setting: s.setting, scope, location, flags: s.flags, user: base.user };
      yield setting;
    }
    let servers: RawServer[] = found.servers;
    if (servers.length > MCP_LIMITS.serversPerFile) {
      health.count('limit');
      health.dropped += servers.length - MCP_LIMITS.serversPerFile;
      servers = servers.slice(0, MCP_LIMITS.serversPerFile);
    }
    for (const s of servers) {
      if (!isRecord(s.entry)) {
        health.count('parse');
        continue;
      }
      let where = location;
      let serverScope = scope;
      if (s.projectPath !== undefined) {
        // Claude Code's local scope: private servers of one project, kept in ~/.claude.json.
        const display = home ? projectDisplay(s.projectPath, home) : null;
        where = `${location}#${display ?? '(outside home)'}`;
        serverScope = 'project';
      }
      yield normalizeServer(s.name, s.entry, {
        ecosystem: source.ecosystem,
        tool,
        product: source.product,
        scope: serverScope,
        location: where,
        user: base.user,
        urlIsSse: source.urlIsSse,
      });
    }
  }
}

async function* homeObservations(home: UserHome, platform: Platform, health: SensorHealthCounter): AsyncGenerator<McpObservation> {
  const seen = new Set<string>();
  const projects = new Set<string>();
  const base: Base = { dir: home.dir, display: '', user: home.user, scope: null };
  for (const source of userSources(platform)) yield* readSource(source, base, home, seen, projects, health);

  // Only projects the tools themselves list (never a disk crawl), and only inside this user's home:
  // a path outside it would have a privileged agent read files the user chose.
  const inHome = [...projects]
    .map((p) => ({ dir: path.resolve(p), display: projectDisplay(p, home) }))
    .filter((p): p is { dir: string; display: string } => p.display !== null)
    .sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  const unique = [...new Map(inHome.map((p) => [p.dir, p])).values()];
  if (unique.length > MCP_LIMITS.projectsPerUser) {
    health.count('limit');
    health.dropped += unique.length - MCP_LIMITS.projectsPerUser;
  }
  const ignored = new Set<string>();
  for (const project of unique.slice(0, MCP_LIMITS.projectsPerUser)) {
    const projectBase: Base = { dir: project.dir, display: project.display, user: home.user, scope: null };
    for (const source of projectSources()) yield* readSource(source, projectBase, home, seen, ignored, health);
  }
}

function defaultSystemRoot(platform: Platform): string {
  return platform === 'win32' ? `${process.env.SystemDrive ?? 'C:'}\\` : '/';
}

/**
 * MCP servers configured in AI tools (Claude Desktop, Claude Code, Cursor, VS Code, Windsurf,
 * Codex, Gemini CLI, Cline, Roo Code, Zed, Continue, Amazon Q, Kiro) for every given home, the
 * projects those tools list, and the machine-wide managed files; plus settings that bypass
 * permissions. One observation per server per file; names only, never values.
 */
export async function* mcpServers(options: McpSensorOptions): AsyncGenerator<McpObservation> {
  const health = options.health ?? new SensorHealthCounter('mcp-servers');
  const platform = options.platform ?? currentPlatform();
  for (const home of options.homes) {
    for await (const o of homeObservations(home, platform, health)) {
      health.observed();
      yield o;
    }
  }
  if (options.managed ?? true) {
    const root = options.systemRoot ?? defaultSystemRoot(platform);
    const base: Base = { dir: root, display: platform === 'win32' ? `${process.env.SystemDrive ?? 'C:'}/` : '/', user: null, scope: 'managed' };
    const seen = new Set<string>();
    for (const source of managedSources(platform)) {
      for await (const o of readSource(source, base, null, seen, new Set(), health)) {
        health.observed();
        yield o;
      }
    }
  }
}
