import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/command.js';
import { processes } from '../src/sensors/processes.js';
import { AI_HOME_EXPECTED, populateAiHome } from './helpers/ai-home.js';
import { FakeHomes } from './helpers/fake-home.js';
import { installFakePackage, REPO_ROOT, spawnReady, stop } from './helpers/processes.js';
import { collect } from './helpers/sensor-health.js';

/** A secret as a user would pass it on a command line; it must never leave the agent. */
const SECRET = `sk-ant-api03-MARKER${randomBytes(8).toString('hex')}`;

let homes: FakeHomes;
let alice: { user: string; dir: string };
let tmp: string;
let claude: ChildProcess | undefined;

beforeAll(async () => {
  homes = await FakeHomes.create();
  alice = await homes.home('alice');
  await populateAiHome(alice.dir);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aiscout-cli-'));
  await chmod(tmp, 0o755);
  const cli = await installFakePackage(tmp, '@anthropic-ai/claude-code', 'cli.js');
  claude = await spawnReady(process.execPath, [cli, '--api-key', SECRET, `--workspace=/home/${SECRET}/repo`]);
});

afterAll(async () => {
  await stop(claude);
  await homes.dispose();
  await rm(tmp, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

/** Runs the real command line (TypeScript sources through tsx) as a child process. */
function runCli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(REPO_ROOT, 'agent', 'src', 'cli.ts'), ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('aiscout-agent scan --once', () => {
  it('--json prints one line per detection, per sensor, and a summary', async () => {
    const { code, out, err } = await run(['scan', '--once', '--json', '--home', alice.dir]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const detections = lines.filter((l) => l.type === 'detection');
    const fromHome = detections.filter((d) => d.kind === 'extension').map((d) => {
      const e = d.evidence as { matcher: string; value: string };
      return `${String(d.tool)} ${e.matcher} ${e.value} ${String(d.count)}`;
    });
    expect(fromHome).toEqual(AI_HOME_EXPECTED);
    expect(detections.some((d) => d.tool === 'claude-code' && d.kind === 'process' && d.user === os.userInfo().username)).toBe(true);
    // The default scan now runs all five sensors (usage-logs and mcp-servers were added).
    expect(lines.filter((l) => l.type === 'sensor').map((l) => l.name)).toEqual(['processes', 'ide-extensions', 'browser-extensions', 'usage-logs', 'mcp-servers']);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', detections: detections.length, homes: 1 });
  });

  it('prints an aligned table, a summary line and the sensors’ health', async () => {
    const { code, out } = await run(['scan', '--once', '--home', alice.dir]);
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^TOOL\s+CATEGORY\s+EVIDENCE\s+VALUE\s+USER\s+COUNT\s+CONFIDENCE$/);
    const copilot = lines.find((l) => l.startsWith('github-copilot') && l.includes('vscode-extension'));
    expect(copilot?.split(/\s+/)).toEqual(['github-copilot', 'coding-assistant', 'vscode-extension', 'github.copilot', 'alice', '2', '1.00']);
    // Columns line up: every row has CATEGORY starting where the header's does.
    const col = lines[0]!.indexOf('CATEGORY');
    expect(lines.slice(1, lines.indexOf('')).every((l) => l[col - 1] === ' ' && l[col] !== ' ')).toBe(true);
    expect(out).toMatch(/\d+ detections of \d+ tools from \d+ observations \(\d+ not AI, dropped\) in 1 homes; catalog sha256:/);
    expect(out).toMatch(/^ {2}processes\s+ran, \d+ observations, /m);
    expect(out).toMatch(/^ {2}ide-extensions\s+ran, 8 observations, no errors$/m);
    expect(out).toMatch(/^ {2}browser-extensions\s+ran, 3 observations, no errors$/m);
  });

  it('never lets a command line secret out: not in JSON, not in the table', async () => {
    // Positive control: the sensor does see the secret, so the check below can fail.
    const seen = await collect(processes({}));
    expect(seen.find((p) => p.pid === claude?.pid)?.cmdline).toContain(SECRET);
    const json = await run(['scan', '--once', '--json', '--home', alice.dir]);
    const table = await run(['scan', '--once', '--home', alice.dir]);
    expect(json.out).toContain('"tool":"claude-code"');
    expect(table.out).toContain('claude-code');
    for (const text of [json.out, json.err, table.out, table.err]) expect(text).not.toContain(SECRET.slice(7));
    expect(json.out).not.toContain('--api-key');
  });

  it('rejects bad usage with exit status 2 and a message', async () => {
    const cases: [string[], RegExp][] = [
      [[], /missing command: scan/],
      [['scan'], /scan needs --once/],
      [['watch', '--once'], /unknown command: watch/],
      [['scan', '--once', '--verbose'], /Unknown option '--verbose'/],
      [['scan', '--once', '--home', path.join(homes.root, 'nobody-here')], /--home .*nobody-here: not a directory/],
    ];
    for (const [argv, message] of cases) {
      const { code, out, err } = await run(argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(out).toBe('');
      expect(err).toMatch(message);
      expect(err).toContain('Usage: aiscout-agent scan --once');
    }
  });

  it('--help prints usage and exits 0', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('Usage: aiscout-agent scan --once [--json] [--home DIR ...]');
  });

  it('works as a real command: exit 0 after a scan, 2 on a usage error', async () => {
    const ok = await runCli(['scan', '--once', '--home', alice.dir]);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('github-copilot');
    expect(ok.out).not.toContain(SECRET.slice(7));
    const bad = await runCli(['scan']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/scan needs --once/);
  });
});
