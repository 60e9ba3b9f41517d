import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPolicyTeams, diffPolicy, loadPolicy, parseExpiry, parsePolicy, type ConfigIssue, type Policy } from '../src/policy/index.js';

const fixture = (name: string): string => join(import.meta.dirname, 'fixtures/policy', name);
const KNOWN = new Set(['github-copilot', 'chatgpt', 'claude-code', 'lm-studio', 'cursor', 'ollama', 'constructor']);
const CATEGORIES = new Map([
  ['github-copilot', 'coding-assistant'],
  ['chatgpt', 'chat-web'],
  ['claude-code', 'agent-cli'],
  ['lm-studio', 'local-llm'],
  ['ollama', 'local-llm'],
  ['cursor', 'ai-ide'],
]);
const NOW = new Date('2026-11-22T00:00:00Z');
const tmp = mkdtempSync(join(tmpdir(), 'aiscout-policy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function load(name: string): { policy: Policy | null; issues: ConfigIssue[] } {
  return loadPolicy(fixture(name), KNOWN, { toolCategories: CATEGORIES, now: NOW });
}
function valid(): Policy {
  const { policy, issues } = load('valid.yaml');
  expect(issues).toEqual([]);
  if (!policy) throw new Error('valid.yaml did not load');
  return policy;
}
const codes = (issues: ConfigIssue[]): [string, number | null][] => issues.map((i) => [i.code, i.line]);

describe('loadPolicy: a valid file', () => {
  it('loads every rule as written, globals first', () => {
    const policy = valid();
    expect(policy.defaultState).toBe('unapproved');
    expect(policy.teams()).toEqual(['Finance', 'Research']);
    expect(policy.rows()).toEqual([
      { tool: 'category:local-llm', team: '', state: 'tolerated', reason: '', expires: null, kind: 'category' },
      { tool: 'chatgpt', team: '', state: 'tolerated', reason: '', expires: null, kind: 'tool' },
      { tool: 'claude-code', team: '', state: 'approved', reason: 'Pilot, contract SEC-204', expires: '2027-03-31', kind: 'tool' },
      { tool: 'github-copilot', team: '', state: 'approved', reason: 'Enterprise contract SEC-101', expires: null, kind: 'tool' },
      { tool: 'lm-studio', team: '', state: 'unapproved', reason: '', expires: null, kind: 'tool' },
      { tool: 'category:chat-web', team: 'Finance', state: 'unapproved', reason: 'Handles customer data', expires: null, kind: 'category' },
      { tool: 'chatgpt', team: 'Finance', state: 'approved', reason: 'Exception for the audit, SEC-311', expires: '2027-01-15T12:00:00Z', kind: 'tool' },
      { tool: 'category:local-llm', team: 'Research', state: 'approved', reason: '', expires: null, kind: 'category' },
      { tool: 'claude-code', team: 'Research', state: 'approved', reason: 'Research keeps access after the pilot', expires: null, kind: 'tool' },
    ]);
  });

  it('treats no file as an empty policy where everything is unapproved', () => {
    const { policy, issues } = loadPolicy(null, KNOWN);
    expect(issues).toEqual([]);
    expect(policy?.decide('github-copilot', 'Research', NOW)).toEqual({ state: 'unapproved', reason: null, expires: null, scope: 'default', rule: 'default' });
    expect(policy?.rows()).toEqual([]);
  });

  it('shares a rule through a YAML anchor', () => {
    const { policy, issues } = load('aliases.yaml');
    expect(issues).toEqual([]);
    expect(policy?.decide('cursor', 'Platform', NOW)).toMatchObject({ state: 'approved', reason: 'Cursor pilot', expires: '2027-06-30', scope: 'team' });
  });
});

describe('decide: precedence', () => {
  const at = new Date('2026-12-01T10:00:00Z');

  it('uses the global tool rule, then the global category rule, then the default', () => {
    const policy = valid();
    expect(policy.decide('github-copilot', null, at)).toEqual({ state: 'approved', reason: 'Enterprise contract SEC-101', expires: null, scope: 'global', rule: 'tools.github-copilot' });
    expect(policy.decide('ollama', null, at)).toEqual({ state: 'tolerated', reason: null, expires: null, scope: 'global', rule: 'categories.local-llm' });
    expect(policy.decide('cursor', null, at)).toEqual({ state: 'unapproved', reason: null, expires: null, scope: 'default', rule: 'default' });
  });

  it('lets a tool rule beat its category rule in the same layer', () => {
    expect(valid().decide('lm-studio', null, at)).toMatchObject({ state: 'unapproved', scope: 'global', rule: 'tools.lm-studio' });
  });

  it('lets a team beat global, even a team category rule over a global tool rule', () => {
    const policy = valid();
    expect(policy.decide('lm-studio', 'Research', at)).toMatchObject({ state: 'approved', scope: 'team', rule: 'teams.Research.categories.local-llm' });
    expect(policy.decide('chatgpt', 'Finance', at)).toMatchObject({ state: 'approved', scope: 'team', rule: 'teams.Finance.tools.chatgpt' });
    // Finance's chat-web ban beats the global "chatgpt: tolerated" once its own exception is gone.
    expect(policy.decide('chatgpt', 'Research', at)).toMatchObject({ state: 'tolerated', scope: 'global' });
  });

  it('applies the global rules to an unknown or absent team', () => {
    const policy = valid();
    expect(policy.decide('ollama', 'Marketing', at)).toMatchObject({ state: 'tolerated', scope: 'global' });
    expect(policy.decide('ollama', null, at)).toMatchObject({ state: 'tolerated', scope: 'global' });
  });

  it('ignores category rules when the catalog categories are not given', () => {
    const { policy } = loadPolicy(fixture('valid.yaml'), KNOWN, { now: NOW });
    expect(policy?.decide('ollama', 'Research', at)).toMatchObject({ state: 'unapproved', scope: 'default' });
  });

  it('uses the org default tolerated when the file says so', () => {
    const { policy } = load('warnings.yaml');
    expect(policy?.defaultState).toBe('tolerated');
    expect(policy?.decide('ollama', null, at)).toMatchObject({ state: 'tolerated', scope: 'default' });
  });
});

describe('decide: expiry', () => {
  it('keeps a date exception through the end of that day UTC and drops it at midnight', () => {
    const policy = valid();
    expect(policy.decide('claude-code', null, new Date('2027-03-31T23:59:59.999Z'))).toMatchObject({ state: 'approved', scope: 'global', expires: '2027-03-31' });
    expect(policy.decide('claude-code', null, new Date('2027-04-01T00:00:00.000Z'))).toEqual({
      state: 'unapproved',
      reason: 'exception tools.claude-code (approved) expired 2027-03-31',
      expires: null,
      scope: 'default',
      rule: 'default',
    });
  });

  it('keeps a timestamp exception until that exact instant, then falls back to the next rule', () => {
    const policy = valid();
    expect(policy.decide('chatgpt', 'Finance', new Date('2027-01-15T11:59:59.999Z'))).toMatchObject({ state: 'approved', scope: 'team' });
    expect(policy.decide('chatgpt', 'Finance', new Date('2027-01-15T12:00:00.000Z'))).toEqual({
      state: 'unapproved',
      reason: 'Handles customer data (exception teams.Finance.tools.chatgpt (approved) expired 2027-01-15T12:00:00Z)',
      expires: null,
      scope: 'team',
      rule: 'teams.Finance.categories.chat-web',
    });
  });

  it('does not affect a team rule without expiry', () => {
    expect(valid().decide('claude-code', 'Research', new Date('2030-01-01T00:00:00Z'))).toMatchObject({ state: 'approved', scope: 'team' });
  });

  it('treats an invalid date as expired (the stricter answer)', () => {
    expect(valid().decide('claude-code', null, new Date('not a date'))).toMatchObject({ state: 'unapproved', scope: 'default' });
  });

  it('parses dates strictly', () => {
    expect(parseExpiry('2027-03-31')).toBe(Date.UTC(2027, 3, 1));
    expect(parseExpiry('2028-02-29')).toBe(Date.UTC(2028, 2, 1));
    expect(parseExpiry('2027-02-29')).toBeNull();
    expect(parseExpiry('2027-01-15T12:00:00Z')).toBe(Date.UTC(2027, 0, 15, 12));
    expect(parseExpiry('2027-01-15T14:00+02:00')).toBe(Date.UTC(2027, 0, 15, 12));
    expect(parseExpiry('2027-01-15T12:00:00')).toBeNull(); // no offset: ambiguous
    expect(parseExpiry('2027-01-15T24:00:00Z')).toBeNull();
    expect(parseExpiry('31/12/2027')).toBeNull();
    expect(parseExpiry('')).toBeNull();
  });
});

describe('loadPolicy: validation', () => {
  it('reports every problem of a broken file with its line, and loads nothing', () => {
    const { policy, issues } = load('broken.yaml');
    expect(policy).toBeNull();
    expect(codes(issues)).toEqual([
      ['POLICY_BAD_VERSION', 1],
      ['POLICY_BAD_DEFAULT', 2],
      ['POLICY_BAD_STATE', 4],
      ['POLICY_BAD_DATE', 7],
      ['POLICY_UNKNOWN_KEY', 8],
      ['POLICY_MISSING_STATE', 10],
      ['POLICY_BAD_TOOL_ID', 11],
      ['POLICY_BAD_REASON', 14],
      ['POLICY_UNKNOWN_KEY', 15],
      ['POLICY_UNKNOWN_KEY', 18],
      ['POLICY_BAD_TEAM', 19],
      ['POLICY_BAD_DATE', 25],
      ['POLICY_BAD_TYPE', 26],
    ]);
    expect(issues.every((i) => i.severity === 'error' && i.file === fixture('broken.yaml'))).toBe(true);
    expect(issues[2]?.message).toContain('"allowed"');
    expect(issues[9]?.message).toContain('teams.Platform.tools');
  });

  it('loads a file with only warnings: unknown tool ids, unknown categories, expired exceptions', () => {
    const { policy, issues } = load('warnings.yaml');
    expect(policy).not.toBeNull();
    expect(issues.map((i) => [i.code, i.line, i.severity])).toEqual([
      ['POLICY_UNKNOWN_TOOL', 5, 'warning'],
      ['POLICY_EXPIRED', 10, 'warning'],
      ['POLICY_UNKNOWN_CATEGORY', 12, 'warning'],
    ]);
    // The rule for a tool the catalog does not know yet is kept: it applies once the tool exists.
    expect(policy?.decide('no-such-tool', null, NOW)).toMatchObject({ state: 'approved' });
  });

  it('reports duplicate keys', () => {
    const { policy, issues } = load('duplicate-keys.yaml');
    expect(policy).toBeNull();
    expect(codes(issues)).toEqual([['POLICY_DUPLICATE_KEY', 5]]);
  });

  it('reports YAML syntax errors with their line', () => {
    const { policy, issues } = load('syntax-error.yaml');
    expect(policy).toBeNull();
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => i.code === 'POLICY_YAML_SYNTAX' && i.line === 3)).toBe(true);
  });

  it('requires a mapping with a version', () => {
    expect(codes(load('not-a-mapping.yaml').issues)).toEqual([['POLICY_BAD_TYPE', 1]]);
    expect(codes(load('empty.yaml').issues)).toEqual([['POLICY_BAD_TYPE', null]]);
    expect(codes(parsePolicy('tools:\n  cursor: approved\n', 'p.yaml', KNOWN).issues)).toEqual([['POLICY_MISSING_VERSION', 1]]);
    expect(codes(parsePolicy('version: "1"\n', 'p.yaml', KNOWN).issues)).toEqual([['POLICY_BAD_VERSION', 1]]);
  });

  it('reports non-string keys and non-string states', () => {
    const { issues } = parsePolicy('version: 1\ntools:\n  [a]: approved\n  cursor: true\n', 'p.yaml', KNOWN);
    expect(codes(issues)).toEqual([['POLICY_BAD_KEY', 3], ['POLICY_BAD_STATE', 4]]);
    expect(issues[1]?.message).toContain('found true');
  });

  it('reports an unreadable file, a folder and invalid UTF-8 without throwing', () => {
    expect(codes(loadPolicy(join(tmp, 'missing.yaml'), KNOWN).issues)).toEqual([['POLICY_READ_FAILED', null]]);
    expect(codes(loadPolicy(tmp, KNOWN).issues)).toEqual([['POLICY_READ_FAILED', null]]);
    const latin1 = join(tmp, 'latin1.yaml');
    writeFileSync(latin1, Buffer.from('version: 1\ntools:\n  cursor:\n    state: approved\n    reason: "Gr\xfc\xdfe"\n', 'latin1'));
    expect(codes(loadPolicy(latin1, KNOWN).issues)).toEqual([['POLICY_ENCODING', null]]);
  });

  it('accepts a BOM and CRLF line ends', () => {
    const file = join(tmp, 'windows.yaml');
    writeFileSync(file, '\uFEFFversion: 1\r\ntools:\r\n  cursor: approved\r\n  chatgpt: [x]\r\n');
    expect(codes(loadPolicy(file, KNOWN).issues)).toEqual([['POLICY_BAD_STATE', 4]]);
  });
});

describe('loadPolicy: hostile input', () => {
  it('refuses a file over the size cap before parsing it', () => {
    const file = join(tmp, 'huge.yaml');
    writeFileSync(file, `version: 1\n# ${'x'.repeat(1024 * 1024)}\n`);
    expect(codes(loadPolicy(file, KNOWN).issues)).toEqual([['POLICY_TOO_LARGE', null]]);
    expect(codes(parsePolicy(`version: 1\n# ${'x'.repeat(1024 * 1024)}\n`, 'p.yaml', KNOWN).issues)).toEqual([['POLICY_TOO_LARGE', null]]);
  });

  it('reports deeply nested YAML instead of overflowing the stack', () => {
    const deep = `version: 1\ntools: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    const { policy, issues } = parsePolicy(deep, 'deep.yaml', KNOWN);
    expect(policy).toBeNull();
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]?.code).toBe('POLICY_YAML_SYNTAX');
  });

  it('does not expand an alias bomb', () => {
    const { policy, issues } = load('alias-bomb.yaml');
    expect(policy).toBeNull();
    expect(issues.at(-1)).toMatchObject({ code: 'POLICY_BAD_TYPE', line: 8 });
  });

  it('stops following aliases past the limit', () => {
    const { policy, issues } = load('alias-many.yaml');
    expect(policy).toBeNull();
    expect(issues.filter((i) => i.severity === 'error').map((i) => [i.code, i.line])).toEqual([
      ['POLICY_UNKNOWN_KEY', 2],
      ['POLICY_ALIAS_LIMIT', 104],
    ]);
  });

  it('treats __proto__ and constructor as names, never touching Object.prototype', () => {
    const { policy, issues } = load('proto.yaml');
    expect(policy).toBeNull();
    expect(codes(issues)).toEqual([['POLICY_BAD_TOOL_ID', 3], ['POLICY_BAD_TEAM', 6]]);
    expect(Object.prototype).not.toHaveProperty('cursor');
    // "constructor" is a valid team name and tool id: it behaves like any other.
    const ok = parsePolicy('version: 1\nteams:\n  constructor:\n    tools:\n      constructor: approved\n', 'p.yaml', KNOWN);
    expect(ok.issues).toEqual([]);
    expect(ok.policy?.decide('constructor', 'constructor', NOW)).toMatchObject({ state: 'approved', scope: 'team' });
    expect(ok.policy?.decide('toString', 'hasOwnProperty', NOW)).toMatchObject({ state: 'unapproved', scope: 'default' });
  });

  it('caps the number of issues a file can produce', () => {
    const lines = ['version: 1', 'tools:', ...Array.from({ length: 500 }, (_, i) => `  tool-${i}: maybe`)];
    const { issues } = parsePolicy(lines.join('\n'), 'p.yaml', KNOWN);
    expect(issues).toHaveLength(201);
    expect(issues.at(-1)).toMatchObject({ code: 'POLICY_TOO_MANY_ISSUES', severity: 'error' });
  });
});

describe('diffPolicy and checkPolicyTeams', () => {
  it('describes added, removed and changed rules, one line each', () => {
    const before = valid();
    const changed = `version: 1
default: tolerated
categories:
  local-llm: tolerated
tools:
  github-copilot:
    state: approved
    reason: Enterprise contract SEC-101
  chatgpt: unapproved
  claude-code:
    state: approved
    reason: Pilot, contract SEC-204
    expires: 2027-06-30
teams:
  Research:
    categories:
      local-llm: approved
    tools:
      claude-code:
        state: approved
        reason: Research keeps access after the pilot
  Platform:
    tools:
      cursor:
        state: approved
        reason: Cursor pilot
        expires: 2027-02-28
`;
    const { policy: after, issues } = parsePolicy(changed, 'policy.yaml', KNOWN, { toolCategories: CATEGORIES, now: NOW });
    expect(issues).toEqual([]);
    if (!after) throw new Error('did not load');
    expect(diffPolicy(before, after)).toEqual([
      '~ default: unapproved → tolerated',
      '~ tool chatgpt globally: tolerated → unapproved',
      '~ tool claude-code globally: expires 2027-03-31 → 2027-06-30',
      '- tool lm-studio globally (was unapproved)',
      '- category chat-web for team Finance (was unapproved, reason: Handles customer data)',
      '- tool chatgpt for team Finance (was approved until 2027-01-15T12:00:00Z, reason: Exception for the audit, SEC-311)',
      '+ tool cursor approved for team Platform until 2027-02-28, reason: Cursor pilot',
    ]);
    expect(diffPolicy(before, before)).toEqual([]);
  });

  it('warns about policy teams the directory does not know', () => {
    expect(checkPolicyTeams(valid(), ['Research', 'Platform'], 'policy.yaml')).toEqual([
      { code: 'POLICY_UNKNOWN_TEAM', file: 'policy.yaml', line: null, message: 'team "Finance" is not in the directory; its rules apply to no one', severity: 'warning' },
    ]);
  });
});
