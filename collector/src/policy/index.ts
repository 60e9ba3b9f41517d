/** The collector's tool policy: policy.yaml → approved / tolerated / unapproved per tool and team. */
export type { ConfigIssue, IssueSeverity, Policy, PolicyDecision, PolicyOptions, PolicyRow, PolicyState } from './types.js';
export { POLICY_STATES } from './types.js';
export { loadPolicy } from './load.js';
export { parsePolicy, MAX_POLICY_BYTES } from './parse.js';
export { emptyPolicy } from './policy.js';
export { diffPolicy } from './diff.js';
export { parseExpiry } from './expiry.js';
export { checkPolicyTeams } from './teams-check.js';
