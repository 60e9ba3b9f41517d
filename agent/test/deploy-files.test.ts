import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MACOS_DOMAIN, parseXmlPlist } from '../src/config/index.js';

/** The service files in deploy/ for macOS and Windows, checked against each other and the README. */

const DEPLOY = path.resolve(fileURLToPath(import.meta.url), '../../../deploy');
const read = (rel: string): string => readFileSync(path.join(DEPLOY, rel), 'utf8');

const README = read('README.md');
const LINUX_UNIT = read('linux/aiscout-agent.service');
const PLIST_TEXT = read('macos/com.aiscout.agent.plist');
const MAC_SCRIPTS = ['macos/preinstall', 'macos/postinstall'];
const PS_SCRIPTS = ['windows/install-agent.ps1', 'windows/uninstall-agent.ps1'];

const MAC_NODE = '/usr/local/aiscout/bin/node';
const MAC_CLI = '/usr/local/aiscout/agent/dist/cli.js';
const MAC_LOG = '/Library/Logs/aiscout/agent.log';

/** Whether a program is on PATH; the reason is printed when a check that needs it is skipped. */
function onPath(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}
const hasPlutil = onPath('plutil');
const hasPwsh = onPath('pwsh');
const hasPython = onPath('python3');
for (const [ok, what] of [
  [hasPlutil, 'plutil -lint of the plist skipped: plutil not found (macOS only)'],
  [hasPwsh, 'PowerShell parse of deploy/windows/*.ps1 skipped: pwsh not found'],
  [hasPython, 'strict XML check of the plist (python3 plistlib) skipped: python3 not found'],
] as const) {
  if (!ok) console.warn(`deploy-files: ${what}`);
}

/** Node flags of the Linux unit's ExecStart, which every OS's service should share. */
function linuxNodeFlags(): string[] {
  const exec = /^ExecStart=(.*)$/m.exec(LINUX_UNIT)?.[1] ?? '';
  return exec.split(/\s+/).filter((a) => a.startsWith('--'));
}

describe('macOS LaunchDaemon plist', () => {
  const plist = parseXmlPlist(PLIST_TEXT) as Record<string, unknown>;

  it('is labelled with the preferences domain the agent reads', () => {
    expect(plist.Label).toBe('com.aiscout.agent');
    expect(plist.Label).toBe(MACOS_DOMAIN);
  });

  it('runs the bundled node with the Linux unit\'s flags and ends with `run`', () => {
    const args = plist.ProgramArguments as unknown[];
    expect(Array.isArray(args)).toBe(true);
    expect(args.every((a) => typeof a === 'string')).toBe(true);
    expect(args[0]).toBe(MAC_NODE);
    expect(args.at(-1)).toBe('run');
    expect(args.at(-2)).toBe(MAC_CLI);
    expect(args.slice(1, -2)).toEqual(linuxNodeFlags());
    expect(linuxNodeFlags()).toEqual(['--max-semi-space-size=1', '--lite-mode']);
  });

  it('starts at load, restarts only after a failure, throttled, with time to drain', () => {
    expect(plist.RunAtLoad).toBe(true);
    expect(plist.KeepAlive).toEqual({ SuccessfulExit: false });
    expect(plist.ThrottleInterval).toBe(60);
    // The agent drains for at most 10 s after SIGTERM before launchd's SIGKILL.
    expect(plist.ExitTimeOut).toBeGreaterThan(10);
  });

  it('runs as root, in the background, with a private umask', () => {
    expect(plist.UserName).toBe('root');
    expect(plist.ProcessType).toBe('Background');
    expect(plist.LowPriorityIO).toBe(true);
    expect(plist.Nice).toBe(10);
    expect(plist.Umask).toBe(0o077);
  });

  it('has integer resource limits and no core dumps', () => {
    for (const key of ['SoftResourceLimits', 'HardResourceLimits']) {
      const limits = plist[key] as Record<string, unknown>;
      expect(typeof limits).toBe('object');
      expect(Object.values(limits).every((v) => Number.isInteger(v))).toBe(true);
      expect(limits.Core).toBe(0);
    }
  });

  it('logs to the file the README names', () => {
    expect(plist.StandardErrorPath).toBe(MAC_LOG);
    expect(README).toContain(MAC_LOG);
  });

  it('has only keys that launchd knows, with the right types', () => {
    const types: Record<string, string> = {
      Label: 'string', ProgramArguments: 'object', UserName: 'string', WorkingDirectory: 'string',
      Umask: 'number', RunAtLoad: 'boolean', KeepAlive: 'object', ThrottleInterval: 'number',
      ExitTimeOut: 'number', ProcessType: 'string', LowPriorityIO: 'boolean', Nice: 'number',
      SoftResourceLimits: 'object', HardResourceLimits: 'object', StandardOutPath: 'string',
      StandardErrorPath: 'string',
    };
    for (const [key, value] of Object.entries(plist)) {
      expect(types[key], `unexpected key ${key}`).toBeDefined();
      expect(typeof value, key).toBe(types[key]);
    }
  });

  it.skipIf(!hasPython)(`is well-formed XML for a strict parser (python3 plistlib)${hasPython ? '' : ' (skipped: python3 not found)'}`, () => {
    const script = 'import json,plistlib,sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))';
    const r = spawnSync('python3', ['-c', script, path.join(DEPLOY, 'macos/com.aiscout.agent.plist')]);
    expect(r.stderr.toString()).toBe('');
    expect(JSON.parse(r.stdout.toString())).toEqual(plist);
  });

  it.skipIf(!hasPlutil)(`passes plutil -lint${hasPlutil ? '' : ' (skipped: plutil not found)'}`, () => {
    const r = spawnSync('plutil', ['-lint', path.join(DEPLOY, 'macos/com.aiscout.agent.plist')]);
    expect(r.status, r.stdout.toString()).toBe(0);
  });
});

describe('macOS pkg scripts', () => {
  it.each(MAC_SCRIPTS)('%s is an executable sh script that passes sh -n and bash -n', (rel) => {
    const file = path.join(DEPLOY, rel);
    expect(read(rel).startsWith('#!/bin/sh\n')).toBe(true);
    expect(statSync(file).mode & 0o111).toBe(0o111);
    for (const shell of ['sh', 'bash']) {
      const r = spawnSync(shell, ['-n', file]);
      expect(r.status, `${shell} -n ${rel}: ${r.stderr.toString()}`).toBe(0);
    }
  });

  it('postinstall boots out an old daemon and bootstraps the installed plist', () => {
    const text = read('macos/postinstall');
    expect(text).toContain('/Library/LaunchDaemons/$LABEL.plist');
    expect(text).toContain('LABEL=com.aiscout.agent');
    expect(text.indexOf('launchctl bootout')).toBeGreaterThan(-1);
    expect(text.indexOf('launchctl bootout')).toBeLessThan(text.indexOf('launchctl bootstrap system'));
  });

  it('the README documents the pkg layout the plist runs', () => {
    for (const p of [MAC_NODE, MAC_CLI, '/Library/LaunchDaemons/com.aiscout.agent.plist', '/Library/Application Support/aiscout/']) {
      expect(README).toContain(p);
    }
    expect(README).toContain('`com.aiscout.agent`');
  });
});

describe('Windows scripts', () => {
  const scripts = PS_SCRIPTS.map((rel) => ({ rel, text: read(rel) }));

  it.each(PS_SCRIPTS)('%s has no placeholder text', (rel) => {
    expect(read(rel)).not.toMatch(/TODO|FIXME|XXX|TBD|CHANGEME|REPLACE|example\.(com|org)|<[A-Za-z_ -]+>/);
  });

  it('use the install and data paths the README documents', () => {
    for (const { text } of scripts) {
      expect(text).toContain("(Join-Path $env:ProgramFiles 'aiscout')");
      expect(text).toContain("'agent\\dist\\cli.js'");
      expect(text).toContain("Join-Path $env:ProgramData 'aiscout'");
      expect(text).toContain("$TaskPath = '\\aiscout\\'");
      expect(text).toContain("$TaskName = 'aiscout-agent'");
    }
    expect(scripts[0]!.text).toContain("'bin\\node.exe'");
    expect(scripts[0]!.text).toContain("'logs'");
    expect(scripts[0]!.text).toContain("'agent.log'");
    for (const p of ['C:\\Program Files\\aiscout\\bin\\node.exe', 'C:\\Program Files\\aiscout\\agent\\dist\\cli.js', 'C:\\ProgramData\\aiscout\\logs\\agent.log', '\\aiscout\\aiscout-agent']) {
      expect(README).toContain(p);
    }
  });

  it('registers a SYSTEM task at startup with no time limit, restarts and the Linux node flags', () => {
    const text = scripts[0]!.text;
    expect(text).toContain('-AtStartup');
    expect(text).toContain("-UserId 'S-1-5-18'");
    expect(text).toContain('-ExecutionTimeLimit ([TimeSpan]::Zero)');
    expect(text).toMatch(/-RestartCount \d+ -RestartInterval/);
    expect(text).toContain('-MultipleInstances IgnoreNew');
    expect(text).toContain(`${linuxNodeFlags().join(' ')} "{1}" run`);
  });

  it('the README links the policy key details instead of repeating them', () => {
    expect(README).toContain('HKLM\\SOFTWARE\\Policies\\aiscout');
    expect(README).toContain('../docs/agent-config.md#windows-group-policy-or-intune-registry-policy');
  });

  it.skipIf(!hasPwsh)(`parse without errors in PowerShell${hasPwsh ? '' : ' (skipped: pwsh not found)'}`, () => {
    for (const rel of PS_SCRIPTS) {
      const file = path.join(DEPLOY, rel).replace(/'/g, "''");
      const r = spawnSync('pwsh', ['-NoProfile', '-NonInteractive', '-Command',
        `$e = $null; [void][System.Management.Automation.Language.Parser]::ParseFile('${file}', [ref]$null, [ref]$e); $e | ForEach-Object { $_.Message }; exit $e.Count`]);
      expect(r.status, `${rel}: ${r.stdout.toString()}`).toBe(0);
    }
  });
});
