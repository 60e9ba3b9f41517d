import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { build } from '../../../collector/src/app.js';
import { DEFAULT_CONFIG, type CollectorConfig } from '../../../collector/src/config.js';
import { catalogFacts } from '../../../collector/src/catalog.js';

export const ENROLL_SECRET = 'agent-e2e-enroll-secret-0001';
export const SECOND_SECRET = 'agent-e2e-enroll-secret-0002';
export const ADMIN_TOKEN = 'agent-e2e-admin-token-0123456789';

/** A real collector (fastify + chDB) listening on loopback, restartable on the same port and data. */
export class TestCollector {
  app: FastifyInstance | null = null;
  port = 0;

  constructor(readonly dataDir: string) {}

  config(): CollectorConfig {
    return {
      ...structuredClone(DEFAULT_CONFIG),
      listen: { host: '127.0.0.1', port: this.port },
      clickhouse: { ...DEFAULT_CONFIG.clickhouse, path: path.join(this.dataDir, 'clickhouse') },
      enrollmentSecrets: [
        { id: 'one', secret: ENROLL_SECRET, retired: false },
        { id: 'two', secret: SECOND_SECRET, retired: false },
      ],
      adminTokens: [{ id: 'ops', token: ADMIN_TOKEN }],
      logLevel: 'silent',
      collectorId: 'agent-e2e',
      source: '(agent e2e test)',
    };
  }

  async start(): Promise<string> {
    const app = await build({ config: this.config(), knownToolIds: catalogFacts().toolIds, probeIntervalMs: 200 });
    await app.listen({ host: '127.0.0.1', port: this.port });
    this.port = (app.server.address() as AddressInfo).port;
    this.app = app;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = null;
  }

  async query<T>(sql: string, params: Record<string, unknown> = {}): Promise<T[]> {
    if (!this.app) throw new Error('collector is not running');
    return this.app.collector.store.query<T>(sql, params);
  }

  async count(sql: string, params: Record<string, unknown> = {}): Promise<number> {
    const rows = await this.query<{ n: string }>(`SELECT toString(count()) AS n FROM (${sql})`, params);
    return Number(rows[0]?.n ?? 0);
  }

  async revoke(agentId: string): Promise<number> {
    const res = await this.app!.inject({
      method: 'POST', url: `/v1/admin/agents/${agentId}/revoke`, payload: { reason: 'test' },
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    return res.statusCode;
  }
}

export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { path: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function until(check: () => Promise<boolean> | boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not reached within ${ms} ms`);
}

/**
 * One real collector for a whole test file, on a fresh embedded store in a temp folder: started
 * before the file's tests, stopped and removed after them.
 */
export function collectorForFile(prefix: string): TestCollector {
  const data = tempDir(prefix);
  const collector = new TestCollector(data.path);
  beforeAll(async () => {
    await collector.start();
  });
  afterAll(async () => {
    await collector.stop();
    data.cleanup();
  });
  return collector;
}
