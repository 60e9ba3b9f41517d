/** Loading policy.yaml from disk. Never throws; on any error the caller keeps its last good policy. */
import { readConfigFile } from './config-file.js';
import { IssueList, type ConfigIssue } from './issues.js';
import { MAX_POLICY_BYTES, parsePolicy } from './parse.js';
import { emptyPolicy } from './policy.js';
import type { Policy, PolicyOptions } from './types.js';

/**
 * `file` null means no policy is configured: an empty policy, where every tool is unapproved.
 * A file with any error yields `policy: null`; warnings (unknown tool ids, expired exceptions)
 * are reported and the policy still loads.
 */
export function loadPolicy(
  file: string | null,
  knownToolIds: ReadonlySet<string>,
  options: PolicyOptions = {},
): { policy: Policy | null; issues: ConfigIssue[] } {
  if (file === null) return { policy: emptyPolicy(), issues: [] };
  const issues = new IssueList(file, 'POLICY');
  const text = readConfigFile(file, MAX_POLICY_BYTES, issues);
  if (text === null) return { policy: null, issues: issues.result() };
  return parsePolicy(text, file, knownToolIds, options);
}
