import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SensorHealth } from '@aiscout/protocol';
import { ExtensionEvent, validator } from '@aiscout/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mcpExtensionFields } from '../src/mcp/event-fields.js';
import { MCP_FLAGS, type McpObservation, type McpServerObservation } from '../src/mcp/types.js';
import { MCP_LIMITS } from '../src/mcp/read-config.js';
import { SensorHealthCounter } from '../src/sensors/health.js';
import { mcpServers } from '../src/sensors/mcp-servers.js';
import type { Platform, UserHome } from '../src/sensors/types.js';
import { FakeHomes, writeJson, writeText } from './helpers/fake-home.js';
import { MCP_FIXTURES, SECRET_MARKER, copyFixtureTree } from './helpers/mcp-home.js';
import { collect, expectSensorHealth } from './helpers/sensor-health.js';

let homes: FakeHomes;
beforeEach(async () => {
  homes = await FakeHomes.create();
});
afterEach(async () => {
  await homes.dispose();
});

async function scan(home: UserHome, opts: { platform?: Platform; systemRoot?: string } = {}) {
  const health = new SensorHealthCounter('mcp-servers');
  const found = await collect(
    mcpServers({ homes: [home], platform: opts.platform ?? 'linux', health, managed: opts.systemRoot !== undefined, systemRoot: opts.systemRoot }),
  );
  return { found, health };
}

const servers = (found: McpObservation[]): McpServerObservation[] => found.filter((o): o is McpServerObservation => o.type === 'mcp-server');
const byName = (found: McpObservation[], ecosystem: string, name: string): McpServerObservation => {
  const hit = servers(found).filter((o) => o.ecosystem === ecosystem && o.name === name);
  expect(hit, `${ecosystem}/${name}`).toHaveLength(1);
  return hit[0] as McpServerObservation;
};
const settingsOf = (found: McpObservation[]) => found.filter((o) => o.type === 'agent-setting').map((o) => (o.type === 'agent-setting' ? `${o.ecosystem} ${o.location} ${o.setting} ${o.flags.join(',')}` : ''));

/** Root reads through any mode bits, so as root the sensor runs in a child as 'nobody'. */
function runAsUnprivileged(home: UserHome): Promise<{ found: McpServerObservation[]; health: SensorHealth }> {
  const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  return new Promise((resolve, reject) => {
    const runner = path.join(MCP_FIXTURES, 'run-mcp-sensor.ts');
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', runner, 'linux', home.user, home.dir], {
      cwd: path.join(MCP_FIXTURES, '..', '..', '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: '/tmp' },
      ...asUser,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as never) : reject(new Error(`run-mcp-sensor exited ${code}: ${err}`))));
  });
}

/** The full fixture home (every tool in its real shape) plus the machine-wide managed files. */
async function fixtureScan() {
  const alice = await homes.home('alice');
  await copyFixtureTree('home', alice.dir, alice.dir);
  const system = path.join(homes.root, 'system-root');
  await copyFixtureTree('system', system, system);
  return scan(alice, { systemRoot: system });
}

describe('mcp-servers sensor: the fixture home on Linux', () => {
  it('reads every tool, then proves no planted secret reaches an observation or the health counters', async () => {
    const { found, health } = await fixtureScan();
    // First prove the files were read: a server from every host and every secret-bearing spot.
    const ecosystems = new Set(found.map((o) => o.ecosystem));
    expect([...ecosystems].sort()).toEqual(['amazon-q', 'claude-code', 'claude-desktop', 'cline', 'codex', 'continue', 'cursor', 'gemini-cli', 'kiro', 'roo-code', 'vscode', 'windsurf', 'zed']);
    const secretBearing = [
      ['claude-desktop', 'github'], // env value with a ghp_ token
      ['claude-desktop', 'linear'], // URL query token behind mcp-remote
      ['claude-code', 'notion'], // Authorization header
      ['claude-code', 'postgres'], // password env var and URL userinfo
      ['cursor', 'context7'], // API-key header
      ['cursor', 'local-tools'], // --api-key arg
      ['windsurf', 'zapier'], // token in the URL path
      ['codex', 'context7'], // TOML inline env table
      ['codex', 'legacy'], // inline bearer_token
      ['gemini-cli', 'github'], // header without scheme word
      ['continue', 'Remote Search'], // requestOptions.headers
      ['zed', 'mcp-server-github'], // extension settings
      ['zed', 'old-style'], // command object env
      ['cline', 'brave-search'], // env value without a known prefix
      ['claude-code', 'company-tools'], // managed header
    ] as const;
    for (const [eco, name] of secretBearing) expect(byName(found, eco, name).flags, `${eco}/${name}`).toContain('literal-secret');
    const raw = await readFile(path.join(MCP_FIXTURES, 'home', '.claude.json'), 'utf8');
    expect(raw).toContain(SECRET_MARKER);
    const snapshot = expectSensorHealth(health, { name: 'mcp-servers', observations: found.length, errors: {}, dropped: 0 });
    expect(JSON.stringify(found).toLowerCase()).not.toContain(SECRET_MARKER.toLowerCase());
    expect(JSON.stringify(snapshot).toLowerCase()).not.toContain(SECRET_MARKER.toLowerCase());
    // Values are never kept: no env value, header value, arg or URL path anywhere.
    expect(JSON.stringify(found)).not.toMatch(/Documents|data\.db|Europe\/Paris|--access-mode|:8080|\.(?:app|com|net|org|example)\//);
  });

  it('matches the golden output (AISCOUT_UPDATE_GOLDEN=1 regenerates it)', async () => {
    const { found } = await fixtureScan();
    const golden = path.join(MCP_FIXTURES, 'expected-linux.json');
    const text = `${JSON.stringify(found, null, 2)}\n`;
    if (process.env.AISCOUT_UPDATE_GOLDEN === '1') await writeFile(golden, text);
    expect(JSON.parse(text)).toEqual(JSON.parse(await readFile(golden, 'utf8')));
  });

  it('keeps identities (package without version, URL host, command basename), names of env vars and headers, scope and location', async () => {
    const { found } = await fixtureScan();
    expect(byName(found, 'claude-desktop', 'filesystem')).toMatchObject({
      tool: 'claude',
      transport: 'stdio',
      command: 'npx',
      package: '@modelcontextprotocol/server-filesystem',
      package_ecosystem: 'npm',
      version: '2025.8.21',
      scope: 'user',
      location: '.config/Claude/claude_desktop_config.json',
      flags: [],
    });
    expect(byName(found, 'claude-desktop', 'github')).toMatchObject({ package: 'ghcr.io/github/github-mcp-server', package_ecosystem: 'docker', env_keys: ['GITHUB_PERSONAL_ACCESS_TOKEN'] });
    expect(byName(found, 'claude-desktop', 'linear')).toMatchObject({ package: 'mcp-remote', host: 'mcp.linear.app', transport: 'stdio' });
    expect(byName(found, 'claude-code', 'notion')).toMatchObject({ transport: 'http', host: 'mcp.notion.com', header_keys: ['Authorization'], command: null });
    expect(byName(found, 'claude-code', 'postgres')).toMatchObject({ scope: 'project', location: '.claude.json#work/app', package: 'postgres-mcp', package_ecosystem: 'pypi', env_keys: ['DATABASE_URI', 'PGPASSWORD'] });
    expect(byName(found, 'cursor', 'local-tools')).toMatchObject({ command: 'my-mcp', package: null });
    expect(byName(found, 'windsurf', 'git')).toMatchObject({ enabled: false, command: 'py' });
    expect(byName(found, 'codex', 'figma')).toMatchObject({ tool: 'openai-codex', transport: 'http', env_keys: ['FIGMA_OAUTH_TOKEN'], header_keys: ['X-Figma-Region'], flags: ['remote-http'] });
    expect(byName(found, 'codex', 'legacy')).toMatchObject({ enabled: false });
    expect(byName(found, 'gemini-cli', 'events')).toMatchObject({ transport: 'sse', host: 'localhost', flags: ['auto-approve'] });
    expect(byName(found, 'gemini-cli', 'github')).toMatchObject({ transport: 'http' });
    expect(byName(found, 'vscode', 'github')).toMatchObject({ tool: 'github-copilot', product: 'vscode', location: '.config/Code/User/mcp.json' });
    expect(byName(found, 'vscode', 'time')).toMatchObject({ location: '.config/Code/User/settings.json', package: 'mcp-server-time' });
    expect(byName(found, 'vscode', 'fetch')).toMatchObject({ location: '.config/Code/User/profiles/5f1a2b3c/mcp.json', version: '2025.4.7', flags: [] });
    expect(byName(found, 'vscode', 'perplexity')).toMatchObject({ scope: 'project', package: 'mcp/perplexity-ask', version: '1.2.0', flags: [] });
    expect(byName(found, 'cline', 'desktop-commander')).toMatchObject({ enabled: false, flags: ['shell-exec'] });
    expect(byName(found, 'roo-code', 'puppeteer').flags).toEqual(['auto-approve', 'unpinned-package']);
    expect(byName(found, 'kiro', 'web-search').flags).toEqual(['auto-approve', 'unpinned-package']); // "your-api-key" is a placeholder
    expect(byName(found, 'zed', 'hexdocs-mcp')).toMatchObject({ package: 'hexdocs-mcp', version: '0.5.0', flags: [] });
    expect(byName(found, 'zed', 'mcp-server-github')).toMatchObject({ transport: null, command: null });
    expect(byName(found, 'continue', 'SQLite')).toMatchObject({ package: 'mcp-sqlite', flags: ['unpinned-package'] });
    expect(byName(found, 'claude-code', 'runner').flags).toEqual(['shell-exec']);
    expect(byName(found, 'claude-code', 'sentry')).toMatchObject({ location: 'work/app/.mcp.json', flags: [], env_keys: ['SENTRY_ACCESS_TOKEN'] });
    expect(byName(found, 'claude-code', 'api-server')).toMatchObject({ transport: 'sse', host: null, flags: [] });
    expect(byName(found, 'cursor', 'internal-docs').flags).toEqual(['insecure-http', 'remote-http']);
    expect(byName(found, 'codex', 'project-db')).toMatchObject({ scope: 'project', location: 'work/app/.codex/config.toml', version: '0.6.2', flags: [] });
    expect(byName(found, 'claude-code', 'company-tools')).toMatchObject({ scope: 'managed', user: null, location: '/etc/claude-code/managed-mcp.json' });
    for (const o of found) for (const f of o.flags) expect(MCP_FLAGS).toContain(f);
  });

  it('reports permission-bypass and blanket auto-approval settings with the setting that triggered them', async () => {
    const { found } = await fixtureScan();
    expect(settingsOf(found)).toEqual([
      'claude-code .claude.json bypassPermissionsModeAccepted=true permission-bypass',
      'claude-code .claude/settings.json permissions.defaultMode=bypassPermissions permission-bypass',
      'claude-code .claude/settings.json skipDangerousModePermissionPrompt=true permission-bypass',
      'claude-code .claude/settings.json enableAllProjectMcpServers=true auto-approve',
      'codex .codex/config.toml sandbox_mode=danger-full-access permission-bypass',
      'codex .codex/config.toml approval_policy=never auto-approve',
      'codex .codex/config.toml profiles.yolo.sandbox_mode=danger-full-access permission-bypass',
      'gemini-cli .gemini/settings.json general.defaultApprovalMode=yolo permission-bypass',
      'gemini-cli .gemini/settings.json tools.autoAccept=true auto-approve',
      'vscode .config/Code/User/settings.json chat.tools.autoApprove=true permission-bypass',
    ]);
  });

  it('reads only the projects the tools list, inside the home, each file once; never crawls', async () => {
    const { found } = await fixtureScan();
    const names = servers(found).map((o) => o.name);
    expect(names).not.toContain('never-read'); // work/notlisted is on disk but listed by no tool
    expect(names.filter((n) => n === 'sentry')).toHaveLength(1); // listed by Claude Code and Codex, read once
    expect(byName(found, 'claude-code', 'elsewhere').location).toBe('.claude.json#(outside home)');
    expect(found.some((o) => o.location.startsWith('/srv'))).toBe(false);
  });

  it('maps every observation onto a valid extension event', async () => {
    const { found } = await fixtureScan();
    const check = validator(ExtensionEvent);
    for (const o of found) {
      const fields = mcpExtensionFields(o);
      const event = {
        kind: 'extension',
        tool: o.tool,
        id: '0192f6a0-0000-7000-8000-000000000000',
        window_start: '2026-11-22T00:00:00.000Z',
        window_end: '2026-11-22T00:05:00.000Z',
        user: o.user ?? 'machine',
        evidence: { matcher: 'mcp-server', value: fields.extension_id },
        count: 1,
        confidence: 1,
        candidates: [],
        ...fields,
      };
      const r = check(event);
      expect(r.ok ? [] : r.issues, JSON.stringify(fields)).toEqual([]);
    }
    expect(mcpExtensionFields(byName(found, 'claude-desktop', 'filesystem'))).toMatchObject({
      extension_id: '@modelcontextprotocol/server-filesystem',
      version: '2025.8.21',
      location: '.config/Claude/claude_desktop_config.json::filesystem',
    });
  });
});

describe('mcp-servers sensor: other operating systems', () => {
  it('reads macOS locations (Application Support) and the macOS managed folder', async () => {
    const bob = await homes.home('bob');
    const app = path.join(bob.dir, 'Library', 'Application Support');
    await writeJson(path.join(app, 'Claude', 'claude_desktop_config.json'), { mcpServers: { fs: { command: '/opt/homebrew/bin/npx', args: ['-y', '@modelcontextprotocol/server-filesystem'] } } });
    await writeJson(path.join(app, 'Code', 'User', 'mcp.json'), { servers: { ctx: { type: 'sse', url: 'https://mcp.context7.com/sse' } } });
    await writeJson(path.join(app, 'Zed', 'settings.json'), { context_servers: { z: { command: 'uvx', args: ['zed-mcp==1.0.0'] } } });
    await writeJson(path.join(app, 'Cursor', 'User', 'globalStorage', 'saoudrizwan.claude-dev', 'settings', 'cline_mcp_settings.json'), { mcpServers: { c: { url: 'https://x.example.com/mcp', type: 'streamableHttp' } } });
    await writeJson(path.join(bob.dir, '.config', 'Claude', 'claude_desktop_config.json'), { mcpServers: { linuxOnly: { command: 'node' } } });
    const root = path.join(homes.root, 'mac-root');
    await writeJson(path.join(root, 'Library', 'Application Support', 'ClaudeCode', 'managed-settings.json'), { permissions: { defaultMode: 'bypassPermissions' } });
    const { found, health } = await scan(bob, { platform: 'darwin', systemRoot: root });
    expect(found.map((o) => [o.ecosystem, o.type === 'mcp-server' ? o.name : o.setting, o.location])).toEqual([
      ['claude-desktop', 'fs', 'Library/Application Support/Claude/claude_desktop_config.json'],
      ['zed', 'z', 'Library/Application Support/Zed/settings.json'],
      ['vscode', 'ctx', 'Library/Application Support/Code/User/mcp.json'],
      ['cline', 'c', 'Library/Application Support/Cursor/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json'],
      ['claude-code', 'permissions.defaultMode=bypassPermissions', '/Library/Application Support/ClaudeCode/managed-settings.json'],
    ]);
    expect(byName(found, 'claude-desktop', 'fs').command).toBe('npx');
    expect(byName(found, 'cline', 'c')).toMatchObject({ product: 'cursor', transport: 'http' });
    expectSensorHealth(health, { name: 'mcp-servers', observations: 5, errors: {} });
  });

  it('reads Windows locations (%APPDATA%, %USERPROFILE%) and unwraps the cmd /c npx shim', async () => {
    const carol = await homes.home('carol');
    const roaming = path.join(carol.dir, 'AppData', 'Roaming');
    await writeJson(path.join(roaming, 'Claude', 'claude_desktop_config.json'), {
      mcpServers: {
        fs: { command: 'cmd', args: ['/c', 'npx', '-y', '@modelcontextprotocol/server-filesystem@2025.8.21', 'C:\\Users\\carol'] },
        ps: { command: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', args: ['-File', 'C:\\tools\\mcp.ps1'] },
      },
    });
    await writeJson(path.join(roaming, 'Code', 'User', 'mcp.json'), { servers: { m: { command: 'C:\\Program Files\\nodejs\\node.exe', args: ['server.js'] } } });
    await writeJson(path.join(carol.dir, '.codeium', 'windsurf', 'mcp_config.json'), { mcpServers: { w: { serverUrl: 'https://w.example.com/mcp' } } });
    const root = path.join(homes.root, 'win-root');
    await writeJson(path.join(root, 'Program Files', 'ClaudeCode', 'managed-mcp.json'), { mcpServers: { corp: { type: 'http', url: 'https://mcp.corp.example.com/mcp' } } });
    await writeJson(path.join(root, 'ProgramData', 'gemini-cli', 'settings.json'), { general: { defaultApprovalMode: 'yolo' } });
    const { found, health } = await scan(carol, { platform: 'win32', systemRoot: root });
    expect(byName(found, 'claude-desktop', 'fs')).toMatchObject({ command: 'npx', package: '@modelcontextprotocol/server-filesystem', flags: [], location: 'AppData/Roaming/Claude/claude_desktop_config.json' });
    expect(byName(found, 'claude-desktop', 'ps')).toMatchObject({ command: 'powershell', flags: ['shell-exec'] });
    expect(byName(found, 'vscode', 'm')).toMatchObject({ command: 'node', location: 'AppData/Roaming/Code/User/mcp.json' });
    expect(byName(found, 'windsurf', 'w')).toMatchObject({ host: 'w.example.com', transport: 'http' });
    expect(byName(found, 'claude-code', 'corp').location).toMatch(/^[A-Z]:\/Program Files\/ClaudeCode\/managed-mcp\.json$/);
    expect(settingsOf(found)).toEqual([expect.stringMatching(/^gemini-cli [A-Z]:\/ProgramData\/gemini-cli\/settings\.json general\.defaultApprovalMode=yolo permission-bypass$/)]);
    expectSensorHealth(health, { name: 'mcp-servers', observations: 6, errors: {} });
  });
});

describe('mcp-servers sensor: bad input is counted and skipped', () => {
  it('counts malformed JSON, TOML and YAML, wrong shapes and non-object entries, and keeps reading the rest', async () => {
    const dan = await homes.home('dan');
    await writeText(path.join(dan.dir, '.cursor', 'mcp.json'), `{ "mcpServers": { "a": { "env": { "K": "${SECRET_MARKER}Trunc` );
    await writeText(path.join(dan.dir, '.codex', 'config.toml'), `[mcp_servers.x]\ncommand = "npx"\nenv = { K = "${SECRET_MARKER}" \n`);
    await writeText(path.join(dan.dir, '.continue', 'config.yaml'), 'mcpServers:\n  a: 1\n');
    await writeJson(path.join(dan.dir, '.aws', 'amazonq', 'mcp.json'), { mcpServers: ['not', 'a', 'map'] });
    await writeJson(path.join(dan.dir, '.kiro', 'settings', 'mcp.json'), { mcpServers: { bad: 'npx some-server', good: { command: 'node', args: ['s.js'] } } });
    await mkdir(path.join(dan.dir, '.gemini', 'settings.json'), { recursive: true }); // a folder where a file should be
    // JSONC in a file the host reads as JSON: comments and trailing commas are tolerated, not lost.
    await writeText(path.join(dan.dir, '.config', 'Claude', 'claude_desktop_config.json'), '{\n  // mine\n  "mcpServers": { "t": { "command": "uvx", "args": ["mcp-server-time"], }, },\n}\n');
    await writeText(path.join(dan.dir, '.codeium', 'windsurf', 'mcp_config.json'), `{"mcpServers":{"big":{"command":"x","args":["${'a'.repeat(MCP_LIMITS.configBytes)}"]}}}`);
    const { found, health } = await scan(dan);
    expect(servers(found).map((o) => `${o.ecosystem}/${o.name}`)).toEqual(['claude-desktop/t', 'kiro/good']);
    const snap = expectSensorHealth(health, { name: 'mcp-servers', observations: 2, errors: { parse: 5, io: 1, limit: 1 } });
    expect(JSON.stringify(snap)).not.toContain(SECRET_MARKER);
  });

  it('caps servers per file and projects per user, counting what it drops', async () => {
    const eve = await homes.home('eve');
    const many = Object.fromEntries(Array.from({ length: MCP_LIMITS.serversPerFile + 3 }, (_, i) => [`s${i}`, { command: 'node' }]));
    await writeJson(path.join(eve.dir, '.cursor', 'mcp.json'), { mcpServers: many });
    const projects = Object.fromEntries(Array.from({ length: MCP_LIMITS.projectsPerUser + 5 }, (_, i) => [path.join(eve.dir, 'p', String(i).padStart(4, '0')), {}]));
    await writeJson(path.join(eve.dir, '.claude.json'), { projects });
    await writeJson(path.join(eve.dir, 'p', '0000', '.mcp.json'), { mcpServers: { first: { command: 'node' } } });
    await writeJson(path.join(eve.dir, 'p', String(MCP_LIMITS.projectsPerUser + 4).padStart(4, '0'), '.mcp.json'), { mcpServers: { last: { command: 'node' } } });
    const { found, health } = await scan(eve);
    const names = servers(found).map((o) => o.name);
    expect(names).toHaveLength(MCP_LIMITS.serversPerFile + 1);
    expect(names).toContain('first');
    expect(names).not.toContain('last');
    expectSensorHealth(health, { name: 'mcp-servers', observations: MCP_LIMITS.serversPerFile + 1, errors: { limit: 2 }, dropped: 8 });
  });

  it('counts a config it may not read as a permission error and reads the rest', async () => {
    const fay = await homes.home('fay');
    const file = path.join(fay.dir, '.cursor', 'mcp.json');
    await writeJson(file, { mcpServers: { a: { command: 'node' } } });
    await writeJson(path.join(fay.dir, '.kiro', 'settings', 'mcp.json'), { mcpServers: { k: { command: 'node' } } });
    await chmod(file, 0o000);
    const { found, health } = await runAsUnprivileged(fay);
    expect(found.map((o) => o.name)).toEqual(['k']);
    expectSensorHealth(health, { name: 'mcp-servers', observations: 1, errors: { permission: 1 } });
  });

  it('reports nothing and no error for a home without any AI tool', async () => {
    const gus = await homes.home('gus');
    await writeJson(path.join(gus.dir, '.config', 'Code', 'User', 'settings.json'), { 'editor.fontSize': 13 });
    const { found, health } = await scan(gus);
    expect(found).toEqual([]);
    expectSensorHealth(health, { name: 'mcp-servers', observations: 0, errors: {} });
  });
});
