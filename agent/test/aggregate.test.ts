import { describe, expect, it } from 'vitest';
import { validateEvent } from '@aiscout/protocol';
import { Privacy } from '../src/aggregate/privacy.js';
import { WindowAggregator } from '../src/aggregate/window.js';
import type { Detection } from '../src/detect.js';

const proc = (user: string, count = 1): Detection => ({
  kind: 'process', tool: 'claude-code', tool_name: 'Claude Code', category: 'coding-agent' as Detection['category'], confidence: 0.9, candidates: ['claude-code'],
  evidence: { matcher: 'process-name', value: 'claude' }, user, location: `/home/${user}/.local/bin/claude`, version: null, ecosystem: null, product: null, item: 'claude', count,
});
const ext: Detection = {
  kind: 'extension', tool: 'github-copilot', tool_name: 'GitHub Copilot', category: 'coding-assistant' as Detection['category'], confidence: 1, candidates: ['github-copilot'],
  evidence: { matcher: 'vscode-extension', value: 'github.copilot' }, user: 'alice', location: '.cursor/extensions/github.copilot-1.0.0', version: '1.0.0', ecosystem: 'vscode', product: 'cursor', item: 'github.copilot', count: 1,
};

describe('window aggregation', () => {
  it('folds every scan of a window into one row per tool, user and evidence, with summed sightings', () => {
    const start = Date.parse('2026-11-20T10:00:00Z');
    const agg = new WindowAggregator(300_000, new Privacy({ pseudonymize_users: false, pseudonym_key: null }), start + 10_000);
    for (let scan = 0; scan < 10; scan++) agg.add([proc('alice', 2), proc('bob'), ext]);
    expect(agg.size).toBe(3);
    const events = agg.flush(start + 300_000);
    expect(events).toHaveLength(3);
    for (const e of events) {
      expect(validateEvent(e).ok).toBe(true);
      expect([e.window_start, e.window_end]).toEqual(['2026-11-20T10:00:00.000Z', '2026-11-20T10:05:00.000Z']);
    }
    expect(events.map((e) => [e.user, e.kind, e.count])).toEqual([['alice', 'process', 20], ['bob', 'process', 10], ['alice', 'extension', 10]]);
    expect(events[2]).toMatchObject({ ecosystem: 'cursor', item_kind: 'ide-extension', extension_id: 'github.copilot' });
    expect(agg.flush(start + 600_000)).toEqual([]);
  });

  it('pseudonymizes users and strips the owner from home paths before anything is spooled', () => {
    const agg = new WindowAggregator(300_000, new Privacy({ pseudonymize_users: true, pseudonym_key: 'aiscout-test-key-0001' }));
    agg.add([proc('alice')]);
    const [event] = agg.flush();
    expect(event!.user).toMatch(/^p:[0-9a-f]{32}$/);
    expect(JSON.stringify(event)).not.toContain('alice');
    expect(event).toMatchObject({ exe: '~/.local/bin/claude' });
  });

  it('a row the protocol would refuse is counted, not spooled', () => {
    const agg = new WindowAggregator(300_000, new Privacy({ pseudonymize_users: false, pseudonym_key: null }));
    agg.add([{ ...proc('alice'), tool: 'Not A Tool Id' }]);
    expect(agg.flush()).toEqual([]);
    expect(agg.rejected).toBe(1);
  });
});
