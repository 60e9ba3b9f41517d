#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { AgentRegistry } from './agents.js';
import { AuditTrail } from './audit.js';
import { catalogFacts } from './catalog.js';
import { ConfigError, loadConfig, type CollectorConfig } from './config.js';
import { ensureDevCredentials } from './dev-credentials.js';
import { loadDirectory } from './directory/index.js';
import { checkPolicyTeams, loadPolicy, type ConfigIssue } from './policy/index.js';
import { serve } from './server.js';
import { REPORT_USAGE, reportCommand } from './reports/cli.js';
import { migrate } from './store/migrate.js';
import { Store } from './store/store.js';

const USAGE = `usage: aiscout-collector <command> [--config FILE]

commands:
  serve                          run the collector (embedded ClickHouse unless CLICKHOUSE_URL is set)
  migrate                        apply schema migrations and retention settings, then exit
  agents list [--revoked]        list enrolled agents
  agents revoke <id> --reason R  revoke an agent (audited)
  policy check [--policy F] [--directory F]
                                 check the policy and directory files; exit 1 on errors
${REPORT_USAGE}

Configuration: --config FILE or AISCOUT_COLLECTOR_CONFIG (YAML or JSON), overridden by AISCOUT_* and CLICKHOUSE_* variables.
With the embedded store, stop \`serve\` before running migrate/agents: one process owns the data folder.`;

function openStore(config: CollectorConfig): Store {
  return new Store(config.clickhouse);
}

function printIssues(issues: ConfigIssue[]): void {
  for (const i of issues) process.stderr.write(`${(i.severity ?? 'error').padEnd(7)} ${i.code} ${i.file}${i.line !== null ? `:${i.line}` : ''}: ${i.message}\n`);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      policy: { type: 'string' },
      directory: { type: 'string' },
      reason: { type: 'string' },
      revoked: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      // report
      team: { type: 'string' },
      week: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      send: { type: 'boolean' },
    },
  });
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const config = loadConfig({ file: values.config ?? null });

  switch (command) {
    case 'serve': {
      const file = ensureDevCredentials(config);
      await serve(config);
      if (file) process.stdout.write(`  local enrollment secret and admin token: ${file} (created for this machine; configure real ones to replace it)\n`);
      return -1;
    }
    case 'migrate': {
      const store = openStore(config);
      try {
        const r = await migrate(store, { retentionDays: config.retentionDays, auditRetentionDays: config.auditRetentionDays, collectorId: config.collectorId });
        process.stdout.write(`migrations applied: ${r.applied.join(', ') || 'none'}; already applied: ${r.alreadyApplied.join(', ') || 'none'} (${store.kind})\n`);
        return 0;
      } finally {
        await store.close();
      }
    }
    case 'agents': {
      const store = openStore(config);
      try {
        const agents = new AgentRegistry(store);
        if (sub === 'list') {
          const rows = await agents.list(values.revoked ? { revoked: true } : {});
          for (const a of rows) {
            process.stdout.write(`${a.agent_id}  ${a.hostname}  ${a.os}  team=${a.team || '-'}  last_seen=${a.last_seen ?? 'never'}  ${a.revoked ? 'REVOKED' : 'active'}\n`);
          }
          process.stdout.write(`${rows.length} agent(s)\n`);
          return 0;
        }
        if (sub === 'revoke' && arg) {
          if (!values.reason) throw new UsageError('agents revoke needs --reason');
          const record = await agents.revoke(arg, values.reason);
          await new AuditTrail(store, config.collectorId).append({
            actor: `cli:${process.env.USER ?? 'unknown'}`, action: 'agent.revoke', target: arg, outcome: record ? 'ok' : 'rejected',
            detail: { reason: values.reason, found: record !== null }, remoteIp: '',
          });
          if (!record) {
            process.stderr.write(`no agent ${arg}\n`);
            return 1;
          }
          process.stdout.write(`revoked ${arg}\n`);
          return 0;
        }
        throw new UsageError('agents list | agents revoke <id> --reason R');
      } finally {
        await store.close();
      }
    }
    case 'policy': {
      if (sub !== 'check') throw new UsageError('policy check [--policy F] [--directory F]');
      const policyFile = values.policy ?? config.policyFile;
      const directoryFile = values.directory ?? config.directoryFile;
      const catalog = catalogFacts();
      const p = loadPolicy(policyFile, catalog.toolIds, { toolCategories: catalog.toolCategories });
      const d = loadDirectory(directoryFile, config.pseudonymKey ? { pseudonymKey: config.pseudonymKey } : {});
      const issues = [...p.issues, ...d.issues];
      if (p.policy && d.directory && policyFile && directoryFile) issues.push(...checkPolicyTeams(p.policy, d.directory.teams().map((t) => t.team), policyFile));
      printIssues(issues);
      const errors = issues.filter((i) => (i.severity ?? 'error') === 'error').length;
      process.stdout.write(
        `policy ${policyFile ?? '(none)'}: ${p.policy ? `${p.policy.rows().length} rule(s)` : 'NOT LOADED'}; ` +
          `directory ${directoryFile ?? '(none)'}: ${d.directory ? `${d.directory.rows().length} entr(ies), ${d.directory.teams().length} team(s)` : 'NOT LOADED'}; ` +
          `${errors} error(s), ${issues.length - errors} warning(s)\n`,
      );
      return errors > 0 || !p.policy || !d.directory ? 1 : 0;
    }
    case 'report':
      return reportCommand(config, { team: values.team, week: values.week, format: values.format, out: values.out, send: values.send });
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else if (err instanceof UsageError) process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    else process.stderr.write(`aiscout-collector: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
