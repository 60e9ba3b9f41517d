/**
 * Windows without Npcap: the DNS client cache, polled, tells which names this machine resolved.
 * Two sources, tried in order: `Get-DnsClientCache | Select-Object … | ConvertTo-Json` (PowerShell)
 * and `ipconfig /displaydns` (English output). Both parse into DnsCacheRecord rows grouped by the
 * cache entry (the name that was asked for); CNAME chains stay inside their entry.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface DnsCacheRecord {
  /** The name that was looked up (cache entry). */
  entry: string;
  /** The record's owner name (differs from entry along a CNAME chain). */
  name: string;
  type: 'A' | 'AAAA' | 'CNAME' | 'other';
  data: string;
  ttl: number;
}

export interface ResolvedEntry {
  name: string;
  addresses: { address: string; ttl: number }[];
  cnames: string[];
}

export const DNS_CACHE_LIMITS = {
  /** Records read per poll. */
  records: 20_000,
  /** (name, address) pairs remembered between polls, to report only what is new. */
  remembered: 50_000,
  outputBytes: 16 * 1024 * 1024,
} as const;

const TYPE_NAMES: Record<number, DnsCacheRecord['type']> = { 1: 'A', 5: 'CNAME', 28: 'AAAA' };

function hostLike(s: string): boolean {
  return s.length > 0 && s.length <= 253 && /^[A-Za-z0-9._-]+$/.test(s);
}

/** Parses `ipconfig /displaydns`; entries without records ("Name does not exist.") are skipped. */
export function parseIpconfigDisplayDns(text: string): { records: DnsCacheRecord[]; malformed: number } {
  const records: DnsCacheRecord[] = [];
  let malformed = 0;
  const lines = text.split(/\r?\n/);
  let entry: string | null = null;
  let cur: { name?: string; type?: number; ttl?: number } = {};
  for (let i = 0; i < lines.length && records.length < DNS_CACHE_LIMITS.records; i++) {
    const line = lines[i]!.trim();
    // An entry header is a name line followed by a dashed rule.
    if (/^-{10,}$/.test(lines[i + 1]?.trim() ?? '') && line && !line.includes(':')) {
      entry = line.toLowerCase();
      cur = {};
      i++;
      continue;
    }
    const m = /^([A-Za-z()][A-Za-z() ]*?)[ .]*:\s(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.trim();
    const value = m[2]!.trim();
    if (key === 'Record Name') cur = { name: value.toLowerCase() };
    else if (key === 'Record Type') cur.type = Number(value);
    else if (key === 'Time To Live') cur.ttl = Number(value);
    else if (/Record$/.test(key) && key !== 'Record Name') {
      const type = TYPE_NAMES[cur.type ?? -1] ?? 'other';
      if (!cur.name || !entry || !Number.isFinite(cur.ttl) || !value) {
        malformed += 1;
        continue;
      }
      records.push({ entry, name: cur.name, type, data: type === 'CNAME' ? value.toLowerCase() : value, ttl: cur.ttl! });
    }
  }
  return { records, malformed };
}

interface DnsClientCacheJson {
  Entry?: unknown;
  Name?: unknown;
  Type?: unknown;
  Status?: unknown;
  TimeToLive?: unknown;
  Data?: unknown;
}

/** Parses `Get-DnsClientCache | ConvertTo-Json` (an array, or one object when there is one entry). */
export function parseDnsClientCacheJson(text: string): { records: DnsCacheRecord[]; malformed: number } {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return { records: [], malformed: 0 };
  const parsed: unknown = JSON.parse(trimmed);
  const rows = (Array.isArray(parsed) ? parsed : [parsed]) as DnsClientCacheJson[];
  const records: DnsCacheRecord[] = [];
  let malformed = 0;
  for (const r of rows.slice(0, DNS_CACHE_LIMITS.records)) {
    if (typeof r !== 'object' || r === null) {
      malformed += 1;
      continue;
    }
    if (r.Status !== 0 || r.Data === null) continue; // negative cache entry (name does not exist...)
    const { Entry, Name, Type, TimeToLive, Data } = r;
    if (typeof Entry !== 'string' || typeof Name !== 'string' || typeof Type !== 'number' || typeof TimeToLive !== 'number' || typeof Data !== 'string') {
      malformed += 1;
      continue;
    }
    const type = TYPE_NAMES[Type] ?? 'other';
    records.push({ entry: Entry.toLowerCase(), name: Name.toLowerCase(), type, data: type === 'CNAME' ? Data.toLowerCase() : Data, ttl: TimeToLive });
  }
  return { records, malformed };
}

/** Groups records by entry: the addresses each looked-up name resolved to, through its CNAMEs. */
export function resolveCache(records: DnsCacheRecord[]): ResolvedEntry[] {
  const byEntry = new Map<string, ResolvedEntry>();
  for (const r of records) {
    if (!hostLike(r.entry)) continue;
    let e = byEntry.get(r.entry);
    if (!e) {
      e = { name: r.entry, addresses: [], cnames: [] };
      byEntry.set(r.entry, e);
    }
    if (r.type === 'CNAME') e.cnames.push(r.data);
    else if (r.type === 'A' || r.type === 'AAAA') e.addresses.push({ address: r.data, ttl: r.ttl });
  }
  return [...byEntry.values()];
}

const execFileP = promisify(execFile);

export type DnsCacheReader = () => Promise<{ records: DnsCacheRecord[]; malformed: number; source: string }>;

/** Reads the Windows DNS client cache: PowerShell first, ipconfig when PowerShell is missing or fails. */
export const readWindowsDnsCache: DnsCacheReader = async () => {
  const opts = { maxBuffer: DNS_CACHE_LIMITS.outputBytes, timeout: 30_000, windowsHide: true };
  try {
    const { stdout } = await execFileP(
      'powershell.exe',
      ['-NoProfile', '-NonInteractive', '-Command', 'Get-DnsClientCache | Select-Object Entry,Name,Type,Status,Section,TimeToLive,DataLength,Data | ConvertTo-Json -Compress'],
      opts,
    );
    return { ...parseDnsClientCacheJson(stdout), source: 'Get-DnsClientCache' };
  } catch {
    const { stdout } = await execFileP('ipconfig', ['/displaydns'], opts);
    return { ...parseIpconfigDisplayDns(stdout), source: 'ipconfig /displaydns' };
  }
};

/** Remembers what earlier polls reported so each poll yields only new (name, address) pairs. Bounded. */
export class DnsCacheDiff {
  private readonly seen = new Set<string>();

  fresh(entries: ResolvedEntry[]): ResolvedEntry[] {
    const out: ResolvedEntry[] = [];
    for (const e of entries) {
      const addrs = e.addresses.filter((a) => !this.seen.has(`${e.name}|${a.address}`));
      const isNewName = !this.seen.has(e.name);
      if (addrs.length === 0 && !isNewName) continue;
      for (const a of addrs) this.remember(`${e.name}|${a.address}`);
      this.remember(e.name);
      out.push({ ...e, addresses: addrs });
    }
    return out;
  }

  private remember(key: string): void {
    this.seen.add(key);
    if (this.seen.size > DNS_CACHE_LIMITS.remembered) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
