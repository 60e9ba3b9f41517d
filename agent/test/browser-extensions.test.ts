import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { browserExtensions } from '../src/sensors/browser-extensions.js';
import { SensorHealthCounter } from '../src/sensors/health.js';
import type { Platform } from '../src/sensors/types.js';
import { FakeHomes, writeChromeExtension, writeFirefox, writeJson, writeText } from './helpers/fake-home.js';
import { collect, expectSensorHealth } from './helpers/sensor-health.js';

let homes: FakeHomes;
beforeEach(async () => {
  homes = await FakeHomes.create();
});
afterEach(async () => {
  await homes.dispose();
});

async function scan(home: { user: string; dir: string }, platform: Platform = 'linux') {
  const health = new SensorHealthCounter('browser-extensions');
  const found = await collect(browserExtensions({ homes: [home], platform, health }));
  return { found, health };
}

// Chrome Web Store ids are 32 letters a-p; these are made up for the sensor, which knows nothing of AI.
const EXT_A = 'aaaabbbbccccddddeeeeffffgggghhhh';
const EXT_B = 'ppppoooonnnnmmmmllllkkkkjjjjiiii';

describe('browser-extensions sensor: Chromium family', () => {
  it('reads every profile of Chrome, Chromium (incl. snap), Brave and Edge on Linux', async () => {
    const alice = await homes.home('alice');
    await writeChromeExtension(path.join(alice.dir, '.config', 'google-chrome', 'Default'), EXT_A, '1.2.3');
    await writeChromeExtension(path.join(alice.dir, '.config', 'google-chrome', 'Profile 2'), EXT_B, '4.0.1');
    await writeChromeExtension(path.join(alice.dir, '.config', 'BraveSoftware', 'Brave-Browser', 'Default'), EXT_A, '1.2.3');
    await writeChromeExtension(path.join(alice.dir, '.config', 'microsoft-edge', 'Default'), EXT_B, '4.0.1');
    await writeChromeExtension(path.join(alice.dir, 'snap', 'chromium', 'common', 'chromium', 'Default'), EXT_A, '1.2.3');
    // Not profiles / not extensions: ignored.
    await writeChromeExtension(path.join(alice.dir, '.config', 'google-chrome', 'System Profile'), EXT_B, '4.0.1');
    await mkdir(path.join(alice.dir, '.config', 'google-chrome', 'Default', 'Extensions', 'Temp'), { recursive: true });
    const { found, health } = await scan(alice);
    expect(found.map((o) => [o.ecosystem, o.product, o.id, o.version, o.location])).toEqual([
      ['chrome', 'chrome', EXT_A, '1.2.3', `.config/google-chrome/Default/Extensions/${EXT_A}`],
      ['chrome', 'chrome', EXT_B, '4.0.1', `.config/google-chrome/Profile 2/Extensions/${EXT_B}`],
      ['chrome', 'chromium', EXT_A, '1.2.3', `snap/chromium/common/chromium/Default/Extensions/${EXT_A}`],
      ['chrome', 'brave', EXT_A, '1.2.3', `.config/BraveSoftware/Brave-Browser/Default/Extensions/${EXT_A}`],
      ['edge', 'edge', EXT_B, '4.0.1', `.config/microsoft-edge/Default/Extensions/${EXT_B}`],
    ]);
    expect(found.every((o) => o.user === 'alice')).toBe(true);
    expectSensorHealth(health, { name: 'browser-extensions', observations: 5, errors: {} });
  });

  it('reports the newest version folder when an update left two behind', async () => {
    const bob = await homes.home('bob');
    const profile = path.join(bob.dir, '.config', 'chromium', 'Default');
    await writeChromeExtension(profile, EXT_A, '1.9.0');
    await writeChromeExtension(profile, EXT_A, '1.10.0');
    const { found } = await scan(bob);
    expect(found.map((o) => o.version)).toEqual(['1.10.0']);
  });

  it('uses the macOS and Windows user data folders', async () => {
    const cases = [
      ['darwin', ['Library', 'Application Support', 'Google', 'Chrome'], 'chrome'],
      ['darwin', ['Library', 'Application Support', 'Microsoft Edge'], 'edge'],
      ['win32', ['AppData', 'Local', 'Google', 'Chrome', 'User Data'], 'chrome'],
      ['win32', ['AppData', 'Local', 'Microsoft', 'Edge', 'User Data'], 'edge'],
      ['win32', ['AppData', 'Local', 'BraveSoftware', 'Brave-Browser', 'User Data'], 'chrome'],
    ] as const;
    for (const [i, [platform, dir, ecosystem]] of cases.entries()) {
      const h = await homes.home(`u${i}`);
      await writeChromeExtension(path.join(h.dir, ...dir, 'Profile 1'), EXT_B, '2.0');
      const { found, health } = await scan(h, platform);
      expect(found.map((o) => [o.ecosystem, o.location])).toEqual([[ecosystem, [...dir, 'Profile 1', 'Extensions', EXT_B].join('/')]]);
      expectSensorHealth(health, { name: 'browser-extensions', observations: 1, errors: {} });
    }
  });

  it('counts malformed manifests as parse errors and keeps going', async () => {
    const carol = await homes.home('carol');
    const ext = path.join(carol.dir, '.config', 'google-chrome', 'Default', 'Extensions');
    await writeText(path.join(ext, 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', '1.0_0', 'manifest.json'), '{"manifest_version": 3, ');
    await writeJson(path.join(ext, 'cccccccccccccccccccccccccccccccc', '1.0_0', 'manifest.json'), { name: 'no version' });
    await writeText(path.join(ext, 'dddddddddddddddddddddddddddddddd', '1.0_0', 'manifest.json'), '[1, 2]');
    await writeChromeExtension(path.join(carol.dir, '.config', 'google-chrome', 'Default'), EXT_A, '3.1');
    const { found, health } = await scan(carol);
    expect(found.map((o) => o.id)).toEqual([EXT_A]);
    expectSensorHealth(health, { name: 'browser-extensions', observations: 1, errors: { parse: 3 } });
  });

  it('counts a version folder without a manifest as vanished', async () => {
    const dan = await homes.home('dan');
    await mkdir(path.join(dan.dir, '.config', 'google-chrome', 'Default', 'Extensions', EXT_B, '1.0_0'), { recursive: true });
    const { found, health } = await scan(dan);
    expect(found).toEqual([]);
    expectSensorHealth(health, { name: 'browser-extensions', observations: 0, errors: { vanished: 1 } });
  });
});

describe('browser-extensions sensor: Firefox', () => {
  it('reads every profile in profiles.ini and skips built-in and system add-ons, themes and dictionaries', async () => {
    const erin = await homes.home('erin');
    const root = path.join(erin.dir, '.mozilla', 'firefox');
    await writeFirefox(root, [
      {
        path: 'k3x9a1b2.default-release',
        addons: [
          { id: 'formautofill@mozilla.org', version: '1.0.1', location: 'app-builtin' },
          { id: 'pictureinpicture@mozilla.org', version: '1.0.0', location: 'app-system-defaults' },
          { id: 'default-theme@mozilla.org', version: '1.4', type: 'theme', location: 'app-builtin' },
          { id: 'en-US@dictionaries.addons.mozilla.org', version: '1.0', type: 'dictionary' },
          { id: 'uBlock0@raymondhill.net', version: '1.62.0' },
          { id: '{a1b2c3d4-0000-4000-8000-123456789abc}', version: '3.4.5' },
        ],
      },
      { path: 'p0q1r2s3.default', addons: [{ id: 'uBlock0@raymondhill.net', version: '1.61.0' }] },
      { path: 'never.started', addons: null },
    ]);
    const { found, health } = await scan(erin);
    expect(found.map((o) => [o.ecosystem, o.id, o.version, o.location])).toEqual([
      ['firefox', 'uBlock0@raymondhill.net', '1.62.0', '.mozilla/firefox/k3x9a1b2.default-release'],
      ['firefox', '{a1b2c3d4-0000-4000-8000-123456789abc}', '3.4.5', '.mozilla/firefox/k3x9a1b2.default-release'],
      ['firefox', 'uBlock0@raymondhill.net', '1.61.0', '.mozilla/firefox/p0q1r2s3.default'],
    ]);
    expectSensorHealth(health, { name: 'browser-extensions', observations: 3, errors: {} });
  });

  it('reads the snap, macOS and Windows Firefox roots', async () => {
    const cases = [
      ['linux', ['snap', 'firefox', 'common', '.mozilla', 'firefox']],
      ['darwin', ['Library', 'Application Support', 'Firefox']],
      ['win32', ['AppData', 'Roaming', 'Mozilla', 'Firefox']],
    ] as const;
    for (const [i, [platform, root]] of cases.entries()) {
      const h = await homes.home(`ff${i}`);
      await writeFirefox(path.join(h.dir, ...root), [{ path: 'Profiles/abcd.default-release', addons: [{ id: 'addon@example.org', version: '1.0' }] }]);
      const { found } = await scan(h, platform);
      expect(found.map((o) => o.location)).toEqual([[...root, 'Profiles', 'abcd.default-release'].join('/')]);
    }
  });

  it('counts a corrupt extensions.json and a profile section without a path as parse errors', async () => {
    const fay = await homes.home('fay');
    const root = path.join(fay.dir, '.mozilla', 'firefox');
    await writeFirefox(root, [{ path: 'good.default', addons: [{ id: 'addon@example.org', version: '1.0' }] }, { path: 'bad.default', addons: [] }]);
    await writeText(path.join(root, 'bad.default', 'extensions.json'), '{"schemaVersion":36,"addons":[');
    await writeText(path.join(root, 'profiles.ini'), `${await readFile(path.join(root, 'profiles.ini'), 'utf8')}\n[Profile9]\nName=broken\nIsRelative=1\n`);
    const { found, health } = await scan(fay);
    expect(found.map((o) => o.id)).toEqual(['addon@example.org']);
    expectSensorHealth(health, { name: 'browser-extensions', observations: 1, errors: { parse: 2 } });
  });
});
