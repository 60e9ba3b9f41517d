import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  LIMITS, jsonSchemas, uuidv7, uuidv7Time, validateBatch, validateEnrollRequest, validateEvent,
} from '../src/index.js';
import { validBatch } from './examples.js';

const clone = <T>(v: T): T => structuredClone(v);

describe('batch envelope', () => {
  it('accepts a batch with every event kind', () => {
    const r = validateBatch(validBatch());
    expect(r.ok ? [] : r.issues).toEqual([]);
  });

  it('accepts the batch after a JSON round trip (what the wire carries)', () => {
    expect(validateBatch(JSON.parse(JSON.stringify(validBatch()))).ok).toBe(true);
  });

  it.each([
    ['missing agent id', (b: any) => { delete b.agent_id; }, ''],
    ['batch id not UUIDv7', (b: any) => { b.batch_id = '0b6c7a52-3f1e-4f43-9d0c-6f1a2b3c4d5e'; }, '/batch_id'],
    ['sequence zero', (b: any) => { b.seq = 0; }, '/seq'],
    ['sequence as string', (b: any) => { b.seq = '1'; }, '/seq'],
    ['fractional sequence', (b: any) => { b.seq = 1.5; }, '/seq'],
    ['wrong protocol version', (b: any) => { b.protocol_version = 2; }, '/protocol_version'],
    ['bad timestamp', (b: any) => { b.sent_at = 'yesterday'; }, '/sent_at'],
    ['unknown os', (b: any) => { b.host.os = 'beos'; }, '/host/os'],
    ['extra envelope field', (b: any) => { b.extra = 1; }, ''],
    ['extra host field', (b: any) => { b.host.ip = '10.0.0.1'; }, '/host'],
    ['events not an array', (b: any) => { b.events = {}; }, '/events'],
  ])('rejects %s', (_name, mutate, path) => {
    const b = clone(validBatch());
    mutate(b);
    const r = validateBatch(b);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.some((i) => i.path === path || i.path.startsWith(path))).toBe(true);
  });

  it('rejects more events than the limit without validating them all', () => {
    const b = validBatch();
    b.events = Array.from({ length: LIMITS.eventsPerBatch + 1 }, () => b.events[0]!);
    const r = validateBatch(b);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]!.path).toBe('/events');
  });
});

describe('events', () => {
  it.each([
    ['a full command line field', 0, (e: any) => { e.cmdline = 'node cli.js --api-key sk-secret'; }],
    ['a prompt field on usage', 2, (e: any) => { e.prompt = 'refactor the payroll module'; }],
    ['a URL path on network', 3, (e: any) => { e.url = 'https://api.anthropic.com/v1/messages'; }],
    ['a huge user name', 0, (e: any) => { e.user = 'x'.repeat(100_000); }],
    ['a huge evidence value', 1, (e: any) => { e.evidence.value = 'y'.repeat(10_000); }],
    ['negative tokens', 2, (e: any) => { e.tokens_in = -1; }],
    ['NaN-like bytes', 3, (e: any) => { e.bytes_up = 'NaN'; }],
    ['unsafe integer count', 0, (e: any) => { e.count = 2 ** 60; }],
    ['confidence above one', 0, (e: any) => { e.confidence = 1.5; }],
    ['unknown kind', 0, (e: any) => { e.kind = 'keystrokes'; }],
    ['tool on an agent event', 4, (e: any) => { e.tool = 'claude-code'; }],
    ['tool id with path characters', 0, (e: any) => { e.tool = '../../etc/passwd'; }],
    ['unknown usage source', 2, (e: any) => { e.source = 'guess'; }],
    ['port out of range', 3, (e: any) => { e.dst_port = 70000; }],
    ['too many candidates', 3, (e: any) => { e.candidates = Array.from({ length: 1000 }, () => 'a'); }],
  ])('rejects %s', (_name, index, mutate) => {
    const e = clone(validBatch().events[index]!);
    mutate(e);
    expect(validateEvent(e).ok).toBe(false);
  });

  it('rejects prototype-pollution keys as unknown fields and leaves Object.prototype alone', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const text = JSON.stringify(validBatch().events[0]).replace('{', `{"${key}":{"polluted":true},`);
      const parsed = JSON.parse(text);
      expect(validateEvent(parsed).ok).toBe(false);
      const batch = JSON.parse(JSON.stringify(validBatch()).replace('{', `{"${key}":{"polluted":true},`));
      expect(validateBatch(batch).ok).toBe(false);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('caps the number of reported issues on garbage input', () => {
    const garbage = { events: Array.from({ length: 500 }, (_, i) => ({ kind: 'process', n: i })) };
    const r = validateBatch(garbage);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.length).toBeLessThanOrEqual(20);
  });

  it('never throws on arbitrary values', () => {
    const values: unknown[] = [null, undefined, 0, -1, '', 'x', [], [[]], { events: null }, Symbol.iterator, () => 1, new Date(), Buffer.from('x'), { a: { b: { c: {} } } }];
    for (const v of values) {
      expect(() => validateBatch(v)).not.toThrow();
      expect(() => validateEvent(v)).not.toThrow();
      expect(validateBatch(v).ok).toBe(false);
    }
  });
});

describe('enrollment', () => {
  const ok = {
    protocol_version: 1, enrollment_secret: 's3cret', agent_version: '0.1.0',
    public_key: 'MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=',
    host: validBatch().host,
  };
  it('accepts a well-formed request', () => expect(validateEnrollRequest(ok).ok).toBe(true));
  it('rejects a key that is not base64', () => expect(validateEnrollRequest({ ...ok, public_key: '<script>'.repeat(10) }).ok).toBe(false));
  it('rejects an empty secret', () => expect(validateEnrollRequest({ ...ok, enrollment_secret: '' }).ok).toBe(false));
});

describe('uuidv7', () => {
  it('makes ids that validate, sort by time and carry their timestamp', () => {
    const t = Date.UTC(2026, 10, 22, 12, 0, 0);
    const a = uuidv7(t);
    const b = uuidv7(t + 1);
    expect(a < b).toBe(true);
    expect(uuidv7Time(a)).toBe(t);
    expect(new Set(Array.from({ length: 1000 }, () => uuidv7())).size).toBe(1000);
  });
});

describe('JSON Schema export', () => {
  it('is current: protocol/schema/*.json equals what the TypeBox schemas generate', () => {
    for (const [name, schema] of Object.entries(jsonSchemas())) {
      const file = new URL(`../schema/${name}.json`, import.meta.url);
      const committed = JSON.parse(readFileSync(file, 'utf8'));
      expect(committed, `${name}.json is stale: run npm run gen -w protocol`).toEqual(schema);
    }
  });
});
