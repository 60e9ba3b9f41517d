import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHomes, writeChromeExtension, writeVscodeExtension } from './helpers/fake-home.js';
import { runSensorChild } from './helpers/processes.js';
import { expectSensorHealth } from './helpers/sensor-health.js';

// Root reads through any mode bits, so as root the sensor runs in a child as 'nobody'.
const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

let homes: FakeHomes;
beforeEach(async () => {
  homes = await FakeHomes.create();
});
afterEach(async () => {
  await homes.dispose();
});

describe('unreadable folders', () => {
  it('ide-extensions: an unreadable extensions folder is a permission error, the rest is still read', async () => {
    const alice = await homes.home('alice');
    await writeVscodeExtension(path.join(alice.dir, '.vscode', 'extensions'), 'github.copilot-1.250.0', { publisher: 'GitHub', name: 'copilot', version: '1.250.0' });
    await writeVscodeExtension(path.join(alice.dir, '.cursor', 'extensions'), 'continue.continue-1.0.5', { publisher: 'Continue', name: 'continue', version: '1.0.5' });
    await chmod(path.join(alice.dir, '.vscode', 'extensions'), 0o000);
    const { found, health } = await runSensorChild('ide-extensions', 'linux', alice, asUser);
    expect(found.map((o) => o.id)).toEqual(['Continue.continue']);
    expectSensorHealth(health, { name: 'ide-extensions', observations: 1, errors: { permission: 1 } });
  });

  it('browser-extensions: an unreadable manifest is a permission error, the rest is still read', async () => {
    const bob = await homes.home('bob');
    const profile = path.join(bob.dir, '.config', 'google-chrome', 'Default');
    await writeChromeExtension(profile, 'aaaabbbbccccddddeeeeffffgggghhhh', '1.0');
    await writeChromeExtension(profile, 'ppppoooonnnnmmmmllllkkkkjjjjiiii', '2.0');
    await chmod(path.join(profile, 'Extensions', 'aaaabbbbccccddddeeeeffffgggghhhh', '1.0_0', 'manifest.json'), 0o000);
    const { found, health } = await runSensorChild('browser-extensions', 'linux', bob, asUser);
    expect(found.map((o) => o.id)).toEqual(['ppppoooonnnnmmmmllllkkkkjjjjiiii']);
    expectSensorHealth(health, { name: 'browser-extensions', observations: 1, errors: { permission: 1 } });
  });
});
