import { formatIssues, loadAgentConfig } from '../config/index.js';
import { ensureEnrolled } from '../identity/enroll.js';
import { hostFacts } from '../identity/host.js';
import { Privacy } from '../aggregate/privacy.js';
import { formatStatus, statusReport } from '../status/status.js';
import { CollectorClient } from '../transport/http.js';
import { runDaemon } from './run.js';
import { AGENT_VERSION } from './version.js';
import os from 'node:os';

export interface AgentCommand {
  verb: 'run' | 'enroll' | 'status';
  json: boolean;
  stateDir: string | undefined;
}

interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** `run`, `enroll` and `status`: the commands that work with the agent's configuration and state. */
export async function runAgentCommand(cmd: AgentCommand, io: Io): Promise<number> {
  if (cmd.verb === 'run') return runDaemon({ stderr: io.stderr });
  if (cmd.verb === 'status' && cmd.stateDir !== undefined) {
    const report = await statusReport(cmd.stateDir);
    io.stdout(cmd.json ? `${JSON.stringify(report)}\n` : formatStatus(report));
    return 0;
  }
  const loaded = await loadAgentConfig();
  const config = loaded.config;
  if (!config) {
    io.stderr(`aiscout-agent: no usable configuration:\n${formatIssues(loaded.issues).map((l) => `  ${l}`).join('\n')}\n`);
    return 78;
  }
  if (cmd.verb === 'status') {
    const report = await statusReport(config.state_dir);
    io.stdout(cmd.json ? `${JSON.stringify({ config_source: loaded.source, ...report })}\n` : `config file: ${loaded.source}\n${formatStatus(report)}`);
    return 0;
  }
  const privacy = new Privacy(config.privacy);
  const client = new CollectorClient(config.collector_url, config);
  try {
    const state = await ensureEnrolled(
      client,
      {
        stateDir: config.state_dir,
        collectorUrl: config.collector_url,
        secret: config.enrollment_secret,
        agentVersion: AGENT_VERSION,
        host: hostFacts({ team: config.team, hostname: config.privacy.hostname, pseudonymKey: config.privacy.pseudonym_key, primaryUser: process.getuid?.() === 0 ? null : privacy.user(os.userInfo().username) }),
      },
      { force: true },
    );
    if (state.state === 'enrolled') {
      io.stdout(`enrolled as ${state.enrollment.agent_id} with ${config.collector_url}\n`);
      return 0;
    }
    io.stderr(`aiscout-agent: not enrolled: ${state.state === 'revoked' ? 'revoked' : state.reason}\n`);
    return 1;
  } finally {
    client.close();
  }
}
