import { mkdir, mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import yazl from 'yazl';
import { createWriteStream } from 'node:fs';

/** A temp folder holding fake user homes; `home(name)` creates one. Removed by `dispose()`. */
export class FakeHomes {
  private constructor(readonly root: string) {}

  static async create(): Promise<FakeHomes> {
    const root = await mkdtemp(path.join(os.tmpdir(), 'aiscout-homes-'));
    // Traversable by other users, so a test can read it as an unprivileged user.
    await chmod(root, 0o755);
    return new FakeHomes(root);
  }

  async home(user: string): Promise<{ user: string; dir: string }> {
    const dir = path.join(this.root, user);
    await mkdir(dir, { recursive: true });
    return { user, dir };
  }

  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

export async function writeText(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

export const writeJson = (file: string, value: unknown): Promise<void> => writeText(file, JSON.stringify(value, null, 2));

/** A VS Code extension folder with the package.json fields the marketplace package carries. */
export async function writeVscodeExtension(
  extensionsDir: string,
  folder: string,
  pkg: { publisher: string; name: string; version: string; displayName?: string },
): Promise<void> {
  await writeJson(path.join(extensionsDir, folder, 'package.json'), {
    name: pkg.name,
    displayName: pkg.displayName ?? pkg.name,
    publisher: pkg.publisher,
    version: pkg.version,
    engines: { vscode: '^1.95.0' },
    categories: ['Programming Languages', 'Machine Learning'],
    main: './dist/extension.js',
    activationEvents: ['onStartupFinished'],
    contributes: { commands: [{ command: `${pkg.name}.open`, title: 'Open' }] },
  });
  await writeText(path.join(extensionsDir, folder, 'dist', 'extension.js'), 'exports.activate = () => {};\n');
}

/** The extensions.json registry VS Code keeps beside the folders (one entry per installed extension). */
export async function writeVscodeRegistry(extensionsDir: string, entries: { id: string; version: string; folder: string }[]): Promise<void> {
  await writeJson(
    path.join(extensionsDir, 'extensions.json'),
    entries.map((e) => ({
      identifier: { id: e.id, uuid: '23c4aeee-f844-43cd-b53e-1113e483f1a6' },
      version: e.version,
      location: { $mid: 1, fsPath: path.join(extensionsDir, e.folder), path: path.join(extensionsDir, e.folder), scheme: 'file' },
      relativeLocation: e.folder,
      metadata: { installedTimestamp: 1_732_000_000_000, source: 'gallery', targetPlatform: 'undefined', updated: false },
    })),
  );
}

/** A Chromium Extensions/<id>/<version>_0/manifest.json in Manifest V3 shape. */
export async function writeChromeExtension(profileDir: string, id: string, version: string): Promise<void> {
  await writeJson(path.join(profileDir, 'Extensions', id, `${version}_0`, 'manifest.json'), {
    manifest_version: 3,
    name: '__MSG_appName__',
    description: '__MSG_appDesc__',
    default_locale: 'en',
    version,
    action: { default_popup: 'popup.html' },
    background: { service_worker: 'background.js', type: 'module' },
    permissions: ['storage', 'sidePanel'],
    host_permissions: ['https://*/*'],
    key: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA',
    update_url: 'https://clients2.google.com/service/update2/crx',
  });
}

export interface FirefoxAddon {
  id: string;
  version: string;
  type?: string;
  location?: string;
}

/** A Firefox root: profiles.ini naming the profiles, each with an extensions.json registry. */
export async function writeFirefox(root: string, profiles: { path: string; addons: FirefoxAddon[] | null }[]): Promise<void> {
  const ini = ['[Install4F96D1932A9F858E]', `Default=${profiles[0]?.path ?? ''}`, 'Locked=1', ''];
  profiles.forEach((p, i) => ini.push(`[Profile${i}]`, `Name=profile${i}`, 'IsRelative=1', `Path=${p.path}`, ...(i === 0 ? ['Default=1'] : []), ''));
  ini.push('[General]', 'StartWithLastProfile=1', 'Version=2', '');
  await writeText(path.join(root, 'profiles.ini'), ini.join('\n'));
  for (const p of profiles) {
    await mkdir(path.join(root, p.path), { recursive: true });
    if (p.addons === null) continue;
    await writeJson(path.join(root, p.path, 'extensions.json'), {
      schemaVersion: 36,
      addons: p.addons.map((a) => ({
        id: a.id,
        syncGUID: '{5a1c9ee1-4e4c-4b8e-9d9b-3a1f1d8e2c11}',
        version: a.version,
        type: a.type ?? 'extension',
        loader: null,
        manifestVersion: 2,
        defaultLocale: { name: a.id, creator: null },
        visible: true,
        active: true,
        userDisabled: false,
        appDisabled: false,
        installDate: 1_732_000_000_000,
        updateDate: 1_732_000_000_000,
        path: path.join(root, p.path, 'extensions', `${a.id}.xpi`),
        signedState: 2,
        location: a.location ?? 'app-profile',
        rootURI: `jar:file://${path.join(root, p.path, 'extensions', `${a.id}.xpi`)}!/`,
      })),
    });
  }
}

/** A JetBrains plugin folder: <dir>/lib/<jar> holding META-INF/plugin.xml, plus a dependency jar without one. */
export async function writeJetbrainsPlugin(pluginDir: string, jarName: string, pluginXml: string): Promise<void> {
  await mkdir(path.join(pluginDir, 'lib'), { recursive: true });
  await writeZip(path.join(pluginDir, 'lib', 'annotations-24.0.jar'), { 'META-INF/MANIFEST.MF': 'Manifest-Version: 1.0\n' });
  await writeZip(path.join(pluginDir, 'lib', jarName), {
    'META-INF/MANIFEST.MF': 'Manifest-Version: 1.0\n',
    'com/example/Plugin.class': 'not really bytecode',
    'META-INF/plugin.xml': pluginXml,
  });
}

export function writeZip(file: string, entries: Record<string, string | Buffer>): Promise<void> {
  return new Promise((resolve, reject) => {
    const zip = new yazl.ZipFile();
    for (const [name, content] of Object.entries(entries)) zip.addBuffer(Buffer.from(content), name);
    zip.end();
    const out = createWriteStream(file);
    out.on('close', () => resolve());
    out.on('error', reject);
    zip.outputStream.pipe(out);
  });
}

export function pluginXml(fields: { id?: string; name: string; version: string }): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- <id>commented.out.id</id> -->
<idea-plugin require-restart="true">
${fields.id ? `  <id>${fields.id}</id>\n` : ''}  <name>${fields.name}</name>
  <version>${fields.version}</version>
  <vendor url="https://example.com">Example</vendor>
  <idea-version since-build="241"/>
  <depends>com.intellij.modules.platform</depends>
  <description><![CDATA[An example plugin.]]></description>
</idea-plugin>
`;
}
