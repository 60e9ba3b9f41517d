import { PROTOCOL_VERSION, uuidv7, type Batch, type Event } from '../src/index.js';

/** A valid batch with one event of every kind; tests mutate copies of it. */
export function validBatch(): Batch {
  const window = { window_start: '2026-11-22T10:00:00.000Z', window_end: '2026-11-22T10:05:00.000Z' };
  const base = { user: 'alice', count: 3, confidence: 0.95 };
  const events: Event[] = [
    {
      kind: 'process', tool: 'claude-code', id: '0b6c7a52-3f1e-4f43-9d0c-6f1a2b3c4d5e', ...window, ...base,
      evidence: { matcher: 'cmdline-marker', value: '/node_modules/@anthropic-ai/claude-code/' }, candidates: ['claude-code'],
      exe: '/usr/bin/node', process_name: 'node', version: null,
    },
    {
      kind: 'extension', tool: 'github-copilot', id: '1b6c7a52-3f1e-4f43-9d0c-6f1a2b3c4d5e', ...window, ...base,
      evidence: { matcher: 'vscode-extension', value: 'github.copilot' }, candidates: ['github-copilot'],
      ecosystem: 'vscode', item_kind: 'ide-extension', extension_id: 'github.copilot', version: '1.250.0',
      location: '.vscode/extensions', flags: [],
    },
    {
      kind: 'usage', tool: 'claude-code', id: '2b6c7a52-3f1e-4f43-9d0c-6f1a2b3c4d5e', ...window, ...base,
      evidence: { matcher: 'usage-log', value: 'claude-code-jsonl' }, candidates: ['claude-code'],
      model: 'claude-sonnet-4-5', tokens_in: 1200, tokens_out: 800, tokens_cache_read: 50000, tokens_cache_write: 3000,
      requests: 7, source: 'log', quality: 'undercount', session_hash: 'a1b2c3d4',
    },
    {
      kind: 'network', tool: 'anthropic-api', id: '3b6c7a52-3f1e-4f43-9d0c-6f1a2b3c4d5e', ...window, ...base,
      evidence: { matcher: 'host', value: 'api.anthropic.com' }, candidates: ['anthropic-api', 'claude-code'],
      server_name: 'api.anthropic.com', name_source: 'tls-sni', transport: 'tcp', dst_port: 443, process_exe: '/usr/bin/node',
      bytes_up: 40_000, bytes_down: 120_000, connections: 2, est_tokens_in: 10_000, est_tokens_out: 30_000, ech: false,
    },
    {
      kind: 'agent', tool: null, id: '4b6c7a52-3f1e-4f43-9d0c-6f1a2b3c4d5e', ...window, ...base,
      evidence: { matcher: 'heartbeat', value: 'agent' }, candidates: [],
      sensors: [
        { name: 'dns', enabled: false, disabled_reason: 'libpcap not available', observations: 0,
          errors: { permission: 0, parse: 0, io: 0, vanished: 0, limit: 0, other: 0 }, dropped: 0 },
      ],
      spool_bytes: 1024, spool_dropped: 0, rss_bytes: 50_000_000, cpu_percent: 0.2, uptime_s: 3600, config_source: '/etc/aiscout/agent.json',
    },
  ];
  return {
    protocol_version: PROTOCOL_VERSION,
    batch_id: uuidv7(),
    agent_id: '9d2f1e0a-1111-4222-8333-944455556666',
    seq: 1,
    sent_at: '2026-11-22T10:05:01.000Z',
    agent_version: '0.1.0',
    catalog_version: 'sha256:0123456789abcdef',
    host: { hostname: 'laptop-42', os: 'linux', os_version: 'Debian 12', arch: 'x64', serial: null, primary_user: 'alice' },
    events,
  };
}
