import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultClassifier } from '@aiscout/signatures';
import { validator, SensorHealth } from '@aiscout/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanOnce, SENSOR_NAMES } from '../src/scan.js';
import { AI_HOME_EXPECTED, populateAiHome } from './helpers/ai-home.js';
import { FakeHomes } from './helpers/fake-home.js';
import { installFakePackage, spawnReady, stop } from './helpers/processes.js';
import { expectSensorHealth } from './helpers/sensor-health.js';

const classifier = defaultClassifier();
let homes: FakeHomes;
let tmp: string;
let claude: ChildProcess | undefined;

beforeAll(async () => {
  homes = await FakeHomes.create();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aiscout-scan-'));
  await chmod(tmp, 0o755);
  const cli = await installFakePackage(tmp, '@anthropic-ai/claude-code', 'cli.js');
  claude = await spawnReady(process.execPath, [cli]);
});

afterAll(async () => {
  await stop(claude);
  await homes.dispose();
  await rm(tmp, { recursive: true, force: true });
});

describe('scanOnce', () => {
  it('finds the AI extensions in a fake home and nothing else', async () => {
    const alice = await homes.home('alice');
    await populateAiHome(alice.dir);
    const result = await scanOnce({ classifier, homes: [alice], platform: 'linux', sensors: ['ide-extensions', 'browser-extensions'] });
    expect(result.detections.map((d) => `${d.tool} ${d.evidence.matcher} ${d.evidence.value} ${d.count}`)).toEqual(AI_HOME_EXPECTED);
    expect(result.detections.every((d) => d.user === 'alice' && d.kind === 'extension' && d.confidence > 0)).toBe(true);
    const jb = result.detections.find((d) => d.evidence.matcher === 'jetbrains-plugin');
    expect(jb).toMatchObject({
      tool_name: 'GitHub Copilot',
      category: 'coding-assistant',
      ecosystem: 'jetbrains',
      product: 'IntelliJIdea2024.1',
      version: '1.5.30-242',
      location: '.local/share/JetBrains/IntelliJIdea2024.1/github-copilot-intellij',
      candidates: ['github-copilot'],
    });
    // 8 IDE items + 3 browser items seen; 5 of them are not AI and are dropped.
    expect(result.observations).toBe(11);
    expect(result.unmatched).toBe(5);
    expect(result.sensors.map((s) => s.name)).toEqual(['ide-extensions', 'browser-extensions']);
    expectSensorHealth(result.sensors[0]!, { name: 'ide-extensions', observations: 8, errors: {} });
    expectSensorHealth(result.sensors[1]!, { name: 'browser-extensions', observations: 3, errors: {} });
  });

  it('detects a running Claude Code (node running @anthropic-ai/claude-code) with its user', async () => {
    const result = await scanOnce({ classifier, homes: [], sensors: ['processes'] });
    const d = result.detections.find((x) => x.tool === 'claude-code' && x.evidence.matcher === 'cmdline-marker');
    expect(d).toMatchObject({
      kind: 'process',
      tool: 'claude-code',
      category: 'agent-cli',
      user: os.userInfo().username,
      evidence: { matcher: 'cmdline-marker', value: '/node_modules/@anthropic-ai/claude-code/' },
    });
    expect(d?.count).toBeGreaterThanOrEqual(1);
    expect(d?.location).toBe(await realpath(process.execPath));
    expectSensorHealth(result.sensors[0]!, { name: 'processes', minObservations: 3 });
  });

  it('runs every sensor and reports each one’s health in the wire shape', async () => {
    const bob = await homes.home('bob');
    const result = await scanOnce({ classifier, homes: [bob] });
    expect(result.sensors.map((s) => s.name)).toEqual([...SENSOR_NAMES]);
    const check = validator(SensorHealth);
    expect(result.sensors.every((s) => check(s).ok)).toBe(true);
    expect(result.catalog_version).toBe(classifier.version);
    expect(result.homes).toBe(1);
  });
});
