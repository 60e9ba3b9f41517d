import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp, count, enroll, makeBatch, sampleEvents, sendBatch, tempDir, testConfig } from './helpers.js';

const dir = tempDir();
let app: FastifyInstance;

beforeAll(async () => {
  app = await buildApp(testConfig(dir.path), { logStream: { write: (l: string) => process.stderr.write(l) } });
});
afterAll(async () => {
  await app?.close();
  dir.cleanup();
});

describe('signed batches', () => {
  it('stores a signed JSON batch and answers only after the rows are there', async () => {
    const agent = await enroll(app);
    const batch = makeBatch(agent, sampleEvents(20));
    const res = await sendBatch(app, agent, batch);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ batch_id: batch.batch_id, accepted: 20, duplicate: false });
    expect(await count(app, 'SELECT count() AS n FROM events WHERE batch_id = {b:UUID}', { b: batch.batch_id })).toBe(20);
  });
});
