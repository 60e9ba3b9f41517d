import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SensorHealthCounter } from '../src/sensors/health.js';
import { ideExtensions } from '../src/sensors/ide-extensions.js';
import type { Platform } from '../src/sensors/types.js';
import {
  FakeHomes,
  pluginXml,
  writeJetbrainsPlugin,
  writeJson,
  writeText,
  writeVscodeExtension,
  writeVscodeRegistry,
  writeZip,
} from './helpers/fake-home.js';
import { collect, expectSensorHealth } from './helpers/sensor-health.js';

let homes: FakeHomes;
beforeEach(async () => {
  homes = await FakeHomes.create();
});
afterEach(async () => {
  await homes.dispose();
});

async function scan(home: { user: string; dir: string }, platform: Platform = 'linux') {
  const health = new SensorHealthCounter('ide-extensions');
  const found = await collect(ideExtensions({ homes: [home], platform, health }));
  return { found, health };
}

const COPILOT = { publisher: 'GitHub', name: 'copilot', version: '1.250.0', displayName: 'GitHub Copilot' };
const CONTINUE = { publisher: 'Continue', name: 'continue', version: '1.0.5', displayName: 'Continue - open-source AI code agent' };
const CLINE = { publisher: 'saoudrizwan', name: 'claude-dev', version: '3.17.0', displayName: 'Cline' };
const PYTHON = { publisher: 'ms-python', name: 'python', version: '2025.4.0', displayName: 'Python' };

describe('ide-extensions sensor: VS Code family', () => {
  it('reads every fork and remote server folder, with id, version, product and home-relative location', async () => {
    const alice = await homes.home('alice');
    await writeVscodeExtension(path.join(alice.dir, '.vscode', 'extensions'), 'github.copilot-1.250.0', COPILOT);
    await writeVscodeExtension(path.join(alice.dir, '.cursor', 'extensions'), 'continue.continue-1.0.5-linux-x64', CONTINUE);
    await writeVscodeExtension(path.join(alice.dir, '.windsurf', 'extensions'), 'ms-python.python-2025.4.0', PYTHON);
    await writeVscodeExtension(path.join(alice.dir, '.vscode-oss', 'extensions'), 'saoudrizwan.claude-dev-3.17.0', CLINE);
    await writeVscodeExtension(path.join(alice.dir, '.vscode-server', 'extensions'), 'github.copilot-1.250.0', COPILOT);
    await writeVscodeExtension(path.join(alice.dir, '.cursor-server', 'extensions'), 'github.copilot-1.250.0', COPILOT);
    const { found, health } = await scan(alice);
    expect(found.map((o) => [o.product, o.id, o.version, o.location])).toEqual([
      ['vscode', 'GitHub.copilot', '1.250.0', '.vscode/extensions/github.copilot-1.250.0'],
      ['vscodium', 'saoudrizwan.claude-dev', '3.17.0', '.vscode-oss/extensions/saoudrizwan.claude-dev-3.17.0'],
      ['cursor', 'Continue.continue', '1.0.5', '.cursor/extensions/continue.continue-1.0.5-linux-x64'],
      ['windsurf', 'ms-python.python', '2025.4.0', '.windsurf/extensions/ms-python.python-2025.4.0'],
      ['vscode-server', 'GitHub.copilot', '1.250.0', '.vscode-server/extensions/github.copilot-1.250.0'],
      ['cursor-server', 'GitHub.copilot', '1.250.0', '.cursor-server/extensions/github.copilot-1.250.0'],
    ]);
    expect(found.every((o) => o.type === 'extension' && o.ecosystem === 'vscode' && o.user === 'alice')).toBe(true);
    expectSensorHealth(health, { name: 'ide-extensions', observations: 6, errors: {} });
  });

  it('honours extensions.json and skips folders marked in .obsolete', async () => {
    const bob = await homes.home('bob');
    const ext = path.join(bob.dir, '.vscode', 'extensions');
    await writeVscodeExtension(ext, 'github.copilot-1.249.0', { ...COPILOT, version: '1.249.0' });
    await writeVscodeExtension(ext, 'github.copilot-1.250.0', COPILOT);
    await writeVscodeExtension(ext, 'saoudrizwan.claude-dev-3.17.0', CLINE); // left on disk, not in the registry
    await writeVscodeExtension(ext, 'continue.continue-1.0.5', CONTINUE);
    await writeVscodeRegistry(ext, [
      { id: 'github.copilot', version: '1.250.0', folder: 'github.copilot-1.250.0' },
      { id: 'continue.continue', version: '1.0.5', folder: 'continue.continue-1.0.5' },
    ]);
    await writeJson(path.join(ext, '.obsolete'), { 'continue.continue-1.0.5': true, 'github.copilot-1.249.0': true });
    const { found, health } = await scan(bob);
    expect(found.map((o) => `${o.id}@${o.version}`)).toEqual(['GitHub.copilot@1.250.0']);
    expectSensorHealth(health, { name: 'ide-extensions', observations: 1, errors: {} });
  });

  it('without extensions.json reads every folder but still skips obsolete ones', async () => {
    const carol = await homes.home('carol');
    const ext = path.join(carol.dir, '.vscode-insiders', 'extensions');
    await writeVscodeExtension(ext, 'github.copilot-1.249.0', { ...COPILOT, version: '1.249.0' });
    await writeVscodeExtension(ext, 'github.copilot-1.250.0', COPILOT);
    await writeJson(path.join(ext, '.obsolete'), { 'github.copilot-1.249.0': true });
    const { found } = await scan(carol);
    expect(found.map((o) => [o.product, o.version])).toEqual([['vscode-insiders', '1.250.0']]);
  });

  it('counts a malformed package.json as parse, an unreadable one as io, and keeps going', async () => {
    const dave = await homes.home('dave');
    const ext = path.join(dave.dir, '.vscode', 'extensions');
    await writeText(path.join(ext, 'broken.one-1.0.0', 'package.json'), '{"publisher": "broken", "name": ');
    await writeJson(path.join(ext, 'nameless.one-1.0.0', 'package.json'), { version: '1.0.0' });
    await mkdir(path.join(ext, 'dir.instead-1.0.0', 'package.json'), { recursive: true }); // EISDIR
    await writeVscodeExtension(ext, 'saoudrizwan.claude-dev-3.17.0', CLINE);
    const { found, health } = await scan(dave);
    expect(found.map((o) => o.id)).toEqual(['saoudrizwan.claude-dev']);
    expectSensorHealth(health, { name: 'ide-extensions', observations: 1, errors: { parse: 2, io: 1 } });
  });

  it('counts a corrupt extensions.json as parse and falls back to the folders', async () => {
    const erin = await homes.home('erin');
    const ext = path.join(erin.dir, '.vscode', 'extensions');
    await writeVscodeExtension(ext, 'github.copilot-1.250.0', COPILOT);
    await writeText(path.join(ext, 'extensions.json'), '[{"identifier": ');
    const { found, health } = await scan(erin);
    expect(found.map((o) => o.id)).toEqual(['GitHub.copilot']);
    expectSensorHealth(health, { name: 'ide-extensions', observations: 1, errors: { parse: 1 } });
  });

  it('counts a registry entry whose folder is gone as vanished', async () => {
    const fay = await homes.home('fay');
    const ext = path.join(fay.dir, '.vscode', 'extensions');
    await writeVscodeExtension(ext, 'github.copilot-1.250.0', COPILOT);
    await writeVscodeRegistry(ext, [
      { id: 'github.copilot', version: '1.250.0', folder: 'github.copilot-1.250.0' },
      { id: 'continue.continue', version: '1.0.5', folder: 'continue.continue-1.0.5' },
    ]);
    const { found, health } = await scan(fay);
    expect(found).toHaveLength(1);
    expectSensorHealth(health, { name: 'ide-extensions', observations: 1, errors: { vanished: 1 } });
  });

  it('follows a symlinked extension folder', async () => {
    const gil = await homes.home('gil');
    await writeVscodeExtension(path.join(homes.root, 'dotfiles'), 'saoudrizwan.claude-dev-3.17.0', CLINE);
    await mkdir(path.join(gil.dir, '.vscode', 'extensions'), { recursive: true });
    await symlink(path.join(homes.root, 'dotfiles', 'saoudrizwan.claude-dev-3.17.0'), path.join(gil.dir, '.vscode', 'extensions', 'saoudrizwan.claude-dev-3.17.0'));
    const { found, health } = await scan(gil);
    expect(found.map((o) => o.id)).toEqual(['saoudrizwan.claude-dev']);
    expectSensorHealth(health, { name: 'ide-extensions', observations: 1, errors: {} });
  });

  it('uses the same layout under a Windows or macOS home', async () => {
    for (const platform of ['win32', 'darwin'] as const) {
      const h = await homes.home(`user-${platform}`);
      await writeVscodeExtension(path.join(h.dir, '.vscode', 'extensions'), 'github.copilot-1.250.0', COPILOT);
      const { found } = await scan(h, platform);
      expect(found.map((o) => o.location)).toEqual(['.vscode/extensions/github.copilot-1.250.0']);
    }
  });
});

describe('ide-extensions sensor: JetBrains plugins', () => {
  const copilotXml = pluginXml({ id: 'com.github.copilot', name: 'GitHub Copilot', version: '1.5.30-242' });

  it('reads <id> from META-INF/plugin.xml inside the plugin jar, for every product and release (Linux layout)', async () => {
    const gus = await homes.home('gus');
    const base = path.join(gus.dir, '.local', 'share', 'JetBrains');
    await writeJetbrainsPlugin(path.join(base, 'IntelliJIdea2024.1', 'github-copilot-intellij'), 'github-copilot-intellij-1.5.30.jar', copilotXml);
    await writeJetbrainsPlugin(path.join(base, 'PyCharmCE2023.3', 'github-copilot-intellij'), 'github-copilot-intellij-1.5.30.jar', copilotXml);
    // A plugin without <id>: the platform falls back to <name>.
    await writeJetbrainsPlugin(path.join(base, 'GoLand2024.2', 'nameonly'), 'nameonly.jar', pluginXml({ name: 'Name Only Plugin', version: '0.1' }));
    await mkdir(path.join(base, 'Toolbox', 'apps'), { recursive: true }); // not a product folder
    const { found, health } = await scan(gus);
    expect(found.map((o) => [o.ecosystem, o.product, o.id, o.version, o.location])).toEqual([
      ['jetbrains', 'GoLand2024.2', 'Name Only Plugin', '0.1', '.local/share/JetBrains/GoLand2024.2/nameonly'],
      ['jetbrains', 'IntelliJIdea2024.1', 'com.github.copilot', '1.5.30-242', '.local/share/JetBrains/IntelliJIdea2024.1/github-copilot-intellij'],
      ['jetbrains', 'PyCharmCE2023.3', 'com.github.copilot', '1.5.30-242', '.local/share/JetBrains/PyCharmCE2023.3/github-copilot-intellij'],
    ]);
    expectSensorHealth(health, { name: 'ide-extensions', observations: 3, errors: {} });
  });

  it('looks in <Product>/plugins on macOS and Windows, and reads single-jar plugins', async () => {
    const cases = [
      ['darwin', ['Library', 'Application Support', 'JetBrains']],
      ['win32', ['AppData', 'Roaming', 'JetBrains']],
    ] as const;
    for (const [platform, base] of cases) {
      const h = await homes.home(`jb-${platform}`);
      const plugins = path.join(h.dir, ...base, 'WebStorm2024.3', 'plugins');
      await writeJetbrainsPlugin(path.join(plugins, 'github-copilot-intellij'), 'core.jar', copilotXml);
      await writeZip(path.join(plugins, 'single.jar'), { 'META-INF/plugin.xml': pluginXml({ id: 'org.example.single', name: 'Single', version: '2.0' }) });
      const { found, health } = await scan(h, platform);
      expect(found.map((o) => [o.id, o.location])).toEqual([
        ['com.github.copilot', [...base, 'WebStorm2024.3', 'plugins', 'github-copilot-intellij'].join('/')],
        ['org.example.single', [...base, 'WebStorm2024.3', 'plugins', 'single.jar'].join('/')],
      ]);
      expectSensorHealth(health, { name: 'ide-extensions', observations: 2, errors: {} });
    }
  });

  it('counts a corrupt jar, a jar without plugin.xml and a bad plugin.xml as parse errors', async () => {
    const hal = await homes.home('hal');
    const product = path.join(hal.dir, '.local', 'share', 'JetBrains', 'Rider2025.1');
    await writeText(path.join(product, 'corrupt', 'lib', 'corrupt.jar'), 'this is not a zip file at all');
    await writeJetbrainsPlugin(path.join(product, 'noxml'), 'noxml.jar', '');
    await writeZip(path.join(product, 'noxml', 'lib', 'noxml.jar'), { 'META-INF/MANIFEST.MF': 'Manifest-Version: 1.0\n' });
    await writeJetbrainsPlugin(path.join(product, 'badxml'), 'badxml.jar', '<not-a-plugin/>');
    await writeJetbrainsPlugin(path.join(product, 'github-copilot-intellij'), 'github-copilot-intellij.jar', copilotXml);
    const { found, health } = await scan(hal);
    expect(found.map((o) => o.id)).toEqual(['com.github.copilot']);
    expectSensorHealth(health, { name: 'ide-extensions', observations: 1, errors: { parse: 3 } });
  });

  it('counts an oversized plugin.xml as a limit and does not read it', async () => {
    const ivy = await homes.home('ivy');
    const product = path.join(ivy.dir, '.local', 'share', 'JetBrains', 'CLion2024.1');
    const huge = pluginXml({ id: 'org.example.huge', name: 'Huge', version: '1' }).replace('</idea-plugin>', `<!-- ${'x'.repeat(2 * 1024 * 1024)} --></idea-plugin>`);
    await writeJetbrainsPlugin(path.join(product, 'huge'), 'huge.jar', huge);
    const { found, health } = await scan(ivy);
    expect(found).toEqual([]);
    expectSensorHealth(health, { name: 'ide-extensions', observations: 0, errors: { limit: 1 } });
  });
});

describe('ide-extensions sensor: empty homes', () => {
  it('reports nothing and no errors for a home without IDEs', async () => {
    const empty = await homes.home('empty');
    await writeFile(path.join(empty.dir, '.bashrc'), '# nothing\n');
    const { found, health } = await scan(empty);
    expect(found).toEqual([]);
    expectSensorHealth(health, { name: 'ide-extensions', observations: 0, errors: {} });
  });
});
