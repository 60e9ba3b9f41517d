/** Cross-check: teams the policy names must exist in the directory, or their rules never apply. */
import type { ConfigIssue } from './issues.js';
import type { Policy } from './types.js';

/** Warnings (code POLICY_UNKNOWN_TEAM) for policy teams the directory does not know. */
export function checkPolicyTeams(policy: Policy, directoryTeams: Iterable<string>, policyFile: string): ConfigIssue[] {
  const known = new Set(directoryTeams);
  return policy
    .teams()
    .filter((team) => !known.has(team))
    .map((team) => ({
      code: 'POLICY_UNKNOWN_TEAM',
      file: policyFile,
      line: null,
      message: `team "${team}" is not in the directory; its rules apply to no one`,
      severity: 'warning' as const,
    }));
}
