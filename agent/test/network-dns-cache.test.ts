import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DnsCacheDiff, parseDnsClientCacheJson, parseIpconfigDisplayDns, resolveCache } from '../src/network/dns-cache.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'network');
const fixture = (name: string) => readFileSync(path.join(FIX, name), 'utf8');

describe('ipconfig /displaydns', () => {
  it('reads A, AAAA and CNAME records grouped by the name looked up', () => {
    const { records, malformed } = parseIpconfigDisplayDns(fixture('dns-cache-ipconfig-displaydns.txt'));
    expect(malformed).toBe(0);
    expect(records).toHaveLength(7);
    expect(records[0]).toEqual({ entry: 'api.anthropic.com', name: 'api.anthropic.com', type: 'A', data: '160.79.104.10', ttl: 187 });
    const resolved = resolveCache(records);
    expect(resolved.map((r) => r.name)).toEqual(['api.anthropic.com', 'chatgpt.com', 'copilot-proxy.githubusercontent.com', 'api.openai.com', 'localhost']);
    expect(resolved.find((r) => r.name === 'chatgpt.com')!.addresses.map((a) => a.address)).toEqual(['104.18.32.47', '172.64.155.209']);
    expect(resolved.find((r) => r.name === 'copilot-proxy.githubusercontent.com')).toEqual({
      name: 'copilot-proxy.githubusercontent.com',
      cnames: ['githubcopilot.trafficmanager.net'],
      addresses: [{ address: '20.199.39.224', ttl: 34 }],
    });
    expect(resolved.find((r) => r.name === 'api.openai.com')!.addresses).toEqual([{ address: '2606:4700::6812:202f', ttl: 241 }]);
  });

  it('ignores empty and garbage input', () => {
    expect(parseIpconfigDisplayDns('')).toEqual({ records: [], malformed: 0 });
    expect(parseIpconfigDisplayDns('\x00\x01 : : :\n----------\n').records).toEqual([]);
  });
});

describe('Get-DnsClientCache | ConvertTo-Json', () => {
  it('reads the same names as ipconfig and skips negative entries', () => {
    const { records, malformed } = parseDnsClientCacheJson(fixture('dns-cache-get-dnsclientcache.json'));
    expect(malformed).toBe(0);
    expect(records).toHaveLength(4);
    const resolved = resolveCache(records);
    expect(resolved.find((r) => r.name === 'copilot-proxy.githubusercontent.com')!.addresses).toEqual([{ address: '20.199.39.224', ttl: 34 }]);
    expect(resolved.map((r) => r.name)).not.toContain('wpad');
  });

  it('accepts a single object (one cache entry) and a BOM', () => {
    const one = '\uFEFF{"Entry":"claude.ai","Name":"claude.ai","Type":1,"Status":0,"Section":1,"TimeToLive":5,"DataLength":4,"Data":"160.79.104.10"}';
    expect(parseDnsClientCacheJson(one).records).toHaveLength(1);
  });

  it('counts rows of the wrong shape and throws a SyntaxError on non-JSON', () => {
    expect(parseDnsClientCacheJson('[{"Entry":1,"Status":0,"Data":"x"}, 5]').malformed).toBe(2);
    expect(() => parseDnsClientCacheJson('Get-DnsClientCache : not recognized')).toThrow(SyntaxError);
  });
});

describe('polling diff', () => {
  it('reports only names and addresses not seen in an earlier poll', () => {
    const diff = new DnsCacheDiff();
    const first = resolveCache(parseIpconfigDisplayDns(fixture('dns-cache-ipconfig-displaydns.txt')).records);
    expect(diff.fresh(first)).toHaveLength(5);
    expect(diff.fresh(first)).toEqual([]);
    const changed = [{ name: 'chatgpt.com', cnames: [], addresses: [{ address: '104.18.33.47', ttl: 60 }] }];
    expect(diff.fresh(changed)).toEqual(changed);
  });
});
