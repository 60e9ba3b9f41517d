// Agent steady-state benchmark: runs `aiscout-agent run` as a child process with the default
// intervals (process, extension and usage-log sensors on; network off), pointed at a closed
// loopback port so everything is spooled, and samples the child's RSS (/proc/<pid>/status VmRSS)
// and CPU (/proc/<pid>/stat utime+stime) every second. Prints one JSON object:
// steady-state RSS (median after warm-up), average CPU % of one core after warm-up, and the time
// of one full scan (sum of each sensor's median run time, from the agent's debug log).
//   node --import tsx agent/bench/agent-steady.ts [--seconds 120] [--warmup 20]
// Linux only (/proc). Uses agent/dist (npm run build) when present, else the TypeScript sources.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    warmup: { type: 'string', default: '20' },
    // The flags the systemd unit runs the agent with (see deploy/linux/aiscout-agent.service); '' for Node's defaults.
    'node-flags': { type: 'string', default: '--max-semi-space-size=1 --lite-mode' },
  },
});
const NODE_FLAGS = values['node-flags'].split(' ').filter(Boolean);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const GOALS = { rss_mb: 60, cpu_percent: 0.3 };

const agentDir = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(agentDir, 'dist', 'cli.js');
const args = [...NODE_FLAGS, ...(existsSync(dist) ? [dist, 'run'] : ['--conditions=source', '--import', 'tsx', path.join(agentDir, 'src', 'cli.ts'), 'run'])];
const ticks = 100; // USER_HZ on Linux
const pageMb = (kb: number) => kb / 1024;

function readProc(pid: number): { rssKb: number; cpuTicks: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { rssKb, cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2 : NaN;
};

async function main(): Promise<void> {
  const state = mkdtempSync(path.join(tmpdir(), 'aiscout-bench-agent-'));
  const child = spawn(process.execPath, args, {
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME,
      AISCOUT_COLLECTOR_URL: 'http://127.0.0.1:9', AISCOUT_ENROLLMENT_SECRET: 'bench-enrollment-secret',
      AISCOUT_STATE_DIR: state, AISCOUT_SENSORS_NETWORK: 'false', AISCOUT_LOG_LEVEL: 'debug',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (b: Buffer) => {
    log += b.toString();
  });
  const samples: { t: number; rssKb: number; cpuTicks: number }[] = [];
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const s = readProc(child.pid!);
      if (s) samples.push({ t: (performance.now() - started) / 1000, ...s });
      if ((performance.now() - started) / 1000 >= SECONDS || child.exitCode !== null) {
        clearInterval(timer);
        resolve();
      }
    }, 1000);
  });
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(state, { recursive: true, force: true });

  const steady = samples.filter((s) => s.t >= WARMUP);
  const first = steady[0];
  const last = steady.at(-1);
  const cpuPercent = first && last && last.t > first.t ? ((last.cpuTicks - first.cpuTicks) / ticks / (last.t - first.t)) * 100 : NaN;
  const runs = new Map<string, number[]>();
  for (const line of log.split('\n')) {
    if (!line.includes('"msg":"sensor ran"')) continue;
    const e = JSON.parse(line) as { sensor: string; ms: number };
    runs.set(e.sensor, [...(runs.get(e.sensor) ?? []), e.ms]);
  }
  // A full scan = every sensor once: the sum of each sensor's median run (the first run also pays for loading code).
  const medianRuns = new Map([...runs].map(([k, v]) => [k, median(v)]));
  const rssMb = pageMb(median(steady.map((s) => s.rssKb)));
  const result = {
    bench: 'agent-steady',
    seconds: SECONDS,
    warmup_seconds: WARMUP,
    samples: steady.length,
    steady_rss_mb: Math.round(rssMb * 10) / 10,
    max_rss_mb: Math.round(pageMb(Math.max(...samples.map((s) => s.rssKb))) * 10) / 10,
    avg_cpu_percent: Math.round(cpuPercent * 1000) / 1000,
    full_scan_ms: [...medianRuns.values()].reduce((a, b) => a + b, 0),
    first_full_scan_ms: [...runs.values()].reduce((a, v) => a + v[0]!, 0),
    scan_ms_by_sensor: Object.fromEntries(medianRuns),
    goals: GOALS,
    meets_goals: rssMb <= GOALS.rss_mb && cpuPercent <= GOALS.cpu_percent,
    runtime: existsSync(dist) ? 'dist' : 'tsx',
    node_flags: NODE_FLAGS.join(' '),
    node: process.version,
  };
  console.log(JSON.stringify(result));
}

await main();
