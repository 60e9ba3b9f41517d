/** Deterministic simulated agent events for the benchmarks (mixed usage/network/process/extension). */
import { randomBytes } from 'node:crypto';
import { uuidv7, type Event } from '@aiscout/protocol';

export const TOOLS = ['claude-code', 'github-copilot', 'cursor', 'openai-api', 'anthropic-api', 'ollama', 'chatgpt', 'gemini-cli'];
export const TEAMS = ['platform', 'data', 'mobile', 'web', 'security', 'finance'];

/** A seeded generator, so runs are comparable. */
export function seeded(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

export function simulatedEvents(n: number, users: string[], rand: (n: number) => number): Event[] {
  const end = new Date(Date.now() - 60_000);
  const window = { window_start: new Date(end.getTime() - 300_000).toISOString(), window_end: end.toISOString() };
  const out: Event[] = [];
  for (let i = 0; i < n; i++) {
    const tool = TOOLS[rand(TOOLS.length)]!;
    const base = { id: uuidv7(), ...window, user: users[rand(users.length)]!, count: 1 + rand(20), confidence: 0.9, candidates: [tool] };
    const k = rand(10);
    if (k < 4) {
      out.push({ kind: 'network', tool, ...base, evidence: { matcher: 'host', value: `api.${tool}.example` }, server_name: `api.${tool}.example`,
        name_source: 'tls-sni', transport: 'tcp', dst_port: 443, process_exe: '/usr/bin/node', bytes_up: rand(100_000), bytes_down: rand(400_000),
        connections: 1 + rand(5), est_tokens_in: rand(20_000), est_tokens_out: rand(60_000), ech: false });
    } else if (k < 7) {
      out.push({ kind: 'usage', tool, ...base, evidence: { matcher: 'usage-log', value: `${tool}-log` }, model: 'model-x', tokens_in: rand(5000),
        tokens_out: rand(3000), tokens_cache_read: rand(50_000), tokens_cache_write: rand(5000), requests: 1 + rand(30), source: 'log',
        quality: 'exact', session_hash: randomBytes(6).toString('hex') });
    } else if (k < 9) {
      out.push({ kind: 'process', tool, ...base, evidence: { matcher: 'process-name', value: tool }, exe: `/usr/local/bin/${tool}`,
        process_name: tool, version: '1.2.3' });
    } else {
      out.push({ kind: 'extension', tool, ...base, evidence: { matcher: 'vscode-extension', value: `${tool}.ext` }, ecosystem: 'vscode',
        item_kind: 'ide-extension', extension_id: `${tool}.ext`, version: '1.0.0', location: '.vscode/extensions', flags: [] });
    }
  }
  return out;
}
