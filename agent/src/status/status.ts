import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SensorHealth } from '@aiscout/protocol';
import { loadEnrollment, type Enrollment } from '../identity/identity.js';
import { writeFileAtomic } from '../spool/fs-durable.js';
import type { WatchdogHealth } from '../watchdog/watchdog.js';

export const STATUS_FILE = 'status.json';

export interface DeliveryStatus {
  last_attempt_at: string | null;
  last_success_at: string | null;
  /** acked, duplicate, retry, revoked, poisoned, unenrolled, idle */
  last_result: string | null;
  last_error: string | null;
  consecutive_failures: number;
  next_attempt_at: string | null;
  batches_acked: number;
  events_acked: number;
  quarantined_batches: number;
  quarantined_records: number;
}

/** What the running daemon writes to `<state_dir>/status.json` for `aiscout-agent status`. */
export interface AgentStatus {
  version: string;
  pid: number;
  started_at: string;
  updated_at: string;
  /** null while running; set when the daemon stopped cleanly. */
  stopped_at: string | null;
  config_source: string;
  config_issues: string[];
  from_last_good: boolean;
  enrollment: { state: 'enrolled' | 'revoked' | 'unenrolled'; agent_id: string | null; reason: string | null };
  sensors: (SensorHealth & { last_run_at: string | null; interval_s: number | null })[];
  spool: { dir: string; bytes: number; records: number; dropped_records: number; dropped_bytes: number; corrupt_records: number };
  delivery: DeliveryStatus;
  watchdog: WatchdogHealth;
}

export async function writeStatus(stateDir: string, status: AgentStatus): Promise<void> {
  await writeFileAtomic(path.join(stateDir, STATUS_FILE), `${JSON.stringify(status, null, 2)}\n`, 0o600);
}

export async function readStatus(stateDir: string): Promise<AgentStatus | null> {
  try {
    return JSON.parse(await readFile(path.join(stateDir, STATUS_FILE), 'utf8')) as AgentStatus;
  } catch {
    return null;
  }
}

/** Whether the pid that wrote the status is still alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface StatusReport {
  state_dir: string;
  running: boolean;
  enrollment: Enrollment | null;
  status: AgentStatus | null;
}

export async function statusReport(stateDir: string): Promise<StatusReport> {
  const status = await readStatus(stateDir);
  return {
    state_dir: stateDir,
    running: status !== null && status.stopped_at === null && alive(status.pid),
    enrollment: await loadEnrollment(stateDir),
    status,
  };
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

/** A person's summary of the report: config, enrollment, sensors, spool, last delivery. */
export function formatStatus(r: StatusReport): string {
  const s = r.status;
  const lines: string[] = [];
  lines.push(`agent:       ${r.running ? `running (pid ${s!.pid}, since ${s!.started_at})` : s?.stopped_at ? `stopped at ${s.stopped_at}` : 'not running'}`);
  lines.push(`state dir:   ${r.state_dir}`);
  if (s) {
    lines.push(`config:      ${s.config_source}${s.from_last_good ? ' (last good: the current configuration has errors)' : ''}`);
    for (const issue of s.config_issues) lines.push(`             ${issue}`);
  }
  const e = r.enrollment;
  if (e?.revoked) lines.push(`enrollment:  REVOKED at ${e.revoked_at ?? '?'} (agent ${e.agent_id}); configure a new enrollment secret to enroll again`);
  else if (e) lines.push(`enrollment:  enrolled as ${e.agent_id} at ${e.enrolled_at} with ${e.collector_url}`);
  else lines.push(`enrollment:  not enrolled${s?.enrollment.reason ? ` (${s.enrollment.reason})` : ''}`);
  if (!s) {
    lines.push('status:      no status written yet (the agent has not run with this state directory)');
    return `${lines.join('\n')}\n`;
  }
  lines.push('sensors:');
  for (const x of s.sensors) {
    const errors = Object.values(x.errors).reduce((a, b) => a + b, 0);
    lines.push(`  ${x.name.padEnd(20)} ${x.enabled ? 'on ' : 'off'} every ${x.interval_s ?? '-'} s, last run ${x.last_run_at ?? 'never'}, ${x.observations} observations, ${errors} errors${x.disabled_reason ? ` — ${x.disabled_reason}` : ''}`);
  }
  lines.push(`spool:       ${s.spool.records} records waiting, ${mb(s.spool.bytes)} on disk, ${s.spool.dropped_records} dropped at the bound, ${s.spool.corrupt_records} lost to damage`);
  const d = s.delivery;
  lines.push(`delivery:    last ${d.last_result ?? 'none'} at ${d.last_attempt_at ?? '-'}; last success ${d.last_success_at ?? 'never'}; ${d.batches_acked} batches / ${d.events_acked} events acknowledged`);
  if (d.last_error) lines.push(`             error: ${d.last_error} (${d.consecutive_failures} failures in a row${d.next_attempt_at ? `, next try ${d.next_attempt_at}` : ''})`);
  if (d.quarantined_batches > 0) lines.push(`             quarantined: ${d.quarantined_batches} batches, ${d.quarantined_records} records (see ${path.join(r.state_dir, 'quarantine')})`);
  const w = s.watchdog;
  lines.push(`resources:   rss ${mb(w.rss_bytes)}, cpu ${w.cpu_percent}%, watchdog ${w.level} (${w.throttles} throttles, ${w.restarts} sensor restarts)`);
  return `${lines.join('\n')}\n`;
}
