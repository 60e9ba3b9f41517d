/**
 * Directory as YAML:
 *   version: 1
 *   teams:
 *     platform: { managers: [lead@corp.example], timezone: Europe/Berlin, users: [alice], hosts: [build-01] }
 *   users: { bob: platform }      # optional flat maps (e.g. generated from an HR export);
 *   hosts: { ci-02: platform }    # they may only name teams defined under teams:
 */
import type { Node, YAMLMap } from 'yaml';
import type { IssueList } from '../policy/issues.js';
import { isTeamName } from '../policy/names.js';
import { isMap, isScalar, isSeq, kindOf, mapEntries, parseYamlTree, stringValue, type YamlTree } from '../policy/yaml-tree.js';
import { clip, type DirectoryBuilder } from './directory.js';

const TOP_KEYS = ['version', 'teams', 'users', 'hosts'];
const TEAM_KEYS = ['managers', 'timezone', 'users', 'hosts'];

export function parseDirectoryYaml(text: string, builder: DirectoryBuilder, issues: IssueList): void {
  const tree = parseYamlTree(text, issues);
  if (!tree) return;
  const root = tree.root;
  if (!isMap(root)) {
    issues.error('BAD_TYPE', tree.lineOf(root), `the directory must be a mapping with version: 1 and teams:, found ${kindOf(root)}`);
    return;
  }
  const y = new Walker(tree, issues);
  let sawVersion = false;
  const flat: { kind: 'users' | 'hosts'; map: YAMLMap }[] = [];
  for (const [key, value, keyNode] of y.entries(root)) {
    if (key === 'version') {
      sawVersion = true;
      if (!isScalar(value) || value.value !== 1) issues.error('BAD_VERSION', tree.lineOf(value) ?? tree.lineOf(keyNode), 'version must be 1');
    } else if (key === 'teams') {
      const teams = y.mapping(value, 'teams', keyNode);
      if (teams) for (const [team, body, teamKey] of y.entries(teams)) parseTeam(y, builder, team, body, teamKey);
    } else if (key === 'users' || key === 'hosts') {
      const map = y.mapping(value, key, keyNode);
      if (map) flat.push({ kind: key, map });
    } else {
      issues.error('UNKNOWN_KEY', tree.lineOf(keyNode), `unknown key "${clip(key)}"; expected one of ${TOP_KEYS.join(', ')}`);
    }
  }
  if (!sawVersion) issues.error('MISSING_VERSION', tree.lineOf(root), 'add "version: 1" at the top of the directory');
  // Flat maps after teams, so a reference can be checked against every defined team.
  for (const { kind, map } of flat) {
    for (const [name, teamNode, nameKey] of y.entries(map)) {
      const line = tree.lineOf(nameKey);
      const team = stringValue(teamNode);
      if (team === null) {
        issues.error('BAD_TYPE', tree.lineOf(teamNode) ?? line, `${kind}.${clip(name)} must name a team, found ${kindOf(teamNode)}`);
      } else if (!builder.hasTeam(team)) {
        issues.error('UNKNOWN_TEAM', line, `${kind}.${clip(name)} names team "${clip(team)}", which is not defined under teams:`);
      } else if (kind === 'users') builder.addUser(name, team, line);
      else builder.addHost(name, team, line);
    }
  }
}

function parseTeam(y: Walker, builder: DirectoryBuilder, team: string, body: Node | null, teamKey: unknown): void {
  const line = y.tree.lineOf(teamKey);
  if (!isTeamName(team)) {
    y.issues.error('BAD_TEAM', line, `team name "${clip(team)}" is not valid: letters, digits, space, . _ - (64 at most), starting with a letter or digit`);
    return;
  }
  builder.defineTeam(team, line);
  const map = y.mapping(body, `teams.${team}`, teamKey);
  if (!map) return;
  for (const [key, value, keyNode] of y.entries(map)) {
    const keyLine = y.tree.lineOf(keyNode);
    if (key === 'timezone') {
      const zone = stringValue(value);
      if (zone === null) y.issues.error('BAD_TIMEZONE', y.tree.lineOf(value) ?? keyLine, `teams.${team}.timezone must be an IANA time zone name, found ${kindOf(value)}`);
      else builder.setTimezone(team, zone, y.tree.lineOf(value));
    } else if (key === 'managers' || key === 'users' || key === 'hosts') {
      for (const [item, itemLine] of y.strings(value, `teams.${team}.${key}`, keyNode)) {
        if (key === 'managers') builder.addManager(team, item, itemLine);
        else if (key === 'users') builder.addUser(item, team, itemLine);
        else builder.addHost(item, team, itemLine);
      }
    } else {
      y.issues.error('UNKNOWN_KEY', keyLine, `unknown key "${clip(key)}" in teams.${team}; expected ${TEAM_KEYS.join(', ')}`);
    }
  }
}

class Walker {
  constructor(
    readonly tree: YamlTree,
    readonly issues: IssueList,
  ) {}

  entries(map: YAMLMap): Generator<[string, Node | null, unknown]> {
    return mapEntries(this.tree, this.issues, map);
  }

  mapping(node: Node | null, path: string, anchor: unknown): YAMLMap | null {
    if (node === null || kindOf(node) === 'empty') return null;
    if (isMap(node)) return node;
    this.issues.error('BAD_TYPE', this.tree.lineOf(node) ?? this.tree.lineOf(anchor), `${path} must be a mapping, found ${kindOf(node)}`);
    return null;
  }

  /** A list of strings (a single string is accepted as a one-item list). */
  *strings(node: Node | null, path: string, anchor: unknown): Generator<[string, number | null]> {
    if (node === null || kindOf(node) === 'empty') return;
    const single = stringValue(node);
    if (single !== null) {
      yield [single, this.tree.lineOf(node)];
      return;
    }
    if (!isSeq(node)) {
      this.issues.error('BAD_TYPE', this.tree.lineOf(node) ?? this.tree.lineOf(anchor), `${path} must be a list of strings, found ${kindOf(node)}`);
      return;
    }
    for (const raw of node.items) {
      const item = this.tree.deref(raw);
      if (item === null && this.tree.aliasLimitHit()) continue;
      const text = stringValue(item);
      if (text === null) this.issues.error('BAD_TYPE', this.tree.lineOf(item) ?? this.tree.lineOf(raw), `${path} items must be strings, found ${kindOf(item)}`);
      else yield [text, this.tree.lineOf(item)];
    }
  }
}
