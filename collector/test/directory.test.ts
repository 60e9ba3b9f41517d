import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffDirectory, loadDirectory, parseDirectory, pseudonymize, type ConfigIssue, type Directory } from '../src/directory/index.js';

const fixture = (name: string): string => join(import.meta.dirname, 'fixtures/directory', name);
const KEY = 'aiscout-test-key-0001';
const tmp = mkdtempSync(join(tmpdir(), 'aiscout-directory-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const codes = (issues: ConfigIssue[]): [string, number | null][] => issues.map((i) => [i.code, i.line]);
function loaded(name: string, opts: { pseudonymKey?: string } = {}): Directory {
  const { directory, issues } = loadDirectory(fixture(name), opts);
  expect(issues).toEqual([]);
  if (!directory) throw new Error(`${name} did not load`);
  return directory;
}

describe('pseudonymize', () => {
  it('is p: + the first 32 hex digits of HMAC-SHA256(key, account name)', () => {
    const expected = `p:${createHmac('sha256', KEY).update('alice').digest('hex').slice(0, 32)}`;
    expect(pseudonymize(KEY, 'alice')).toBe(expected);
    expect(pseudonymize(KEY, 'CORP\\Alice')).toBe(expected);
    expect(pseudonymize(KEY, ' alice@corp.example ')).toBe(expected);
    expect(expected).toBe('p:1f561d31ef375403cfe6beec3e7f8335'); // test vector quoted in the docs
    expect(pseudonymize('another-key-of-16+', 'alice')).not.toBe(expected);
    expect(pseudonymize(KEY, '   ')).toBeNull();
  });
});

describe('loadDirectory: YAML', () => {
  it('loads teams, managers, time zones, users and hosts', () => {
    const directory = loaded('valid.yaml');
    expect(directory.teams()).toEqual([
      { team: 'Finance', managers: ['fiona@corp.example'], timezone: 'UTC' },
      { team: 'Platform', managers: ['Ops-Head@corp.example', 'dana.lead@corp.example'], timezone: 'Europe/Berlin' },
      { team: 'Research', managers: ['rick@corp.example'], timezone: 'America/New_York' },
    ]);
    expect(directory.managers('Platform')).toEqual(['Ops-Head@corp.example', 'dana.lead@corp.example']);
    expect(directory.managers('Nobody')).toEqual([]);
    expect(directory.rows()).toEqual([
      { kind: 'host', key: 'build-01.corp.example', team: 'Platform' },
      { kind: 'host', key: 'ci-runner', team: 'Platform' },
      { kind: 'host', key: 'lab-gpu-02', team: 'Research' },
      { kind: 'host', key: 'ledger-01', team: 'Finance' },
      { kind: 'user', key: 'alice', team: 'Platform' },
      { kind: 'user', key: 'bob', team: 'Platform' },
      { kind: 'user', key: 'carol', team: 'Platform' },
      { kind: 'user', key: 'erin', team: 'Research' },
      { kind: 'user', key: 'frank', team: 'Finance' },
      { kind: 'user', key: 'grace', team: 'Research' },
    ]);
  });

  it('looks users up case-insensitively in DOMAIN\\user and user@domain forms, then hosts', () => {
    const d = loaded('valid.yaml');
    expect(d.teamOf('ALICE', null)).toBe('Platform');
    expect(d.teamOf('CORP\\Alice', null)).toBe('Platform');
    expect(d.teamOf('alice@other.example', null)).toBe('Platform');
    expect(d.teamOf('bob', null)).toBe('Platform');
    expect(d.teamOf('grace', null)).toBe('Research');
    expect(d.teamOf('erin', 'ledger-01')).toBe('Research'); // the user wins over the host
    expect(d.teamOf('unknown', 'LEDGER-01.')).toBe('Finance');
    expect(d.teamOf(null, 'ci-runner.corp.example')).toBe('Platform'); // short name of an FQDN
    expect(d.teamOf(null, 'build-01')).toBeNull(); // an FQDN entry does not match a bare short name
    expect(d.teamOf('unknown', 'unknown-host')).toBeNull();
    expect(d.teamOf(null, null)).toBeNull();
    expect(d.teamOf('', '')).toBeNull();
  });

  it('reports every problem of a broken file with its line', () => {
    const { directory, issues } = loadDirectory(fixture('broken.yaml'));
    expect(directory).toBeNull();
    expect(codes(issues)).toEqual([
      ['DIRECTORY_BAD_EMAIL', 4],
      ['DIRECTORY_BAD_TIMEZONE', 5],
      ['DIRECTORY_BAD_TYPE', 6],
      ['DIRECTORY_UNKNOWN_KEY', 7],
      ['DIRECTORY_USER_IN_TWO_TEAMS', 9],
      ['DIRECTORY_BAD_TEAM', 10],
      ['DIRECTORY_BAD_TYPE', 12],
      ['DIRECTORY_UNKNOWN_KEY', 17],
      ['DIRECTORY_UNKNOWN_TEAM', 14],
      ['DIRECTORY_BAD_HOST', 16],
    ]);
    expect(issues[4]?.message).toBe('user alice is in team Platform (line 6) and in team Research here');
    expect(Object.prototype).not.toHaveProperty('users');
  });

  it('requires version: 1 and warns about a team without managers', () => {
    expect(codes(loadDirectory(fixture('no-version.yaml')).issues)).toEqual([['DIRECTORY_MISSING_VERSION', 1]]);
    const { directory, issues } = parseDirectory('version: 1\nteams:\n  Ops:\n    users: [olga]\n', 'd.yaml', 'yaml');
    expect(issues.map((i) => [i.code, i.line, i.severity])).toEqual([['DIRECTORY_NO_MANAGER', 3, 'warning']]);
    expect(directory?.teamOf('olga', null)).toBe('Ops');
  });

  it('reports duplicate keys and syntax errors', () => {
    expect(codes(parseDirectory('version: 1\nteams: {}\nteams: {}\n', 'd.yaml', 'yaml').issues)).toEqual([['DIRECTORY_DUPLICATE_KEY', 3]]);
    expect(parseDirectory('version: 1\nteams: [\n', 'd.yaml', 'yaml').issues.every((i) => i.code === 'DIRECTORY_YAML_SYNTAX')).toBe(true);
  });
});

describe('loadDirectory: CSV', () => {
  it('reads a BOM, CRLF, comments, blank lines, quotes and escaped quotes', () => {
    const d = loaded('valid.csv');
    expect(d.teams()).toEqual([
      { team: 'Finance', managers: ['fiona@corp.example'], timezone: 'UTC' },
      { team: 'Platform', managers: ['dana.lead@corp.example', 'ops-head@corp.example'], timezone: 'Europe/Berlin' },
      { team: 'Research', managers: ['rick@corp.example'], timezone: 'America/New_York' },
    ]);
    expect(d.rows().map((r) => `${r.kind}:${r.key}:${r.team}`)).toEqual([
      'host:build-01.corp.example:Platform',
      'user:alice:Platform',
      'user:bob:Platform',
      'user:erin:Research',
      "user:o'brien, pat:Research",
      'user:pat "pj" lee:Research',
    ]);
    expect(d.teamOf('CORP\\BOB', null)).toBe('Platform');
    expect(d.teamOf("O'Brien, Pat", null)).toBe('Research');
  });

  it('reports every problem of a broken file with its line', () => {
    const { directory, issues } = loadDirectory(fixture('broken.csv'));
    expect(directory).toBeNull();
    expect(codes(issues)).toEqual([
      ['DIRECTORY_BAD_EMAIL', 2],
      ['DIRECTORY_BAD_TIMEZONE', 3],
      ['DIRECTORY_USER_IN_TWO_TEAMS', 4],
      ['DIRECTORY_BAD_KIND', 5],
      ['DIRECTORY_BAD_TEAM', 6],
      ['DIRECTORY_CSV_COLUMNS', 7],
      ['DIRECTORY_TIMEZONE_CONFLICT', 8],
      ['DIRECTORY_HOST_IN_TWO_TEAMS', 10],
      ['DIRECTORY_BAD_HOST', 11],
      ['DIRECTORY_BAD_EMAIL', 12],
    ]);
  });

  it('counts lines across a quoted field that spans lines', () => {
    expect(codes(loadDirectory(fixture('multiline.csv')).issues)).toEqual([
      ['DIRECTORY_BAD_USER', 2],
      ['DIRECTORY_BAD_TEAM', 5],
    ]);
  });

  it('reports header problems, an unclosed quote and stray quotes', () => {
    expect(codes(loadDirectory(fixture('bad-header.csv')).issues)).toEqual([
      ['DIRECTORY_CSV_HEADER', 1],
      ['DIRECTORY_CSV_HEADER', 1],
      ['DIRECTORY_CSV_HEADER', 1],
    ]);
    expect(codes(loadDirectory(fixture('unterminated.csv')).issues)).toEqual([['DIRECTORY_CSV_SYNTAX', 3]]);
    expect(codes(parseDirectory('key,team\nal"ice,Ops\n', 'd.csv', 'csv').issues)).toEqual([['DIRECTORY_CSV_SYNTAX', 2]]);
    expect(codes(parseDirectory('key,team\n"alice"x,Ops\n', 'd.csv', 'csv').issues)).toEqual([['DIRECTORY_CSV_SYNTAX', 2]]);
    expect(codes(parseDirectory('# only a comment\n\n', 'd.csv', 'csv').issues)).toEqual([['DIRECTORY_CSV_HEADER', null]]);
    expect(codes(parseDirectory('key,team,key\n', 'd.csv', 'csv').issues)).toEqual([['DIRECTORY_CSV_HEADER', 1]]);
  });

  it('warns about a user listed twice in the same team', () => {
    const { directory, issues } = parseDirectory('key,team,managers\nalice,Ops,o@corp.example\nALICE,Ops,\n', 'd.csv', 'csv');
    expect(issues.map((i) => [i.code, i.line, i.severity])).toEqual([['DIRECTORY_DUPLICATE_USER', 3, 'warning']]);
    expect(directory?.teamOf('alice', null)).toBe('Ops');
  });
});

describe('pseudonymized users', () => {
  it('map to their team when the directory is loaded with the key', () => {
    const d = loaded('valid.yaml', { pseudonymKey: KEY });
    const p = pseudonymize(KEY, 'CORP\\Alice');
    expect(p).toMatch(/^p:[0-9a-f]{32}$/);
    expect(d.teamOf(p, null)).toBe('Platform');
    expect(d.teamOf(p?.toUpperCase().replace('P:', 'p:') ?? null, null)).toBe('Platform');
    expect(d.teamOf(pseudonymize(KEY, 'grace'), null)).toBe('Research');
    expect(d.teamOf(pseudonymize('a-different-key-123', 'grace'), null)).toBeNull();
    expect(d.rows().find((r) => r.key === 'alice')).toEqual({ kind: 'user', key: 'alice', team: 'Platform', pseudonym: p });
  });

  it('do not map without the key', () => {
    expect(loaded('valid.yaml').teamOf(pseudonymize(KEY, 'alice'), null)).toBeNull();
  });

  it('may be listed directly, so the directory holds no clear names', () => {
    const p = pseudonymize(KEY, 'alice') ?? '';
    const { directory, issues } = parseDirectory(`key,team,managers\n${p.toUpperCase().replace('P:', 'p:')},Ops,o@corp.example\n`, 'd.csv', 'csv');
    expect(issues).toEqual([]);
    expect(directory?.teamOf(p, null)).toBe('Ops');
  });

  it('report a user listed by name and by pseudonym in two teams', () => {
    const p = pseudonymize(KEY, 'alice') ?? '';
    const csv = `key,team,managers\nalice,Ops,o@corp.example\n${p},Data,d@corp.example\n`;
    expect(codes(parseDirectory(csv, 'd.csv', 'csv').issues)).toEqual([]);
    expect(codes(parseDirectory(csv, 'd.csv', 'csv', { pseudonymKey: KEY }).issues)).toEqual([['DIRECTORY_USER_IN_TWO_TEAMS', 2]]);
  });

  it('refuse a short key', () => {
    expect(codes(loadDirectory(fixture('valid.yaml'), { pseudonymKey: 'short' }).issues)).toEqual([['DIRECTORY_WEAK_PSEUDONYM_KEY', null]]);
  });
});

describe('loadDirectory: files and hostile input', () => {
  it('treats no file as an empty directory and rejects unknown extensions, missing files and bad UTF-8', () => {
    const empty = loadDirectory(null);
    expect(empty.issues).toEqual([]);
    expect(empty.directory?.teamOf('alice', 'host')).toBeNull();
    expect(empty.directory?.teams()).toEqual([]);
    expect(codes(loadDirectory(join(tmp, 'teams.json')).issues)).toEqual([['DIRECTORY_BAD_FORMAT', null]]);
    expect(codes(loadDirectory(join(tmp, 'missing.csv')).issues)).toEqual([['DIRECTORY_READ_FAILED', null]]);
    const latin1 = join(tmp, 'latin1.csv');
    writeFileSync(latin1, Buffer.from('key,team\nj\xfcrgen,Ops\n', 'latin1'));
    expect(codes(loadDirectory(latin1).issues)).toEqual([['DIRECTORY_ENCODING', null]]);
  });

  it('refuses files over the size cap', () => {
    const big = join(tmp, 'big.yaml');
    writeFileSync(big, `version: 1\n# ${'x'.repeat(4 * 1024 * 1024)}\n`);
    expect(codes(loadDirectory(big).issues)).toEqual([['DIRECTORY_TOO_LARGE', null]]);
    expect(codes(parseDirectory('x'.repeat(32 * 1024 * 1024 + 1), 'd.csv', 'csv').issues)).toEqual([['DIRECTORY_TOO_LARGE', null]]);
  });

  it('survives deep nesting, an alias bomb and __proto__ keys', () => {
    const deep = parseDirectory(`version: 1\nteams: ${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}\n`, 'd.yaml', 'yaml');
    expect(deep.directory).toBeNull();
    expect(deep.issues.length).toBeGreaterThan(0);

    const bomb = [
      'version: 1',
      'x: &a [lol, lol, lol, lol, lol, lol, lol, lol]',
      'y: &b [*a, *a, *a, *a, *a, *a, *a, *a]',
      'z: &c [*b, *b, *b, *b, *b, *b, *b, *b]',
      'teams:',
      '  Ops:',
      '    managers: [o@corp.example]',
      '    users: *c',
    ].join('\n');
    const result = parseDirectory(bomb, 'd.yaml', 'yaml');
    expect(result.directory).toBeNull();
    // One issue per alias in the list (8), not one per expanded leaf (8^3).
    expect(codes(result.issues).filter(([c]) => c !== 'DIRECTORY_UNKNOWN_KEY')).toEqual(Array(8).fill(['DIRECTORY_BAD_TYPE', 3]));

    const many = ['version: 1', 'x: &u someone', 'teams:', '  Ops:', '    managers: [o@corp.example]', `    users: [${Array(150).fill('*u').join(', ')}]`].join('\n');
    const errors = parseDirectory(many, 'd.yaml', 'yaml').issues.filter((i) => i.severity === 'error');
    expect(codes(errors)).toEqual([['DIRECTORY_UNKNOWN_KEY', 2], ['DIRECTORY_ALIAS_LIMIT', 6]]);

    const proto = parseDirectory('version: 1\nteams:\n  Ops:\n    managers: [o@corp.example]\nusers:\n  __proto__: Ops\n  constructor: Ops\n', 'd.yaml', 'yaml');
    expect(proto.issues).toEqual([]);
    expect(proto.directory?.teamOf('__proto__', null)).toBe('Ops');
    expect(proto.directory?.teamOf('toString', null)).toBeNull();
    expect(Object.prototype).not.toHaveProperty('Ops');
  });
});

describe('diffDirectory', () => {
  const before = `version: 1
teams:
  Platform: { managers: [dana@corp.example], timezone: Europe/Berlin, users: [alice, bob], hosts: [build-01] }
  Research: { managers: [rick@corp.example], users: [erin] }
`;
  const after = `version: 1
teams:
  Platform: { managers: [dana@corp.example, ops@corp.example], timezone: Europe/Paris, users: [alice], hosts: [build-01] }
  Data: { managers: [dora@corp.example], users: [bob, zoe] }
`;

  it('names each change on one line', () => {
    const a = parseDirectory(before, 'd.yaml', 'yaml').directory;
    const b = parseDirectory(after, 'd.yaml', 'yaml').directory;
    if (!a || !b) throw new Error('did not load');
    expect(diffDirectory(a, b)).toEqual([
      '+ team Data (managers: dora@corp.example; timezone UTC)',
      '~ team Platform managers: dana@corp.example → dana@corp.example, ops@corp.example',
      '~ team Platform timezone: Europe/Berlin → Europe/Paris',
      '- team Research',
      '~ user bob: Platform → Data',
      '- user erin (was Research)',
      '+ user zoe → Data',
    ]);
    expect(diffDirectory(a, a)).toEqual([]);
  });

  it('names users by pseudonym when loaded with the key, keeping clear names out of the audit trail', () => {
    const a = parseDirectory(before, 'd.yaml', 'yaml', { pseudonymKey: KEY }).directory;
    const b = parseDirectory(after, 'd.yaml', 'yaml', { pseudonymKey: KEY }).directory;
    if (!a || !b) throw new Error('did not load');
    const lines = diffDirectory(a, b).join('\n');
    expect(lines).toContain(`~ user ${pseudonymize(KEY, 'bob')}: Platform → Data`);
    expect(lines).not.toMatch(/\b(bob|erin|zoe)\b/);
  });
});
