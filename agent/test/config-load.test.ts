import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentConfigSchema, ENV_VARIABLES, formatIssues, loadAgentConfig, type ConfigLoadResult, type LoadOptions } from '../src/config/index.js';

const fixtures = resolve(fileURLToPath(import.meta.url), '../fixtures/config');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aiscout-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Linux loading with the file search pointed at `files` and state kept in the temp dir. */
function linux(files: string[], env: Record<string, string> = {}, extra: Partial<LoadOptions> = {}): Promise<ConfigLoadResult> {
  return loadAgentConfig({ platform: 'linux', env, privileged: false, home: dir, paths: { files, stateDir: join(dir, 'state') }, ...extra });
}

const errors = (r: ConfigLoadResult) => r.issues.filter((i) => i.severity === 'error');
const paths = (r: ConfigLoadResult) => errors(r).map((i) => i.path).sort();

describe('loading each format', () => {
  it('JSON: values from the file, defaults for the rest', async () => {
    const r = await linux([join(fixtures, 'agent.json')]);
    expect(r.issues).toEqual([]);
    expect(r.source).toBe(`file:${join(fixtures, 'agent.json')}`);
    expect(r.config).toMatchObject({
      collector_url: 'https://collector.example.com:8443',
      enrollment_secret: 'json-enroll-secret-0001',
      team: 'Platform Engineering',
      intervals: { processes: 60, extensions: 3600, usage_logs: 300, network: 60, heartbeat: 600 },
      window_seconds: 600,
      spool: { dir: join(dir, 'state', 'spool'), max_bytes: 52428800 },
      state_dir: join(dir, 'state'),
      privacy: { pseudonymize_users: true, pseudonym_key: 'json-pseudonym-key-0123456789', hostname: 'hash' },
      sensors: { processes: true, ide_extensions: true, browser_extensions: true, usage_logs: true, network: false },
      limits: { max_rss_mb: 128, max_cpu_percent: 5, sustained_seconds: 6 },
      log_level: 'debug',
    });
  });

  it('YAML, and the first existing file wins', async () => {
    const r = await linux([join(dir, 'absent.json'), join(fixtures, 'agent.yaml'), join(fixtures, 'agent.json')]);
    expect(r.issues).toEqual([]);
    expect(r.config).toMatchObject({
      collector_url: 'https://collector.example.com',
      team: 'Data Science',
      intervals: { processes: 45, usage_logs: 600 },
      spool: { dir: '/var/lib/aiscout/spool', max_bytes: 209715200 },
      sensors: { browser_extensions: false, network: true },
      limits: { max_rss_mb: 96, max_cpu_percent: 2.5, sustained_seconds: 6 },
      log_level: 'warn',
    });
  });

  it('macOS: the XML managed preferences plist comes before the JSON fallback', async () => {
    const r = await loadAgentConfig({
      platform: 'darwin',
      env: {},
      privileged: true,
      paths: { files: [join(fixtures, 'managed-preferences.plist'), join(fixtures, 'agent.json')] },
      lastGoodPath: join(dir, 'last-good.json'),
    });
    expect(r.issues).toEqual([]);
    expect(r.config).toMatchObject({
      team: 'Design & Research',
      intervals: { processes: 90, extensions: 7200 },
      limits: { max_cpu_percent: 3.5 },
      sensors: { network: false },
      state_dir: '/Library/Application Support/aiscout/state',
      spool: { dir: '/Library/Application Support/aiscout/state/spool' },
    });
  });

  it('macOS: a binary plist as a configuration profile writes it', async () => {
    const r = await loadAgentConfig({
      platform: 'darwin',
      env: {},
      privileged: false,
      home: '/Users/ada',
      paths: { files: [join(fixtures, 'managed-preferences-binary.plist')] },
      lastGoodPath: join(dir, 'last-good.json'),
    });
    expect(r.issues).toEqual([]);
    expect(r.config).toMatchObject({
      enrollment_secret: 'bplist-enroll-secret-0004',
      team: 'Équipe Données — データ',
      intervals: { processes: 120, network: 30, heartbeat: 900 },
      window_seconds: 900,
      spool: { max_bytes: 5 * 1024 ** 3 },
      limits: { max_cpu_percent: 7.5, sustained_seconds: 10 },
      privacy: { pseudonymize_users: true, pseudonym_key: 'bplist-pseudonym-key-0123456789' },
      state_dir: '/Users/ada/Library/Application Support/aiscout/state',
    });
  });

  it('Windows: the policy registry key overrides the ProgramData file, names matched without case', async () => {
    const queried: string[] = [];
    const reg = await readFile(join(fixtures, 'reg-query-policy.txt'), 'utf8');
    const r = await loadAgentConfig({
      platform: 'win32',
      env: { ProgramData: 'C:\\ProgramData' },
      paths: { files: [join(fixtures, 'agent.json')] },
      runRegQuery: async (key) => {
        queried.push(key);
        return reg;
      },
      lastGoodPath: join(dir, 'last-good.json'),
    });
    expect(queried).toEqual(['HKLM\\SOFTWARE\\Policies\\aiscout']);
    expect(r.issues).toEqual([]);
    expect(r.source).toBe(`file:${join(fixtures, 'agent.json')} + registry:HKLM\\SOFTWARE\\Policies\\aiscout`);
    expect(r.config).toMatchObject({
      collector_url: 'https://collector.corp.example', // registry
      enrollment_secret: 'reg-enroll-secret-0005',
      team: 'Finance', // "Team" in the registry
      window_seconds: 600,
      intervals: { processes: 120, heartbeat: 900 },
      privacy: { pseudonymize_users: true, pseudonym_key: 'reg-pseudonym-key-0123456789', hostname: 'hash' },
      sensors: { network: false, browser_extensions: true },
      spool: { max_bytes: 1073741824, dir: 'C:\\ProgramData\\aiscout\\state\\spool' },
      state_dir: 'C:\\ProgramData\\aiscout\\state',
      log_level: 'debug', // empty REG_SZ leaves the file's value
    });
  });

  it('Windows: no policy key means the file alone; default paths under %ProgramData%', async () => {
    const r = await loadAgentConfig({
      platform: 'win32',
      env: { PROGRAMDATA: 'D:\\PD', AISCOUT_COLLECTOR_URL: 'https://c.example', AISCOUT_ENROLLMENT_SECRET: 'env-secret-123' },
      runRegQuery: async () => null,
      lastGoodPath: join(dir, 'last-good.json'),
    });
    expect(errors(r)).toEqual([]);
    expect(r.source).toBe('env');
    expect(r.config?.state_dir).toBe('D:\\PD\\aiscout\\state');
  });
});

describe('environment overrides', () => {
  it('every setting has a variable, and they override the file with typed values', async () => {
    expect([...ENV_VARIABLES.keys()]).toEqual(
      expect.arrayContaining(['AISCOUT_COLLECTOR_URL', 'AISCOUT_ENROLLMENT_SECRET', 'AISCOUT_TEAM', 'AISCOUT_SPOOL_MAX_BYTES', 'AISCOUT_INTERVALS_PROCESSES', 'AISCOUT_SENSORS_NETWORK', 'AISCOUT_PRIVACY_HOSTNAME', 'AISCOUT_LIMITS_MAX_RSS_MB']),
    );
    const r = await linux([join(fixtures, 'agent.yaml')], {
      AISCOUT_COLLECTOR_URL: 'http://127.0.0.1:8080',
      AISCOUT_TEAM: 'Override Team',
      AISCOUT_INTERVALS_PROCESSES: '15',
      AISCOUT_SENSORS_NETWORK: 'false',
      AISCOUT_LIMITS_MAX_CPU_PERCENT: '1.5',
      AISCOUT_LOG_LEVEL: '',
      AISCOUT_NOT_A_SETTING: 'x',
    });
    expect(errors(r)).toEqual([]);
    expect(r.source).toBe(`file:${join(fixtures, 'agent.yaml')} + env`);
    expect(r.config).toMatchObject({ collector_url: 'http://127.0.0.1:8080', team: 'Override Team', intervals: { processes: 15, usage_logs: 600 }, sensors: { network: false }, limits: { max_cpu_percent: 1.5 }, log_level: 'warn' });
    expect(r.issues).toEqual([{ path: '', message: 'environment variable AISCOUT_NOT_A_SETTING matches no setting (ignored)', severity: 'warning', source: 'env' }]);
  });

  it('AISCOUT_CONFIG names the file and replaces the search; a missing one is an error', async () => {
    const r = await linux([join(fixtures, 'agent.json')], { AISCOUT_CONFIG: join(fixtures, 'agent.yaml') });
    expect(r.config?.team).toBe('Data Science');
    const missing = await linux([join(fixtures, 'agent.json')], { AISCOUT_CONFIG: join(dir, 'nope.yaml') });
    // The first load was good, so the agent keeps running on it.
    expect(missing).toMatchObject({ fromLastGood: true, config: { team: 'Data Science' } });
    expect(errors(missing).map((i) => i.message)).toContain('AISCOUT_CONFIG names a file that does not exist');
  });

  it('a value that does not convert is reported by its setting path', async () => {
    const r = await linux([join(fixtures, 'agent.json')], { AISCOUT_WINDOW_SECONDS: 'five minutes', AISCOUT_SENSORS_PROCESSES: 'perhaps' });
    expect(paths(r)).toEqual(['sensors.processes', 'window_seconds']);
  });
});

describe('invalid configuration', () => {
  it('gives one message per problem, with its path, and no half configuration', async () => {
    const r = await linux([join(fixtures, 'invalid.yaml')]);
    expect(r.config).toBeNull();
    expect(paths(r)).toEqual(['enrollment_secret', 'intervals.heartbeat', 'intervals.processes', 'limits.max_cpu_percent', 'log_level', 'privacy.hostname', 'sensors.network', 'spool.max_bytes']);
    expect(r.issues.find((i) => i.path === 'log_level')?.message).toBe('must be one of: fatal, error, warn, info, debug, trace');
    expect(r.issues.find((i) => i.path === 'colector_url')).toMatchObject({ severity: 'warning', message: 'is not a known setting (ignored)' });
  });

  it('checks rules across settings once the types are right', async () => {
    const file = join(dir, 'rules.json');
    await writeFile(
      file,
      JSON.stringify({
        collector_url: 'http://collector.example.com',
        enrollment_secret: 'inline-secret-1',
        enrollment_secret_file: '/etc/aiscout/secret',
        client_cert_file: '/etc/aiscout/client.pem',
        privacy: { pseudonymize_users: true },
        ca_file: 'relative/ca.pem',
      }),
    );
    const r = await linux([file]);
    expect(r.config).toBeNull();
    expect(formatIssues(r.issues).sort()).toEqual(
      [
        'error: ca_file must be an absolute path',
        'error: client_key_file is required when the other half of the client certificate pair is set',
        'error: collector_url must use https (http is allowed only for a loopback address)',
        'error: enrollment_secret is set together with enrollment_secret_file: set only one',
        'error: privacy.pseudonym_key is required when pseudonymize_users is on or hostname is "hash" (or pseudonym_key_file)',
      ].sort(),
    );
  });

  it('reads secrets from files and reports unreadable ones without their content', async () => {
    const secret = join(dir, 'enroll.secret');
    const key = join(dir, 'pseudonym.key');
    await writeFile(secret, 'file-enroll-secret-0006\n');
    await writeFile(key, 'short\n');
    const file = join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ collector_url: 'https://c.example', enrollment_secret_file: secret, privacy: { pseudonymize_users: true, pseudonym_key_file: key }, ca_file: join(dir, 'missing-ca.pem') }));
    const r = await linux([file]);
    expect(r.config).toBeNull();
    expect(formatIssues(r.issues).sort()).toEqual(['error: ca_file cannot be read (ENOENT)', 'error: privacy.pseudonym_key_file names a file holding fewer than 16 characters']);

    await writeFile(key, 'a-long-enough-pseudonym-key\n');
    await writeFile(join(dir, 'missing-ca.pem'), 'pem');
    const ok = await linux([file]);
    expect(ok.issues).toEqual([]);
    expect(ok.config).toMatchObject({ enrollment_secret: 'file-enroll-secret-0006', privacy: { pseudonym_key: 'a-long-enough-pseudonym-key' } });
    expect(ok.config).not.toHaveProperty('enrollment_secret_file');
  });

  it('never puts a secret into a message', async () => {
    const file = join(dir, 's.json');
    const marker = 'SECRET-MARKER-7f3a9';
    await writeFile(file, `{"collector_url": "https://user:${marker}@c.example", "enrollment_secret": "${marker}", "privacy": {"pseudonym_key": 42}, "team": ["${marker}"], "bad": "${marker}`);
    const broken = await linux([file]);
    await writeFile(file, JSON.stringify({ collector_url: `https://user:${marker}@c.example`, enrollment_secret: { v: marker }, privacy: { pseudonym_key: marker.slice(0, 3) }, team: [marker], log_level: marker }));
    const invalid = await linux([file]);
    await writeFile(join(dir, 's.yaml'), `collector_url: https://c.example\nenrollment_secret: ${marker}\n  bad: [${marker}\n`);
    const yaml = await linux([join(dir, 's.yaml')]);
    for (const r of [broken, invalid, yaml]) {
      expect(errors(r).length).toBeGreaterThan(0);
      expect(JSON.stringify(r.issues)).not.toContain(marker);
      expect(formatIssues(r.issues).join('\n')).not.toContain(marker);
    }
    expect(broken.issues[0]?.message).toMatch(/is not valid JSON \(at line 1, column \d+\)/);
    expect(yaml.issues[0]?.message).toMatch(/is not valid YAML \(\w+ at line \d+, column \d+\)/);
  });
});

describe('last good configuration', () => {
  it('is saved 0600 after a good load and returned, with the issues, after a bad one', async () => {
    const file = join(dir, 'agent.yaml');
    await copyFile(join(fixtures, 'agent.yaml'), file);
    const good = await linux([file], { AISCOUT_STATE_DIR: join(dir, 'state') });
    expect(good.issues).toEqual([]);
    const saved = join(dir, 'state', 'last-good-config.json');
    expect((await stat(saved)).mode & 0o777).toBe(0o600);

    await copyFile(join(fixtures, 'invalid.yaml'), file);
    const bad = await linux([file], { AISCOUT_STATE_DIR: join(dir, 'state') });
    expect(bad.fromLastGood).toBe(true);
    expect(bad.config).toEqual(good.config);
    expect(bad.source).toBe(`last-good:file:${file} + env`);
    expect(errors(bad).length).toBe(8);
    // The bad load did not replace what was saved.
    expect(JSON.parse(await readFile(saved, 'utf8')).config).toEqual(good.config);
  });

  it('without one, an invalid configuration gives null: the agent must refuse to start', async () => {
    const r = await linux([join(fixtures, 'invalid.yaml')]);
    expect(r).toMatchObject({ config: null, fromLastGood: false });
  });

  it('a failed save is a warning, not a failure', async () => {
    // A path below a regular file cannot be created, for root too.
    await writeFile(join(dir, 'blocker'), '');
    const r = await linux([join(fixtures, 'agent.json')], {}, { lastGoodPath: join(dir, 'blocker', 'last-good.json') });
    expect(r.config).not.toBeNull();
    expect(r.issues).toEqual([{ path: '', message: expect.stringMatching(/^last good configuration not saved \((EEXIST|ENOTDIR)\)$/), severity: 'warning' }]);
  });
});

describe('hostile input', () => {
  it('a huge file is refused without being parsed', async () => {
    const file = join(dir, 'huge.json');
    await writeFile(file, `{"team": "${'x'.repeat(2 * 1024 * 1024)}"}`);
    const r = await linux([file]);
    expect(r.config).toBeNull();
    expect(errors(r)[0]?.message).toBe(`${file} is larger than 1048576 bytes`);
  });

  it('deep nesting is an error, not a stack overflow', async () => {
    for (const [name, text] of [
      ['deep.json', `{"team": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
      ['deep2.json', `{"intervals": ${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`],
      ['deep.yaml', `team: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`],
    ] as const) {
      const file = join(dir, name);
      await writeFile(file, text);
      const r = await linux([file]);
      expect(r.config, name).toBeNull();
      // The file's problem alone: not a cascade of "collector_url is required".
      expect(errors(r), name).toHaveLength(1);
      expect(errors(r)[0]?.message, name).toMatch(/nested deeper than 32 levels|RESOURCE_EXHAUSTION|could not be parsed/);
    }
  });

  it('"__proto__" and "constructor" keys are reported as unknown and pollute nothing', async () => {
    const file = join(dir, 'proto.json');
    await writeFile(file, '{"collector_url":"https://c.example","enrollment_secret":"abcdefgh1","__proto__":{"polluted":true},"limits":{"constructor":{"prototype":{"x":1}}}}');
    const r = await linux([file]);
    expect(errors(r)).toEqual([]);
    expect(r.issues.map((i) => i.path).sort()).toEqual(['__proto__', 'limits.constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(r.config)).toBe(Object.prototype);
    const yamlFile = join(dir, 'proto.yaml');
    await writeFile(yamlFile, 'collector_url: https://c.example\nenrollment_secret: abcdefgh1\n__proto__:\n  polluted: true\n');
    const y = await linux([yamlFile]);
    expect(y.config).not.toBeNull();
    expect(y.issues.map((i) => i.path)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('YAML alias bombs and duplicate keys are errors', async () => {
    const bomb = join(dir, 'bomb.yaml');
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    await writeFile(bomb, `collector_url: https://c.example\nenrollment_secret: abcdefgh1\n${lines.join('\n')}\n`);
    expect((await linux([bomb])).config).toBeNull();
    const dup = join(dir, 'dup.yaml');
    await writeFile(dup, 'collector_url: https://c.example\ncollector_url: https://d.example\n');
    expect(errors(await linux([dup]))[0]?.message).toMatch(/DUPLICATE_KEY/);
  });

  it('a broken first file is an error; the loader does not quietly fall through to the next', async () => {
    const file = join(dir, 'agent.json');
    await writeFile(file, '{"collector_url": ');
    const r = await linux([file, join(fixtures, 'agent.yaml')]);
    expect(r.config).toBeNull();
    expect(errors(r)[0]?.source).toBe(file);
  });

  it('registry output that cannot be parsed, or a reg failure, is an error', async () => {
    const r = await loadAgentConfig({ platform: 'win32', env: {}, paths: { files: [] }, runRegQuery: async () => 'garbage\r\n', lastGoodPath: join(dir, 'lg.json') });
    expect(r.config).toBeNull();
    expect(errors(r).map((i) => i.message)).toContain('reg query: unrecognized line in output');
    const failing = await loadAgentConfig({ platform: 'win32', env: {}, paths: { files: [] }, runRegQuery: async () => Promise.reject(new Error('boom')), lastGoodPath: join(dir, 'lg.json') });
    expect(errors(failing)[0]?.message).toBe('reading HKLM\\SOFTWARE\\Policies\\aiscout failed');
  });
});

describe('docs/agent-config.md', () => {
  it('lists every setting with its schema default and environment variable, and nothing else', async () => {
    const doc = await readFile(resolve(fixtures, '../../../../docs/agent-config.md'), 'utf8');
    const rows = new Map<string, { def: string; env: string }>();
    for (const m of doc.matchAll(/^\| `([a-z_.]+)` \| [^|]+ \| ([^|]+) \| `(AISCOUT_[A-Z_]+)` \|/gm)) {
      rows.set(m[1] as string, { def: (m[2] as string).trim(), env: m[3] as string });
    }
    const expected = new Map([...ENV_VARIABLES].map(([env, path]) => [path.join('.'), env]));
    expect([...rows.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [path, row] of rows) {
      expect(row.env, path).toBe(expected.get(path));
      let node = AgentConfigSchema as unknown as { properties?: Record<string, unknown>; default?: unknown };
      for (const key of path.split('.')) node = node.properties?.[key] as typeof node;
      if (node.default !== undefined) expect(row.def, path).toBe(`\`${String(node.default)}\``);
      else expect(row.def.startsWith('`'), `${path} has no default in the schema`).toBe(false);
    }
  });
});
