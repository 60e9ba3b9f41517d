/** The agent's version, sent with enrollment and every batch (keep in step with agent/package.json). */
export const AGENT_VERSION = '0.1.0';
