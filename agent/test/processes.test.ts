import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SensorHealthCounter } from '../src/sensors/health.js';
import { processes } from '../src/sensors/processes.js';
import { installFakePackage, spawnReady, stop } from './helpers/processes.js';
import { collect, expectSensorHealth } from './helpers/sensor-health.js';

const isRoot = process.getuid?.() === 0;
let tmp: string;
let script: string;
let mine: ChildProcess | undefined;
let nobodys: ChildProcess | undefined;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aiscout-proc-'));
  await chmod(tmp, 0o755);
  script = await installFakePackage(tmp, 'some-tool', 'cli.js');
  mine = await spawnReady(process.execPath, [script, '--flag', 'value']);
  // As root, also run one as 'nobody' to see the owner resolved from its uid.
  if (isRoot) nobodys = await spawnReady(process.execPath, [script, '--as-nobody'], { uid: 65534, gid: 65534 });
});

afterAll(async () => {
  await stop(mine);
  await stop(nobodys);
  await rm(tmp, { recursive: true, force: true });
});

describe('processes sensor', () => {
  it('sees a real process with its name, executable, pid, owner and command line', async () => {
    const health = new SensorHealthCounter('processes');
    const list = await collect(processes({ health }));
    const seen = list.find((p) => p.pid === mine?.pid);
    expect(seen).toMatchObject({
      type: 'process',
      name: path.basename(await realpath(process.execPath)),
      exe: await realpath(process.execPath),
      user: os.userInfo().username,
    });
    expect(seen?.cmdline).toContain(`${script} --flag value`);
    expect(list.find((p) => p.pid === process.pid)).toBeDefined();
    expectSensorHealth(health, { name: 'processes', observations: list.length, minObservations: 3 });
  });

  it.runIf(isRoot)("resolves another user's uid to the user name", async () => {
    const list = await collect(processes({}));
    expect(list.find((p) => p.pid === nobodys?.pid)?.user).toBe('nobody');
  });

  it('caps the number of processes reported and counts the rest as dropped', async () => {
    const health = new SensorHealthCounter('processes');
    const list = await collect(processes({ health, maxProcesses: 2 }));
    expect(list).toHaveLength(2);
    const snap = expectSensorHealth(health, { name: 'processes', observations: 2, errors: { limit: 1 } });
    expect(snap.dropped).toBeGreaterThanOrEqual(1);
  });

  it.runIf(isRoot)('falls back to a numeric uid when the passwd file has no entry for it', async () => {
    const list = await collect(processes({ passwdFile: path.join(tmp, 'no-such-passwd') }));
    // The agent's own user is known without the passwd file; the others show as uid:N.
    expect(list.find((p) => p.pid === nobodys?.pid)?.user).toBe('uid:65534');
    expect(list.find((p) => p.pid === mine?.pid)?.user).toBe(os.userInfo().username);
  });
});
