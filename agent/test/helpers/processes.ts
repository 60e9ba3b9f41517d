import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Installs the waiting script as `<root>/node_modules/<pkg>/<file>`, like a global npm install would. */
export async function installFakePackage(root: string, pkg: string, file: string): Promise<string> {
  const dest = path.join(root, 'node_modules', ...pkg.split('/'), file);
  await mkdir(path.dirname(dest), { recursive: true });
  await copyFile(path.join(FIXTURES, 'wait-forever.cjs'), dest);
  return dest;
}

/** Spawns a real process and resolves once it has printed 'ready' (so it is in the process table). */
export function spawnReady(command: string, args: string[], options: { uid?: number; gid?: number } = {}): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options });
    const timer = setTimeout(() => reject(new Error(`${command} did not start`)), 15_000);
    child.once('error', reject);
    child.stdout?.once('data', () => {
      clearTimeout(timer);
      resolve(child);
    });
  });
}

export function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Runs a home sensor in a child process, optionally as another user; returns its JSON output. */
export function runSensorChild(
  sensor: 'ide-extensions' | 'browser-extensions',
  platform: string,
  home: { user: string; dir: string },
  options: { uid?: number; gid?: number } = {},
): Promise<{ found: { id: string }[]; health: import('@aiscout/protocol').SensorHealth }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', path.join(FIXTURES, 'run-sensor.ts'), sensor, platform, home.user, home.dir],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: '/tmp' }, ...options },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`run-sensor exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as never);
    });
  });
}
