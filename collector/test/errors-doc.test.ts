import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../src/errors.js';

describe('docs/errors.md', () => {
  it('lists exactly the codes of src/errors.ts, with the same status and message', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \| ([^|]+) \|/gm)].map((m) => ({ code: m[1]!, status: Number(m[2]), message: m[3]!.trim() }));
    expect(rows).toEqual(Object.entries(ERRORS).map(([code, e]) => ({ code, status: e.status, message: e.message })));
  });
});
