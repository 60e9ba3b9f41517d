import path from 'node:path';
import { pluginXml, writeChromeExtension, writeFirefox, writeJetbrainsPlugin, writeVscodeExtension, writeVscodeRegistry } from './fake-home.js';

/** Chrome Web Store id of the ChatGPT extension, as listed in signatures/tools/chatgpt.yaml. */
export const CHATGPT_CHROME_ID = 'ejcfepkfckglbgocfkanmcdngdijcgld';
/** uBlock Origin: a common extension that is not AI. */
export const UBLOCK_CHROME_ID = 'cjpalhdlnbpafiamejdnhcphjbkeiagm';

/**
 * A developer's home with AI tools (Copilot in VS Code and a VS Code server, Continue in Cursor,
 * Cline in VSCodium, Copilot for IntelliJ, the ChatGPT Chrome extension) next to ordinary ones.
 */
export async function populateAiHome(dir: string): Promise<void> {
  const copilot = { publisher: 'GitHub', name: 'copilot', version: '1.250.0', displayName: 'GitHub Copilot' };
  const vscode = path.join(dir, '.vscode', 'extensions');
  await writeVscodeExtension(vscode, 'github.copilot-1.250.0', copilot);
  await writeVscodeExtension(vscode, 'ms-python.python-2025.4.0', { publisher: 'ms-python', name: 'python', version: '2025.4.0' });
  await writeVscodeExtension(vscode, 'esbenp.prettier-vscode-11.0.0', { publisher: 'esbenp', name: 'prettier-vscode', version: '11.0.0' });
  await writeVscodeRegistry(vscode, [
    { id: 'github.copilot', version: '1.250.0', folder: 'github.copilot-1.250.0' },
    { id: 'ms-python.python', version: '2025.4.0', folder: 'ms-python.python-2025.4.0' },
    { id: 'esbenp.prettier-vscode', version: '11.0.0', folder: 'esbenp.prettier-vscode-11.0.0' },
  ]);
  await writeVscodeExtension(path.join(dir, '.vscode-server', 'extensions'), 'github.copilot-1.250.0', copilot);
  await writeVscodeExtension(path.join(dir, '.cursor', 'extensions'), 'continue.continue-1.0.5-linux-x64', {
    publisher: 'Continue',
    name: 'continue',
    version: '1.0.5',
  });
  await writeVscodeExtension(path.join(dir, '.vscode-oss', 'extensions'), 'saoudrizwan.claude-dev-3.17.0', {
    publisher: 'saoudrizwan',
    name: 'claude-dev',
    version: '3.17.0',
  });
  const idea = path.join(dir, '.local', 'share', 'JetBrains', 'IntelliJIdea2024.1');
  await writeJetbrainsPlugin(path.join(idea, 'github-copilot-intellij'), 'github-copilot-intellij-1.5.30.jar', pluginXml({ id: 'com.github.copilot', name: 'GitHub Copilot', version: '1.5.30-242' }));
  await writeJetbrainsPlugin(path.join(idea, 'intellij-rust'), 'intellij-rust.jar', pluginXml({ id: 'org.rust.lang', name: 'Rust', version: '0.4.200' }));
  const chrome = path.join(dir, '.config', 'google-chrome');
  await writeChromeExtension(path.join(chrome, 'Default'), CHATGPT_CHROME_ID, '1.2025.10');
  await writeChromeExtension(path.join(chrome, 'Default'), UBLOCK_CHROME_ID, '1.62.0');
  await writeFirefox(path.join(dir, '.mozilla', 'firefox'), [
    { path: 'k3x9a1b2.default-release', addons: [{ id: 'uBlock0@raymondhill.net', version: '1.62.0' }, { id: 'formautofill@mozilla.org', version: '1.0.1', location: 'app-builtin' }] },
  ]);
}

/** What a scan of populateAiHome must find, as `tool matcher value count`. */
export const AI_HOME_EXPECTED = [
  `chatgpt browser-extension ${CHATGPT_CHROME_ID} 1`,
  'cline vscode-extension saoudrizwan.claude-dev 1',
  'continue vscode-extension continue.continue 1',
  'github-copilot jetbrains-plugin com.github.copilot 1',
  'github-copilot vscode-extension github.copilot 2',
];
