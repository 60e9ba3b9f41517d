import path from 'node:path';
import { ParseFailure, SensorHealthCounter } from './health.js';
import { FS_LIMITS, isRecord, listDir, readCapped, readJson, stringField } from './fs-read.js';
import { parseIni } from './ini.js';
import { currentPlatform, type ExtensionEcosystem, type ExtensionObservation, type HomeSensorOptions, type Platform, type UserHome } from './types.js';

interface ChromiumBrowser {
  product: string;
  ecosystem: ExtensionEcosystem;
  /** User data folder, relative to the home. */
  dir: string[];
}

/** Chromium-family user data folders per OS. Chrome, Chromium and Brave share the Chrome Web Store ids. */
export function chromiumBrowsers(platform: Platform): ChromiumBrowser[] {
  if (platform === 'darwin') {
    const as = ['Library', 'Application Support'];
    return [
      { product: 'chrome', ecosystem: 'chrome', dir: [...as, 'Google', 'Chrome'] },
      { product: 'chrome-beta', ecosystem: 'chrome', dir: [...as, 'Google', 'Chrome Beta'] },
      { product: 'chromium', ecosystem: 'chrome', dir: [...as, 'Chromium'] },
      { product: 'brave', ecosystem: 'chrome', dir: [...as, 'BraveSoftware', 'Brave-Browser'] },
      { product: 'edge', ecosystem: 'edge', dir: [...as, 'Microsoft Edge'] },
    ];
  }
  if (platform === 'win32') {
    const local = ['AppData', 'Local'];
    return [
      { product: 'chrome', ecosystem: 'chrome', dir: [...local, 'Google', 'Chrome', 'User Data'] },
      { product: 'chrome-beta', ecosystem: 'chrome', dir: [...local, 'Google', 'Chrome Beta', 'User Data'] },
      { product: 'chromium', ecosystem: 'chrome', dir: [...local, 'Chromium', 'User Data'] },
      { product: 'brave', ecosystem: 'chrome', dir: [...local, 'BraveSoftware', 'Brave-Browser', 'User Data'] },
      { product: 'edge', ecosystem: 'edge', dir: [...local, 'Microsoft', 'Edge', 'User Data'] },
    ];
  }
  return [
    { product: 'chrome', ecosystem: 'chrome', dir: ['.config', 'google-chrome'] },
    { product: 'chrome-beta', ecosystem: 'chrome', dir: ['.config', 'google-chrome-beta'] },
    { product: 'chromium', ecosystem: 'chrome', dir: ['.config', 'chromium'] },
    { product: 'chromium', ecosystem: 'chrome', dir: ['snap', 'chromium', 'common', 'chromium'] },
    { product: 'brave', ecosystem: 'chrome', dir: ['.config', 'BraveSoftware', 'Brave-Browser'] },
    { product: 'edge', ecosystem: 'edge', dir: ['.config', 'microsoft-edge'] },
  ];
}

/** Firefox folders holding profiles.ini, relative to the home. */
export function firefoxRoots(platform: Platform): string[][] {
  if (platform === 'darwin') return [['Library', 'Application Support', 'Firefox']];
  if (platform === 'win32') return [['AppData', 'Roaming', 'Mozilla', 'Firefox']];
  return [
    ['.mozilla', 'firefox'],
    ['snap', 'firefox', 'common', '.mozilla', 'firefox'],
  ];
}

/** Chrome extension ids are 32 letters a–p; anything else in Extensions/ (Temp...) is not one. */
const CHROME_ID = /^[a-p]{32}$/;
const CHROME_PROFILE = /^(?:Default|Profile \d+)$/;

/** Add-on install locations that are Firefox's own (built-in features, system add-ons), not the user's. */
const FIREFOX_BUILTIN_LOCATIONS = new Set(['app-builtin', 'app-system-defaults', 'app-system-addons']);

/** Versions compared numerically part by part, so 1.10 sorts after 1.9. */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[._-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[._-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

async function* chromiumExtensions(home: UserHome, browser: ChromiumBrowser, health: SensorHealthCounter): AsyncGenerator<ExtensionObservation> {
  const userData = path.join(home.dir, ...browser.dir);
  const entries = await listDir(userData, health);
  if (entries === null) return;
  for (const profile of entries) {
    if (!profile.isDirectory() || !CHROME_PROFILE.test(profile.name)) continue;
    const extDir = path.join(userData, profile.name, 'Extensions');
    for (const ext of (await listDir(extDir, health)) ?? []) {
      if (!ext.isDirectory() || !CHROME_ID.test(ext.name)) continue;
      const versions = (await listDir(path.join(extDir, ext.name), health)) ?? [];
      // During an update two version folders coexist; the newest is the installed one.
      const newest = versions
        .filter((v) => v.isDirectory())
        .map((v) => v.name)
        .sort(compareVersions)
        .pop();
      if (newest === undefined) continue;
      try {
        const manifest = await readJson(path.join(extDir, ext.name, newest, 'manifest.json'));
        if (!isRecord(manifest)) throw new ParseFailure('manifest.json is not an object');
        const version = stringField(manifest, 'version', 64);
        if (version === null || typeof manifest.manifest_version !== 'number') {
          throw new ParseFailure('manifest.json lacks version or manifest_version');
        }
        yield {
          type: 'extension',
          ecosystem: browser.ecosystem,
          id: ext.name,
          version,
          product: browser.product,
          location: [...browser.dir, profile.name, 'Extensions', ext.name].join('/'),
          user: home.user,
        };
      } catch (err) {
        health.fail(err);
      }
    }
  }
}

/** Profile folders listed in a Firefox profiles.ini, as [absolute, home-relative] paths. */
async function firefoxProfiles(home: UserHome, root: string[], health: SensorHealthCounter): Promise<{ abs: string; rel: string }[]> {
  const rootAbs = path.join(home.dir, ...root);
  let text: string;
  try {
    text = await readCapped(path.join(rootAbs, 'profiles.ini'), FS_LIMITS.manifestBytes);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') health.fail(err);
    return [];
  }
  const out: { abs: string; rel: string }[] = [];
  for (const [name, section] of parseIni(text)) {
    if (!/^Profile\d+$/.test(name)) continue;
    const p = section.Path;
    if (!p) {
      health.count('parse');
      continue;
    }
    if (section.IsRelative === '0') {
      // An absolute profile path: report it relative to the home only when it lies inside it.
      const rel = path.relative(home.dir, p);
      out.push({ abs: p, rel: rel.startsWith('..') || path.isAbsolute(rel) ? p : rel.split(path.sep).join('/') });
    } else {
      const parts = p.split(/[\\/]/).filter((s) => s !== '' && s !== '.' && s !== '..');
      out.push({ abs: path.join(rootAbs, ...parts), rel: [...root, ...parts].join('/') });
    }
  }
  return out;
}

async function* firefoxExtensions(home: UserHome, root: string[], health: SensorHealthCounter): AsyncGenerator<ExtensionObservation> {
  for (const profile of await firefoxProfiles(home, root, health)) {
    let registry: unknown;
    try {
      registry = await readJson(path.join(profile.abs, 'extensions.json'), FS_LIMITS.registryBytes);
    } catch (err) {
      // A profile never started has no extensions.json yet: nothing installed, not an error.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') health.fail(err);
      continue;
    }
    if (!isRecord(registry) || !Array.isArray(registry.addons)) {
      health.count('parse');
      continue;
    }
    for (const addon of registry.addons) {
      if (!isRecord(addon)) {
        health.count('parse');
        continue;
      }
      const id = stringField(addon, 'id');
      if (id === null) {
        health.count('parse');
        continue;
      }
      const location = stringField(addon, 'location');
      if (addon.type !== 'extension' || (location !== null && FIREFOX_BUILTIN_LOCATIONS.has(location))) continue;
      yield {
        type: 'extension',
        ecosystem: 'firefox',
        id,
        version: stringField(addon, 'version', 64),
        product: 'firefox',
        location: profile.rel,
        user: home.user,
      };
    }
  }
}

/** Installed browser extensions: Chromium-family browsers (every profile) and Firefox (every profile in profiles.ini). */
export async function* browserExtensions(options: HomeSensorOptions): AsyncGenerator<ExtensionObservation> {
  const health = options.health ?? new SensorHealthCounter('browser-extensions');
  const platform = options.platform ?? currentPlatform();
  for (const home of options.homes) {
    for (const browser of chromiumBrowsers(platform)) {
      for await (const o of chromiumExtensions(home, browser, health)) {
        health.observed();
        yield o;
      }
    }
    for (const root of firefoxRoots(platform)) {
      for await (const o of firefoxExtensions(home, root, health)) {
        health.observed();
        yield o;
      }
    }
  }
}
