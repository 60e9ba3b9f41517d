/** policy.yaml text → a validated PolicySpec, with one coded issue (and its line) per problem. */
import type { Node, YAMLMap } from 'yaml';
import { parseExpiry } from './expiry.js';
import { IssueList, type ConfigIssue } from './issues.js';
import { isTeamName, TOOL_ID } from './names.js';
import { buildPolicy } from './policy.js';
import { POLICY_STATES, type Policy, type PolicyOptions, type PolicyRule, type PolicySpec, type PolicyState, type RuleSet } from './types.js';
import { isMap, isScalar, kindOf, mapEntries, parseYamlTree, stringValue, type YamlTree } from './yaml-tree.js';

export const MAX_POLICY_BYTES = 1024 * 1024;
const MAX_REASON_CHARS = 500;
const TOP_KEYS = ['version', 'default', 'tools', 'categories', 'teams'];
const TEAM_KEYS = ['tools', 'categories'];
const RULE_KEYS = ['state', 'reason', 'expires'];

export function parsePolicy(
  text: string,
  fileName: string,
  knownToolIds: ReadonlySet<string>,
  options: PolicyOptions = {},
): { policy: Policy | null; issues: ConfigIssue[] } {
  const issues = new IssueList(fileName, 'POLICY');
  const spec = parseSpec(text, knownToolIds, options, issues);
  const policy = spec && !issues.hasErrors() ? buildPolicy(spec, options.toolCategories) : null;
  return { policy, issues: issues.result() };
}

function parseSpec(text: string, known: ReadonlySet<string>, options: PolicyOptions, issues: IssueList): PolicySpec | null {
  if (text.length > MAX_POLICY_BYTES) {
    issues.error('TOO_LARGE', null, `policy is ${text.length} characters; the limit is ${MAX_POLICY_BYTES}`);
    return null;
  }
  const tree = parseYamlTree(text.startsWith('\uFEFF') ? text.slice(1) : text, issues);
  if (!tree) return null;
  const root = tree.root;
  if (!isMap(root)) {
    issues.error('BAD_TYPE', tree.lineOf(root), `the policy must be a mapping with version: 1, found ${kindOf(root)}`);
    return null;
  }
  const ctx: Ctx = {
    tree,
    issues,
    known,
    knownCategories: options.toolCategories ? new Set(options.toolCategories.values()) : null,
    now: (options.now ?? new Date()).getTime(),
  };
  const spec: PolicySpec = { defaultState: 'unapproved', global: emptyRuleSet(), teams: new Map() };
  let sawVersion = false;
  for (const [key, value, pair] of entries(ctx, root)) {
    switch (key) {
      case 'version':
        sawVersion = true;
        if (!isScalar(value) || value.value !== 1) {
          issues.error('BAD_VERSION', tree.lineOf(value) ?? tree.lineOf(pair), `version must be 1, found ${describe(value)}`);
        }
        break;
      case 'default': {
        const state = stringValue(value);
        if (state === 'unapproved' || state === 'tolerated') spec.defaultState = state;
        else issues.error('BAD_DEFAULT', tree.lineOf(value) ?? tree.lineOf(pair), `default must be unapproved or tolerated, found ${describe(value)}`);
        break;
      }
      case 'tools':
        parseRules(ctx, value, 'tools', spec.global.tools, 'tools');
        break;
      case 'categories':
        parseRules(ctx, value, 'categories', spec.global.categories, 'categories');
        break;
      case 'teams':
        parseTeams(ctx, value, spec.teams);
        break;
      default:
        issues.error('UNKNOWN_KEY', tree.lineOf(pair), `unknown key "${key}"; expected one of ${TOP_KEYS.join(', ')}`);
    }
  }
  if (!sawVersion) issues.error('MISSING_VERSION', tree.lineOf(root), 'add "version: 1" at the top of the policy');
  return spec;
}

interface Ctx {
  tree: YamlTree;
  issues: IssueList;
  known: ReadonlySet<string>;
  knownCategories: ReadonlySet<string> | null;
  now: number;
}

function emptyRuleSet(): RuleSet {
  return { tools: new Map(), categories: new Map() };
}

function entries(ctx: Ctx, map: YAMLMap): Generator<[string, Node | null, unknown]> {
  return mapEntries(ctx.tree, ctx.issues, map);
}

/** A mapping, or null: an empty section (`tools:`) is allowed and means no rules. */
function mapping(ctx: Ctx, node: Node | null, path: string, anchor: unknown): YAMLMap | null {
  if (node === null || (kindOf(node) === 'empty')) return null;
  if (isMap(node)) return node;
  ctx.issues.error('BAD_TYPE', ctx.tree.lineOf(node) ?? ctx.tree.lineOf(anchor), `${path} must be a mapping, found ${kindOf(node)}`);
  return null;
}

function parseTeams(ctx: Ctx, node: Node | null, teams: Map<string, RuleSet>): void {
  const map = mapping(ctx, node, 'teams', node);
  if (!map) return;
  for (const [team, value, keyNode] of entries(ctx, map)) {
    if (!isTeamName(team)) {
      ctx.issues.error('BAD_TEAM', ctx.tree.lineOf(keyNode), `team name "${clip(team)}" is not valid: letters, digits, space, . _ - (64 at most), starting with a letter or digit`);
      continue;
    }
    const set = emptyRuleSet();
    teams.set(team, set);
    const teamMap = mapping(ctx, value, `teams.${team}`, keyNode);
    if (!teamMap) continue;
    for (const [key, section, sectionKey] of entries(ctx, teamMap)) {
      if (key === 'tools') parseRules(ctx, section, `teams.${team}.tools`, set.tools, 'tools');
      else if (key === 'categories') parseRules(ctx, section, `teams.${team}.categories`, set.categories, 'categories');
      else ctx.issues.error('UNKNOWN_KEY', ctx.tree.lineOf(sectionKey), `unknown key "${clip(key)}" in teams.${team}; expected ${TEAM_KEYS.join(' or ')} (tool rules go under teams.${team}.tools)`);
    }
  }
}

function parseRules(ctx: Ctx, node: Node | null, path: string, into: Map<string, PolicyRule>, kind: 'tools' | 'categories'): void {
  const map = mapping(ctx, node, path, node);
  if (!map) return;
  for (const [id, value, keyNode] of entries(ctx, map)) {
    const line = ctx.tree.lineOf(keyNode);
    if (!TOOL_ID.test(id)) {
      const what = kind === 'tools' ? 'tool id' : 'category';
      ctx.issues.error(kind === 'tools' ? 'BAD_TOOL_ID' : 'BAD_CATEGORY', line, `${what} "${clip(id)}" in ${path} is not valid: lower-case letters, digits and dashes`);
      continue;
    }
    if (kind === 'tools' && !ctx.known.has(id)) {
      // A warning: the catalog changes (a tool renamed or not yet shipped) and the policy must keep loading.
      ctx.issues.warn('UNKNOWN_TOOL', line, `tool "${id}" in ${path} is not in the signature catalog; the rule is kept but matches nothing until a tool has that id`);
    }
    if (kind === 'categories' && ctx.knownCategories && !ctx.knownCategories.has(id)) {
      ctx.issues.warn('UNKNOWN_CATEGORY', line, `category "${id}" in ${path} has no tool in the signature catalog`);
    }
    const rule = parseRule(ctx, value, `${path}.${id}`, keyNode);
    if (rule) into.set(id, rule);
  }
}

/** `approved` (shorthand) or `{ state, reason?, expires? }`. */
function parseRule(ctx: Ctx, node: Node | null, path: string, keyNode: unknown): PolicyRule | null {
  const { tree, issues } = ctx;
  const line = tree.lineOf(node) ?? tree.lineOf(keyNode);
  const shorthand = stringValue(node);
  if (shorthand !== null || !isMap(node)) {
    const state = checkState(ctx, node, path, line);
    return state ? { state, reason: null, expires: null, expiresAt: null } : null;
  }
  let state: PolicyState | null = null;
  let reason: string | null = null;
  let expires: string | null = null;
  let expiresAt: number | null = null;
  let ok = true;
  let sawState = false;
  for (const [key, value, fieldKey] of entries(ctx, node)) {
    const fieldLine = tree.lineOf(value) ?? tree.lineOf(fieldKey);
    if (key === 'state') {
      sawState = true;
      state = checkState(ctx, value, path, fieldLine);
    } else if (key === 'reason') {
      reason = stringValue(value);
      if (reason === null || reason.length > MAX_REASON_CHARS) {
        issues.error('BAD_REASON', fieldLine, `${path}.reason must be text of at most ${MAX_REASON_CHARS} characters`);
        ok = false;
      }
    } else if (key === 'expires') {
      expires = stringValue(value);
      expiresAt = expires === null ? null : parseExpiry(expires);
      if (expires === null || expiresAt === null) {
        issues.error('BAD_DATE', fieldLine, `${path}.expires must be a date (2027-03-31, valid through that day UTC) or a timestamp with offset (2027-03-31T18:00:00Z), found ${describe(value)}`);
        ok = false;
      } else if (expiresAt <= ctx.now) {
        issues.warn('EXPIRED', fieldLine, `${path} expired ${expires}; the next rule applies (remove or renew it)`);
      }
    } else {
      issues.error('UNKNOWN_KEY', tree.lineOf(fieldKey), `unknown key "${clip(key)}" in ${path}; expected ${RULE_KEYS.join(', ')}`);
    }
  }
  if (!sawState) issues.error('MISSING_STATE', line, `${path} needs a state: ${POLICY_STATES.join(', ')}`);
  if (!state || !ok) return null;
  return { state, reason, expires, expiresAt };
}

function checkState(ctx: Ctx, node: Node | null, path: string, line: number | null): PolicyState | null {
  const text = stringValue(node);
  if (text !== null && (POLICY_STATES as readonly string[]).includes(text)) return text as PolicyState;
  ctx.issues.error('BAD_STATE', line, `${path}: state must be one of ${POLICY_STATES.join(', ')}, found ${describe(node)}`);
  return null;
}

function describe(node: unknown): string {
  const text = stringValue(node);
  if (text !== null) return `"${clip(text)}"`;
  const scalar = node as { value?: unknown } | null;
  if (scalar && (typeof scalar.value === 'number' || typeof scalar.value === 'boolean')) return String(scalar.value);
  return kindOf(node);
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
