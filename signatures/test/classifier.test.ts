import { describe, expect, it } from 'vitest';
import { compileCatalog, NO_MATCH, normaliseHost, type Observation } from '../src/index.js';
import { host, tool } from './helpers.js';

const SRC = 'https://example.com/source';
const h = (name: string): Observation => ({ type: 'host', name });

describe('host matching', () => {
  const c = compileCatalog([
    tool('exact-tool', { hosts: [host('api.example.ai')] }),
    tool('suffix-tool', { hosts: [host('example.ai', 'suffix')] }),
    tool('deep-suffix', { hosts: [host('eu.svc.example.ai', 'suffix')] }),
    tool('wild-mid', { hosts: [host('bedrock-runtime.*.amazonaws.com', 'wildcard')] }),
    tool('wild-prefix', { hosts: [host('*-aiplatform.googleapis.com', 'wildcard')] }),
    tool('wild-label', { hosts: [host('*.openai.azure.com', 'wildcard')] }),
    tool('wild-vs-suffix', { hosts: [host('*.svc.example.ai', 'wildcard')] }),
  ]);
  const toolOf = (name: string) => c.classify(h(name)).tool;

  it('matches exact names only exactly', () => {
    expect(toolOf('api.example.ai')).toBe('exact-tool');
    expect(c.classify(h('api.example.ai')).confidence).toBe(0.95);
  });

  it('matches a suffix on the name and its subdomains, not on a longer label', () => {
    expect(toolOf('example.ai')).toBe('suffix-tool');
    expect(toolOf('www.example.ai')).toBe('suffix-tool');
    expect(toolOf('a.b.c.example.ai')).toBe('suffix-tool');
    expect(toolOf('x.api.example.ai')).toBe('suffix-tool');
    expect(toolOf('notexample.ai')).toBeNull();
    expect(toolOf('example.ai.evil.com')).toBeNull();
    expect(c.classify(h('www.example.ai')).confidence).toBe(0.9);
  });

  it('prefers the most specific match', () => {
    expect(toolOf('eu.svc.example.ai')).toBe('deep-suffix');
    expect(toolOf('x.eu.svc.example.ai')).toBe('deep-suffix');
    // '*.svc.example.ai' has more literal characters than the suffix 'example.ai'
    expect(toolOf('us.svc.example.ai')).toBe('wild-vs-suffix');
    // ...but fewer than the suffix 'eu.svc.example.ai'
    expect(toolOf('eu.svc.example.ai')).toBe('deep-suffix');
    expect(toolOf('svc.example.ai')).toBe('suffix-tool');
  });

  it('fills a wildcard inside exactly one label', () => {
    expect(toolOf('bedrock-runtime.us-east-1.amazonaws.com')).toBe('wild-mid');
    expect(toolOf('bedrock-runtime.us-east-1.x.amazonaws.com')).toBeNull();
    expect(toolOf('x.bedrock-runtime.us-east-1.amazonaws.com')).toBeNull();
    expect(toolOf('bedrock-runtime.amazonaws.com')).toBeNull();
    expect(toolOf('us-central1-aiplatform.googleapis.com')).toBe('wild-prefix');
    expect(toolOf('-aiplatform.googleapis.com')).toBeNull();
    expect(toolOf('aiplatform.googleapis.com')).toBeNull();
    expect(toolOf('a.b-aiplatform.googleapis.com')).toBeNull();
    expect(toolOf('contoso.openai.azure.com')).toBe('wild-label');
    expect(toolOf('CONTOSO.OpenAI.Azure.com.')).toBe('wild-label');
    expect(toolOf('openai.azure.com')).toBeNull();
    expect(toolOf('a.contoso.openai.azure.com')).toBeNull();
    expect(c.classify(h('contoso.openai.azure.com')).confidence).toBe(0.9);
  });

  it('matches nothing on generic cloud and code-hosting names', () => {
    for (const name of ['www.googleapis.com', 's3.amazonaws.com', 'foo.amazonaws.com', 'github.com', 'api.github.com', 'azure.com', 'microsoft.com']) {
      expect(toolOf(name), name).toBeNull();
    }
  });

  it('is case-insensitive and ignores one trailing dot', () => {
    expect(toolOf('API.EXAMPLE.AI')).toBe('exact-tool');
    expect(toolOf('api.example.ai.')).toBe('exact-tool');
    expect(toolOf('api.example.ai..')).toBeNull();
  });

  it('rejects invalid names', () => {
    for (const bad of ['', '.', 'api..example.ai', '.api.example.ai', `${'a'.repeat(64)}.example.ai`, `${'a.'.repeat(126)}example.ai`, 'api.example.ai/x', 'api example.ai', 'ápi.example.ai', 'api.example.ai:443', '*.example.ai']) {
      expect(c.classify(h(bad)), bad).toBe(NO_MATCH);
      expect(normaliseHost(bad), bad).toBeNull();
    }
    expect(toolOf(`${'a'.repeat(63)}.example.ai`)).toBe('suffix-tool');
    expect(normaliseHost('Api.Example.AI.')).toBe('api.example.ai');
  });
});

describe('shared identifiers', () => {
  it('names the one owner first and lowers confidence when others share the host', () => {
    const c = compileCatalog([
      tool('zeta-owner', { hosts: [host('api.shared.ai')] }),
      tool('alpha-user', { hosts: [host('api.shared.ai', 'exact', true)] }),
      tool('beta-user', { hosts: [host('api.shared.ai', 'exact', true)] }),
    ]);
    expect(c.classify(h('api.shared.ai'))).toMatchObject({ tool: 'zeta-owner', candidates: ['zeta-owner', 'alpha-user', 'beta-user'], confidence: 0.71 });
  });

  it('without a single owner picks stable before experimental, then by id, and divides confidence', () => {
    const c = compileCatalog([
      tool('aaa', { hosts: [host('cdn.shared.ai', 'exact', true)] }, { status: 'experimental' }),
      tool('bbb', { hosts: [host('cdn.shared.ai', 'exact', true)] }),
      tool('ccc', { hosts: [host('cdn.shared.ai', 'exact', true)] }),
    ]);
    expect(c.classify(h('cdn.shared.ai'))).toMatchObject({ tool: 'bbb', candidates: ['bbb', 'ccc', 'aaa'], confidence: 0.32 });
  });

  it('two owners of one extension id split the confidence', () => {
    const c = compileCatalog([
      tool('one', { vscode_extensions: [{ id: 'pub.same', source: SRC }] }),
      tool('two', { vscode_extensions: [{ id: 'Pub.Same', source: SRC }] }),
    ]);
    expect(c.classify({ type: 'extension', ecosystem: 'vscode', id: 'PUB.same' })).toMatchObject({ tool: 'one', candidates: ['one', 'two'], confidence: 0.5 });
  });

  it('does not depend on the order tools are given in', () => {
    const tools = [tool('b', { hosts: [host('x.shared.ai', 'exact', true)] }), tool('a', { hosts: [host('x.shared.ai', 'exact', true)] })];
    expect(compileCatalog(tools).classify(h('x.shared.ai'))).toEqual(compileCatalog([...tools].reverse()).classify(h('x.shared.ai')));
  });
});

describe('process matching', () => {
  const c = compileCatalog([
    tool('cli-tool', {
      processes: [{ name: 'aitool', source: SRC }],
      cmdline: [{ interpreters: ['node', 'bun'], contains: '/node_modules/@vendor/ai-cli/', source: SRC }],
    }),
    tool('mac-only', { processes: [{ name: 'MacAI', os: ['darwin'], source: SRC }] }),
    tool('helper-tool', { processes: [{ name: 'Code Helper (Plugin)', path_contains: 'AIEditor.app', source: SRC }] }),
    tool('py-tool', { cmdline: [{ interpreters: ['python'], contains: 'site-packages/aipkg/', source: SRC }] }),
    tool('electron-ext', { cmdline: [{ interpreters: ['electron'], contains: 'vendor.ai-extension-', source: SRC }] }),
    tool('any-tool', { cmdline: [{ interpreters: ['any'], contains: '--ai-agent-mode', source: SRC }] }),
    tool('longer-marker', { cmdline: [{ interpreters: ['node'], contains: '/node_modules/@vendor/ai-cli/dist/', source: SRC }] }),
  ]);
  const p = (name: string, extra: Partial<{ exe: string; cmdline: string; os: 'linux' | 'darwin' | 'windows' }> = {}) => c.classify({ type: 'process', name, ...extra });

  it('matches names and executable base names case-insensitively, with or without .exe', () => {
    expect(p('aitool')).toMatchObject({ tool: 'cli-tool', confidence: 0.95, evidence: { matcher: 'process-name', value: 'aitool' } });
    expect(p('AITOOL.EXE').tool).toBe('cli-tool');
    expect(p('something', { exe: 'C:\\Program Files\\AI\\AiTool.exe' }).tool).toBe('cli-tool');
    expect(p('something', { exe: '/usr/local/bin/aitool' }).tool).toBe('cli-tool');
    expect(p('aitoolx').tool).toBeNull();
  });

  it('honours os when the observation gives one', () => {
    expect(p('MacAI', { os: 'darwin' }).tool).toBe('mac-only');
    expect(p('MacAI').tool).toBe('mac-only');
    expect(p('MacAI', { os: 'windows' }).tool).toBeNull();
  });

  it('requires path_contains in the executable path', () => {
    expect(p('Code Helper (Plugin)', { exe: '/Applications/AIEditor.app/Contents/Frameworks/Code Helper (Plugin)' }).tool).toBe('helper-tool');
    expect(p('Code Helper (Plugin)', { exe: '/Applications/Visual Studio Code.app/Contents/Frameworks/Code Helper (Plugin)' }).tool).toBeNull();
    expect(p('Code Helper (Plugin)').tool).toBeNull();
  });

  it('applies command-line markers only inside their interpreter family', () => {
    const cmd = 'node /usr/lib/node_modules/@vendor/ai-cli/cli.js';
    expect(p('node', { cmdline: cmd })).toMatchObject({ tool: 'cli-tool', confidence: 0.9, evidence: { matcher: 'cmdline-marker' } });
    expect(p('node.exe', { cmdline: 'node.exe C:\\npm\\node_modules\\@vendor\\ai-cli\\cli.js' }).tool).toBe('cli-tool');
    expect(p('nodejs', { cmdline: cmd }).tool).toBe('cli-tool');
    expect(p('x', { exe: '/usr/bin/node', cmdline: cmd }).tool).toBe('cli-tool');
    expect(p('bun', { cmdline: cmd }).tool).toBe('cli-tool');
    expect(p('python3', { cmdline: cmd }).tool).toBeNull();
    expect(p('vim', { cmdline: `vim ${cmd}` }).tool).toBeNull();
    for (const py of ['python', 'python3', 'python3.12', 'pythonw', 'python3.13t', 'Python.exe']) {
      expect(p(py, { cmdline: `${py} /venv/lib/python3.12/site-packages/aipkg/__main__.py` }).tool, py).toBe('py-tool');
    }
    for (const el of ['Electron', 'code', 'Code Helper', 'Code Helper (Plugin)', 'Cursor Helper (Renderer)', 'Code Helper (GPU)']) {
      expect(p(el, { cmdline: `${el} --ext=/home/u/.vscode/extensions/vendor.ai-extension-1.2.3/out/main.js` }).tool, el).toBe('electron-ext');
    }
    expect(p('sh', { cmdline: 'sh -c run --ai-agent-mode' }).tool).toBe('any-tool');
  });

  it('prefers the longest marker and keeps the other tool as a candidate', () => {
    const r = p('node', { cmdline: 'node /x/node_modules/@vendor/ai-cli/dist/index.js' });
    expect(r).toMatchObject({ tool: 'longer-marker', candidates: ['longer-marker', 'cli-tool'], confidence: 0.68 });
  });

  it('matches nothing on plain interpreters and browsers', () => {
    for (const name of ['node', 'python', 'code', 'chrome', 'Google Chrome', 'firefox']) {
      expect(p(name, { cmdline: `${name} /home/u/app/main.js` }).tool, name).toBeNull();
      expect(p(name).tool, name).toBeNull();
    }
  });
});

describe('extensions and ports', () => {
  const c = compileCatalog([
    tool('ext-tool', {
      vscode_extensions: [{ id: 'Vendor.AI-Coder', source: SRC }],
      jetbrains_plugins: [{ id: 'com.vendor.ai', source: SRC }],
      browser_extensions: [
        { browser: 'chrome', id: 'abcdefghijklmnopabcdefghijklmnop', source: SRC },
        { browser: 'edge', id: 'ponmlkjihgfedcbaponmlkjihgfedcba', source: SRC },
        { browser: 'firefox', id: 'ai@vendor.com', source: SRC },
      ],
      ports: [{ port: 11434, protocol: 'tcp', source: SRC }],
    }),
  ]);
  const e = (ecosystem: 'vscode' | 'jetbrains' | 'chrome' | 'edge' | 'firefox', id: string) => c.classify({ type: 'extension', ecosystem, id }).tool;

  it('matches vscode ids case-insensitively and jetbrains ids exactly', () => {
    expect(e('vscode', 'vendor.ai-coder')).toBe('ext-tool');
    expect(c.classify({ type: 'extension', ecosystem: 'vscode', id: 'VENDOR.AI-CODER' }).confidence).toBe(1);
    expect(e('jetbrains', 'com.vendor.ai')).toBe('ext-tool');
    expect(e('jetbrains', 'COM.VENDOR.AI')).toBeNull();
    expect(e('jetbrains', 'vendor.ai-coder')).toBeNull();
  });

  it('answers chrome ids for chrome and edge, edge ids for edge only, firefox ids for firefox only', () => {
    expect(e('chrome', 'abcdefghijklmnopabcdefghijklmnop')).toBe('ext-tool');
    expect(e('edge', 'abcdefghijklmnopabcdefghijklmnop')).toBe('ext-tool');
    expect(e('edge', 'ponmlkjihgfedcbaponmlkjihgfedcba')).toBe('ext-tool');
    expect(e('chrome', 'ponmlkjihgfedcbaponmlkjihgfedcba')).toBeNull();
    expect(e('firefox', 'ai@vendor.com')).toBe('ext-tool');
    expect(e('chrome', 'ai@vendor.com')).toBeNull();
    expect(e('firefox', 'abcdefghijklmnopabcdefghijklmnop')).toBeNull();
  });

  it('matches ports with their protocol, tcp by default', () => {
    expect(c.classify({ type: 'port', port: 11434 })).toMatchObject({ tool: 'ext-tool', confidence: 0.6, evidence: { matcher: 'port', value: 'tcp/11434' } });
    expect(c.classify({ type: 'port', port: 11434, protocol: 'udp' }).tool).toBeNull();
    expect(c.classify({ type: 'port', port: 11435 }).tool).toBeNull();
  });
});
