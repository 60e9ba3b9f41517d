import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
afterAll(() => dir.cleanup());

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('config', () => {
  it('defaults to the embedded store under ./data/clickhouse, 400 days retention, loopback', () => {
    const c = loadConfig({ env: {} });
    expect(c.clickhouse).toMatchObject({ url: null, path: './data/clickhouse' });
    expect(c.retentionDays).toBe(400);
    expect(c.listen.host).toBe('127.0.0.1');
  });

  it('reads YAML, and the environment wins over the file', () => {
    const file = join(dir.path, 'collector.yaml');
    writeFileSync(file, [
      'listen: { port: 9000 }',
      'retention_days: 200',
      'enrollment_secrets:',
      '  - { id: s1, secret: aaaaaaaaaaaaaaaaaaaa }',
      '  - { id: s0, secret: bbbbbbbbbbbbbbbbbbbb, retired: true }',
      'admin_tokens: [{ id: ops, token: cccccccccccccccccccccccccccc }]',
    ].join('\n'));
    const c = loadConfig({ file, env: { AISCOUT_LISTEN_PORT: '9100', CLICKHOUSE_URL: 'https://ch.example:8443', CLICKHOUSE_USER: 'ingest' } });
    expect(c.listen.port).toBe(9100);
    expect(c.retentionDays).toBe(200);
    expect(c.clickhouse).toMatchObject({ url: 'https://ch.example:8443', user: 'ingest' });
    expect(c.enrollmentSecrets).toEqual([{ id: 's1', secret: 'aaaaaaaaaaaaaaaaaaaa', retired: false }, { id: 's0', secret: 'bbbbbbbbbbbbbbbbbbbb', retired: true }]);
    expect(c.adminTokens.map((t) => t.id)).toEqual(['ops']);
  });

  it('reports every problem at once, one message each, naming the setting', () => {
    const file = join(dir.path, 'bad.yaml');
    writeFileSync(file, [
      'listen: { port: 70000, hots: x }',
      'retention_days: -3',
      'audit_retention_days: 30',
      'enrollment_secrets: [{ id: "bad id!", secret: short }]',
      'admin_tokens: [{ token: tiny }]',
      'clickhouse: { url: "ftp://x", cluster: c }',
      'colour: blue',
    ].join('\n'));
    const list = problems(() => loadConfig({ file, env: { AISCOUT_RETENTION_DAYS: 'many' } }));
    const expected = [
      'listen.port', 'listen.hots', 'retention_days', 'audit_retention_days', 'enrollment_secrets[0].id', 'enrollment_secrets[0].secret',
      'admin_tokens[0].id', 'admin_tokens[0].token', 'clickhouse.url', 'colour', 'AISCOUT_RETENTION_DAYS',
    ];
    for (const key of expected) expect(list.some((p) => p.includes(key)), `${key} in ${list.join('\n')}`).toBe(true);
    expect(list.every((p) => !p.includes('short') && !p.includes('tiny'))).toBe(true);
  });

  it('caps retention so the TTL stays inside ClickHouse DateTime (year 2106): a huge value is an error, not silent data loss', () => {
    const file = join(dir.path, 'retention.yaml');
    writeFileSync(file, 'retention_days: 30000\n');
    expect(problems(() => loadConfig({ file, env: {} })).some((p) => p.includes('retention_days'))).toBe(true);
  });

  it('names a missing or unparsable file', () => {
    expect(problems(() => loadConfig({ file: join(dir.path, 'nope.yaml'), env: {} }))[0]).toContain('file not found');
    const broken = join(dir.path, 'broken.yaml');
    writeFileSync(broken, 'listen: [\n');
    expect(problems(() => loadConfig({ file: broken, env: {} }))[0]).toContain('not valid YAML');
    expect(problems(() => loadConfig({ env: { CLICKHOUSE_CLUSTER: 'c' } }))[0]).toContain('clickhouse.cluster');
  });
});
