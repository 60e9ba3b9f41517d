import { describe, expect, it } from 'vitest';
import { argsHaveSecret, isLiteralSecret, isSecretName, looksLikeToken, urlHasSecret } from '../src/mcp/secrets.js';
import { normalizeServer } from '../src/mcp/server-entry.js';

describe('mcp secrets: literal secrets are recognised', () => {
  it.each([
    ['OpenAI/Anthropic key', 'sk-ant-api03-Abcdefghijklmnop1234'],
    ['GitHub classic PAT', 'ghp_0123456789abcdefghijABCDEFGHIJ012345'],
    ['GitHub fine-grained PAT', 'github_pat_11ABCDEFG0123456789_abcdefghij'],
    ['Slack bot token', 'xoxb-123456789012-abcdefghijkl'],
    ['AWS access key id', 'AKIAIOSFODNN7EXAMPLE'],
    ['Google API key', 'AIzaSyA1234567890abcdefghijklmnopqrstu'],
    ['GitLab PAT', 'glpat-abcdefghij0123456789'],
    ['JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'],
    ['Bearer with random token', 'Bearer Zq8v3Lw9Xk2Rm7Tb4Nc6Pd1'],
    ['random mixed token', 'Zq8v3Lw9Xk2Rm7Tb4Nc6Pd1'],
    ['long hex', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
  ])('%s', (_what, value) => {
    expect(looksLikeToken(value)).toBe(true);
    expect(isLiteralSecret(value)).toBe(true);
  });

  it('treats any real-looking literal under a credential name as a secret', () => {
    expect(isLiteralSecret('hunter2-correct-horse', 'PGPASSWORD')).toBe(true);
    expect(isLiteralSecret('plainvalue123', 'GITHUBTOKEN')).toBe(true);
    expect(isLiteralSecret('my-company-key-01', 'X-Api-Key')).toBe(true);
    expect(isLiteralSecret('my-company-key-01', 'apiKey')).toBe(true);
    expect(isLiteralSecret('postgres://app:pw123456@db:5432/app', 'DATABASE_URL')).toBe(true);
  });

  it('finds secrets in URLs: userinfo password, credential query values, token path segments', () => {
    expect(urlHasSecret('https://user:pa55word@mcp.example.com/mcp')).toBe(true);
    expect(urlHasSecret('https://mcp.example.com/sse?api_key=abcdefgh1234')).toBe(true);
    expect(urlHasSecret('https://actions.zapier.com/mcp/Zq8v3Lw9Xk2Rm7Tb4Nc6Pd1/sse')).toBe(true);
  });

  it('finds secrets in args: flag values, header args, KEY=VALUE pairs, URLs', () => {
    expect(argsHaveSecret(['--api-key', 'abcdefgh12'])).toBe(true);
    expect(argsHaveSecret(['--token=abcdefgh12'])).toBe(true);
    expect(argsHaveSecret(['mcp-remote', 'https://x.example.com/mcp', '--header', 'Authorization: Bearer abcdefgh12'])).toBe(true);
    expect(argsHaveSecret(['run', '-e', 'GITHUB_TOKEN=abcdefgh12', 'image'])).toBe(true);
    expect(argsHaveSecret(['https://x.example.com/mcp?token=abcdefgh12'])).toBe(true);
  });
});

describe('mcp secrets: ordinary values are not secrets', () => {
  it.each([
    ['env reference', '${GITHUB_TOKEN}', 'GITHUB_TOKEN'],
    ['env reference with default', '${API_KEY:-}', 'API_KEY'],
    ['VS Code input', '${input:perplexity-key}', 'PERPLEXITY_API_KEY'],
    ['Cursor env syntax', '${env:USERJOT_API_TOKEN}', 'Authorization'],
    ['Bearer + reference', 'Bearer ${API_KEY}', 'Authorization'],
    ['shell variable', '$MY_API_TOKEN', 'API_KEY'],
    ['Windows variable', '%GITHUB_TOKEN%', 'GITHUB_TOKEN'],
    ['placeholder', 'your-api-key', 'BRAVE_API_KEY'],
    ['placeholder brackets', '<YOUR_TOKEN>', 'TOKEN'],
    ['credentials file path', '/home/alice/.config/gcloud/key.json', 'GOOGLE_APPLICATION_CREDENTIALS'],
    ['short value', 'abc', 'API_KEY'],
    ['small number', '4096', 'MAX_TOKENS'],
    ['log level', 'ERROR', 'FASTMCP_LOG_LEVEL'],
    ['region', 'us-east-1', 'AWS_REGION'],
    ['package spec', '@modelcontextprotocol/server-filesystem@2025.8.21', undefined],
    ['docker image', 'ghcr.io/github/github-mcp-server:v0.4.0', undefined],
    ['pypi pin', 'mcp-server-sqlite==0.6.2', undefined],
    ['path', '/Users/alice/Library/Application Support/Claude', undefined],
    ['uuid', '0f4e6c1d-9a8b-4e6d-8c4b-3a2918071625', 'PROJECT_ID'],
    ['host name', 'api.githubcopilot.com', undefined],
  ])('%s', (_what, value, name) => {
    expect(isLiteralSecret(value, name)).toBe(false);
  });

  it('knows credential names from ordinary ones', () => {
    for (const n of ['API_KEY', 'apiKey', 'x-api-key', 'GITHUB_PERSONAL_ACCESS_TOKEN', 'PGPASSWORD', 'Authorization', 'client_secret', 'AUTH']) expect(isSecretName(n), n).toBe(true);
    for (const n of ['KEYBOARD_LAYOUT', 'AUTHOR', 'OAUTH_CLIENT_ID', 'LOG_LEVEL', 'NODE_ENV', 'PATH']) expect(isSecretName(n), n).toBe(false);
  });

  it('leaves ordinary launch args alone', () => {
    expect(argsHaveSecret(['-y', '@modelcontextprotocol/server-filesystem', '/Users/alice/Desktop'])).toBe(false);
    expect(argsHaveSecret(['run', '-i', '--rm', '-e', 'GITHUB_PERSONAL_ACCESS_TOKEN', 'ghcr.io/github/github-mcp-server'])).toBe(false);
    expect(argsHaveSecret(['mcp-remote', 'https://mcp.linear.app/sse', '--header', 'Authorization: Bearer ${LINEAR_TOKEN}'])).toBe(false);
    expect(argsHaveSecret(['--local-timezone=Europe/Paris', '--port', '8080'])).toBe(false);
  });
});

describe('mcp secrets: names that are tokens', () => {
  const ctx = { ecosystem: 'cursor', tool: 'cursor', product: null, scope: 'user', location: '.cursor/mcp.json', user: 'alice' } as const;
  it('hides a server name or env key that is itself a token, and drops odd key names without flagging', () => {
    const token = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
    const o = normalizeServer(token, { command: 'node', env: { [token]: '1', 'odd key': 'x', LOG_LEVEL: 'debug' } }, ctx);
    expect(o.name).toBe('(unnamed)');
    expect(o.env_keys).toEqual(['LOG_LEVEL']);
    expect(o.flags).toEqual(['literal-secret']);
    expect(JSON.stringify(o)).not.toContain('ghp_');
    const plain = normalizeServer('fine', { command: 'node', env: { 'odd key': 'x' } }, ctx);
    expect(plain).toMatchObject({ name: 'fine', env_keys: [], flags: [] });
  });
});
