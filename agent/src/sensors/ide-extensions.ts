import path from 'node:path';
import { SensorHealthCounter, ParseFailure, LimitExceeded } from './health.js';
import { FS_LIMITS, isRecord, listDir, readJson, readOptionalJson, stringField } from './fs-read.js';
import { readZipEntry } from './jar.js';
import { parsePluginXml } from './plugin-xml.js';
import { currentPlatform, type ExtensionObservation, type HomeSensorOptions, type Platform, type UserHome } from './types.js';

/** VS Code and its forks keep extensions in the same layout under the home, on every OS. */
export const VSCODE_ROOTS: readonly { product: string; dir: readonly string[] }[] = [
  { product: 'vscode', dir: ['.vscode', 'extensions'] },
  { product: 'vscode-insiders', dir: ['.vscode-insiders', 'extensions'] },
  { product: 'vscodium', dir: ['.vscode-oss', 'extensions'] },
  { product: 'cursor', dir: ['.cursor', 'extensions'] },
  { product: 'windsurf', dir: ['.windsurf', 'extensions'] },
  { product: 'vscode-server', dir: ['.vscode-server', 'extensions'] },
  { product: 'vscode-server-insiders', dir: ['.vscode-server-insiders', 'extensions'] },
  { product: 'cursor-server', dir: ['.cursor-server', 'extensions'] },
  { product: 'windsurf-server', dir: ['.windsurf-server', 'extensions'] },
];

/** Where JetBrains IDEs keep per-product config (and plugins), relative to the home. */
export function jetbrainsBase(platform: Platform): string[] {
  if (platform === 'darwin') return ['Library', 'Application Support', 'JetBrains'];
  if (platform === 'win32') return ['AppData', 'Roaming', 'JetBrains'];
  return ['.local', 'share', 'JetBrains'];
}

/** Product folders are the product name and its release: IntelliJIdea2024.1, PyCharmCE2023.3, Rider2025.2. */
const JETBRAINS_PRODUCT = /^[A-Za-z][A-Za-z-]*\d{4}\.\d+$/;

export const IDE_LIMITS = {
  /** Jars opened per plugin while looking for META-INF/plugin.xml. */
  jarsPerPlugin: 200,
} as const;

/** Folder names VS Code marked as uninstalled (the `.obsolete` file: `{ "<folder>": true }`). */
async function obsoleteFolders(root: string, health: SensorHealthCounter): Promise<Set<string>> {
  try {
    const obsolete = await readOptionalJson(path.join(root, '.obsolete'));
    if (obsolete === null) return new Set();
    if (!isRecord(obsolete)) throw new ParseFailure('.obsolete is not an object');
    return new Set(Object.keys(obsolete).filter((k) => obsolete[k] === true));
  } catch (err) {
    health.fail(err);
    return new Set();
  }
}

/** The folder an extensions.json entry points at (relativeLocation, else the location's last segment). */
function entryFolder(entry: unknown): string | null {
  if (!isRecord(entry)) return null;
  const rel = stringField(entry, 'relativeLocation', 512);
  if (rel) return rel;
  const loc = entry.location;
  const p = typeof loc === 'string' ? loc : isRecord(loc) ? (stringField(loc, 'path', 2048) ?? stringField(loc, 'fsPath', 2048)) : null;
  if (!p) return null;
  const base = p.replace(/[\\/]+$/, '').split(/[\\/]/).pop();
  return base ? base : null;
}

/**
 * The extension folders to read in one root: those extensions.json lists when it exists (it is
 * what the editor considers installed), else every folder; minus the ones marked obsolete.
 */
async function extensionFolders(root: string, health: SensorHealthCounter): Promise<string[] | null> {
  const entries = await listDir(root, health);
  if (entries === null) return null;
  const obsolete = await obsoleteFolders(root, health);
  let folders: string[] | null = null;
  if (entries.some((e) => e.name === 'extensions.json' && e.isFile())) {
    try {
      const list = await readJson(path.join(root, 'extensions.json'), FS_LIMITS.registryBytes);
      if (!Array.isArray(list)) throw new ParseFailure('extensions.json is not an array');
      folders = [];
      for (const item of list) {
        const folder = entryFolder(item);
        if (folder === null) health.count('parse');
        else folders.push(folder);
      }
    } catch (err) {
      // An unreadable registry: fall back to the folders themselves.
      health.fail(err);
    }
  }
  // Symlinked folders are how `code --extensionDevelopmentPath`-style and dotfile setups install; follow them.
  folders ??= entries.filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith('.')).map((e) => e.name);
  return [...new Set(folders)].filter((f) => !obsolete.has(f) && !f.includes('..'));
}

async function* vscodeExtensions(home: UserHome, health: SensorHealthCounter): AsyncGenerator<ExtensionObservation> {
  for (const { product, dir } of VSCODE_ROOTS) {
    const root = path.join(home.dir, ...dir);
    const folders = await extensionFolders(root, health);
    if (folders === null) continue;
    for (const folder of folders) {
      try {
        const manifest = await readJson(path.join(root, folder, 'package.json'));
        if (!isRecord(manifest)) throw new ParseFailure('package.json is not an object');
        const publisher = stringField(manifest, 'publisher', 100);
        const name = stringField(manifest, 'name', 100);
        if (!publisher || !name) throw new ParseFailure('package.json lacks publisher or name');
        yield {
          type: 'extension',
          ecosystem: 'vscode',
          id: `${publisher}.${name}`,
          version: stringField(manifest, 'version', 64),
          product,
          location: [...dir, folder].join('/'),
          user: home.user,
        };
      } catch (err) {
        health.fail(err);
      }
    }
  }
}

/** Jars of one plugin, the one named like the plugin first (it is usually the one with plugin.xml). */
async function pluginJars(pluginDir: string, pluginName: string, health: SensorHealthCounter): Promise<string[]> {
  const entries = await listDir(path.join(pluginDir, 'lib'), health);
  if (entries === null) return [];
  const jars = entries.filter((e) => e.isFile() && e.name.endsWith('.jar')).map((e) => e.name);
  const lower = pluginName.toLowerCase();
  jars.sort((a, b) => Number(!a.toLowerCase().startsWith(lower)) - Number(!b.toLowerCase().startsWith(lower)));
  if (jars.length > IDE_LIMITS.jarsPerPlugin) {
    health.count('limit');
    health.dropped += jars.length - IDE_LIMITS.jarsPerPlugin;
  }
  return jars.slice(0, IDE_LIMITS.jarsPerPlugin).map((j) => path.join(pluginDir, 'lib', j));
}

/** Reads META-INF/plugin.xml out of the first jar that has it; null when none does. */
async function pluginDescriptor(jars: string[]): Promise<{ id: string; version: string | null } | null> {
  for (const jar of jars) {
    const xml = await readZipEntry(jar, 'META-INF/plugin.xml');
    if (xml !== null) return parsePluginXml(xml.toString('utf8'));
  }
  return null;
}

async function* jetbrainsPlugins(home: UserHome, platform: Platform, health: SensorHealthCounter): AsyncGenerator<ExtensionObservation> {
  const base = jetbrainsBase(platform);
  const products = await listDir(path.join(home.dir, ...base), health);
  for (const product of products ?? []) {
    if (!product.isDirectory() || !JETBRAINS_PRODUCT.test(product.name)) continue;
    // Linux keeps plugins directly in the product folder; macOS and Windows in its plugins/.
    const rel = platform === 'linux' ? [...base, product.name] : [...base, product.name, 'plugins'];
    const pluginsDir = path.join(home.dir, ...rel);
    for (const plugin of (await listDir(pluginsDir, health)) ?? []) {
      const isJar = plugin.isFile() && plugin.name.endsWith('.jar');
      if (!plugin.isDirectory() && !isJar) continue;
      const where = path.join(pluginsDir, plugin.name);
      try {
        const jars = isJar ? [where] : await pluginJars(where, plugin.name, health);
        if (jars.length === 0) continue; // config folders (options/, codestyles/...) hold no jars
        const descriptor = await pluginDescriptor(jars);
        if (descriptor === null) throw new ParseFailure(`${plugin.name}: no META-INF/plugin.xml in its jars`);
        yield {
          type: 'extension',
          ecosystem: 'jetbrains',
          id: descriptor.id,
          version: descriptor.version,
          product: product.name,
          location: [...rel, plugin.name].join('/'),
          user: home.user,
        };
      } catch (err) {
        health.fail(err instanceof LimitExceeded || err instanceof ParseFailure ? err : normalizeZipError(err));
      }
    }
  }
}

/** yauzl reports a broken zip as a plain Error without an errno code: that is a parse problem. */
function normalizeZipError(err: unknown): unknown {
  return (err as NodeJS.ErrnoException | null)?.code ? err : new ParseFailure((err as Error).message);
}

/**
 * Installed IDE extensions: VS Code and its forks (desktop and remote servers) and JetBrains
 * plugins of every product and release, in every given home.
 */
export async function* ideExtensions(options: HomeSensorOptions): AsyncGenerator<ExtensionObservation> {
  const health = options.health ?? new SensorHealthCounter('ide-extensions');
  const platform = options.platform ?? currentPlatform();
  for (const home of options.homes) {
    for await (const o of vscodeExtensions(home, health)) {
      health.observed();
      yield o;
    }
    for await (const o of jetbrainsPlugins(home, platform, health)) {
      health.observed();
      yield o;
    }
  }
}

