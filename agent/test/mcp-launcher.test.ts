import { describe, expect, it } from 'vitest';
import { commandBasename, launchFacts } from '../src/mcp/launcher.js';
import { transportFromUrl, urlFacts } from '../src/mcp/url.js';

const facts = (command: string, ...args: string[]) => launchFacts(command, args);

describe('mcp launcher: package identity and pin', () => {
  it('reads npm launches (npx, bunx, pnpm dlx, yarn dlx, npm exec), scoped names, pins and ranges', () => {
    expect(facts('npx', '-y', '@modelcontextprotocol/server-filesystem@2025.8.21', '/tmp')).toMatchObject({ command: 'npx', package: '@modelcontextprotocol/server-filesystem', packageEcosystem: 'npm', version: '2025.8.21', unpinned: false });
    expect(facts('npx', '@playwright/mcp@latest')).toMatchObject({ package: '@playwright/mcp', version: null, unpinned: true });
    expect(facts('npx', '--yes', 'mcp-server@^1.2.0')).toMatchObject({ package: 'mcp-server', unpinned: true });
    expect(facts('npx', '-p', 'some-pkg@1.0.0', 'some-bin', '--flag')).toMatchObject({ package: 'some-pkg', version: '1.0.0' });
    expect(facts('bunx', 'context7-mcp')).toMatchObject({ package: 'context7-mcp', unpinned: true });
    expect(facts('pnpm', 'dlx', 'mcp-a@2.0.1')).toMatchObject({ package: 'mcp-a', version: '2.0.1' });
    expect(facts('yarn', 'dlx', 'mcp-b')).toMatchObject({ package: 'mcp-b', unpinned: true });
    expect(facts('npm', 'exec', '--', 'mcp-c@3.0.0')).toMatchObject({ package: 'mcp-c', version: '3.0.0' });
    expect(facts('npx', './local/server.js')).toMatchObject({ package: null, unpinned: false });
  });

  it('reads PyPI launches (uvx, uv tool run, pipx run) with ==, @ and --from', () => {
    expect(facts('uvx', 'mcp-server-time', '--local-timezone=UTC')).toMatchObject({ package: 'mcp-server-time', packageEcosystem: 'pypi', unpinned: true });
    expect(facts('uvx', 'mcp-server-fetch==2025.4.7')).toMatchObject({ package: 'mcp-server-fetch', version: '2025.4.7', unpinned: false });
    expect(facts('uvx', 'awslabs.aws-documentation-mcp-server@latest')).toMatchObject({ package: 'awslabs.aws-documentation-mcp-server', unpinned: true });
    expect(facts('uvx', '--python', '3.12', '--from', 'mcp-x[cli]==0.3.0', 'mcp-x-server')).toMatchObject({ package: 'mcp-x', version: '0.3.0' });
    expect(facts('uv', 'tool', 'run', 'serena==0.1.4')).toMatchObject({ package: 'serena', version: '0.1.4' });
    expect(facts('pipx', 'run', 'mcp-y')).toMatchObject({ package: 'mcp-y', unpinned: true });
    expect(facts('uvx', '--from', 'git+https://github.com/org/repo', 'tool')).toMatchObject({ package: null });
  });

  it('reads container launches: image without tag, tag and digest pins', () => {
    expect(facts('docker', 'run', '-i', '--rm', '-e', 'GITHUB_PERSONAL_ACCESS_TOKEN', 'ghcr.io/github/github-mcp-server')).toMatchObject({ package: 'ghcr.io/github/github-mcp-server', packageEcosystem: 'docker', unpinned: true });
    expect(facts('docker', 'run', '--name=x', '-v', '/a:/b', 'mcp/fetch:1.2.3')).toMatchObject({ package: 'mcp/fetch', version: '1.2.3', unpinned: false });
    expect(facts('podman', 'run', 'mcp/git:latest')).toMatchObject({ package: 'mcp/git', unpinned: true });
    expect(facts('docker', 'run', 'mcp/time@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef')).toMatchObject({ package: 'mcp/time', unpinned: false });
    expect(facts('docker', 'ps')).toMatchObject({ package: null, unpinned: false });
  });
});

describe('mcp launcher: shells and proxies', () => {
  it('flags shells, inline code and shell servers; unwraps the Windows cmd /c shim of a launcher', () => {
    expect(facts('bash', '-c', 'cd tools && ./start.sh')).toMatchObject({ command: 'bash', shellExec: true });
    expect(facts('/bin/sh', '-lc', 'npx -y mcp-z')).toMatchObject({ command: 'sh', package: 'mcp-z', shellExec: true });
    expect(facts('zsh', 'server.sh')).toMatchObject({ shellExec: true });
    expect(facts('pwsh', '-Command', 'Start-Server')).toMatchObject({ command: 'pwsh', shellExec: true });
    expect(facts('cmd', '/c', 'npx', '-y', 'mcp-w@1.0.0')).toMatchObject({ command: 'npx', package: 'mcp-w', shellExec: false });
    expect(facts('cmd.exe', '/c', 'npx -y mcp-w')).toMatchObject({ command: 'npx', package: 'mcp-w', shellExec: false });
    expect(facts('cmd', '/c', 'start.bat')).toMatchObject({ command: 'cmd', shellExec: true });
    expect(facts('cmd', '/c', 'npx', 'a', '&&', 'del', 'x')).toMatchObject({ shellExec: true });
    expect(facts('python', '-c', 'import os; os.system("x")')).toMatchObject({ shellExec: true });
    expect(facts('node', '-e', 'require("child_process")')).toMatchObject({ shellExec: true });
    expect(facts('npx', '-y', '@wonderwhy-er/desktop-commander')).toMatchObject({ shellExec: true });
    expect(facts('uvx', 'mcp-shell-server')).toMatchObject({ shellExec: true });
    expect(facts('npx', '-y', 'mcp-server-commands')).toMatchObject({ shellExec: true });
    expect(facts('npx', '-c', 'echo hi')).toMatchObject({ shellExec: true });
    expect(facts('node', 'server.js')).toMatchObject({ shellExec: false });
  });

  it('finds the remote a stdio proxy connects to', () => {
    expect(facts('npx', '-y', 'mcp-remote', 'https://mcp.linear.app/sse', '--header', 'Authorization: Bearer ${T}').proxyUrl).toBe('https://mcp.linear.app/sse');
    expect(facts('uvx', 'mcp-proxy', 'http://10.0.0.5:8080/sse').proxyUrl).toBe('http://10.0.0.5:8080/sse');
    expect(facts('npx', 'mcp-other', 'https://x.example.com').proxyUrl).toBeNull();
  });

  it('keeps only a clean basename of the command', () => {
    expect(commandBasename('C:\\Program Files\\nodejs\\node.exe')).toBe('node');
    expect(commandBasename('/opt/homebrew/bin/uvx')).toBe('uvx');
    expect(commandBasename('/usr/local/bin/my server')).toBeNull();
    expect(commandBasename('Zq8v3Lw9Xk2Rm7Tb4Nc6Pd1')).toBeNull();
  });
});

describe('mcp url facts', () => {
  it('keeps the host only and knows loopback and plain-text schemes', () => {
    expect(urlFacts('https://user:pw@MCP.Example.com:8443/path?q=1#x')).toEqual({ host: 'mcp.example.com', loopback: false, plaintext: false });
    expect(urlFacts('http://localhost:3000/mcp')).toEqual({ host: 'localhost', loopback: true, plaintext: true });
    expect(urlFacts('http://127.0.0.1/sse')).toMatchObject({ loopback: true });
    expect(urlFacts('http://[::1]:9000/')).toMatchObject({ host: '::1', loopback: true });
    expect(urlFacts('ws://tools.internal/ws')).toMatchObject({ host: 'tools.internal', plaintext: true, loopback: false });
    expect(urlFacts('${API_BASE_URL}/mcp')).toBeNull();
    expect(urlFacts('file:///etc/passwd')).toBeNull();
    expect(transportFromUrl('https://mcp.asana.com/sse')).toBe('sse');
    expect(transportFromUrl('https://mcp.notion.com/mcp')).toBe('http');
    expect(transportFromUrl('wss://x.example.com/')).toBe('ws');
  });
});
