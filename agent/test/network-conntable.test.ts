import { readFileSync, realpathSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConnectionTable, normalizeAddress } from '../src/network/conntable.js';
import { parseLsofFields, parsePsComm, splitHostPort } from '../src/network/conntable-darwin.js';
import { parseProcNet, procNetAddress, scanLinux } from '../src/network/conntable-linux.js';
import { parseNetstatAno, parseTasklistCsv } from '../src/network/conntable-windows.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'network');
const fixture = (name: string) => readFileSync(path.join(FIX, name), 'utf8');

describe('Linux /proc/net parsing', () => {
  it('decodes little-endian IPv4 and IPv6 words', () => {
    expect(procNetAddress('0100007F')).toBe('127.0.0.1');
    expect(procNetAddress('00000000000000000000000001000000')).toBe('::1');
    expect(procNetAddress('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1');
    expect(procNetAddress('B80D0120000000000000000001000000')).toBe('2001:db8::1');
    expect(procNetAddress('zz')).toBeNull();
  });

  it('parses real tcp and tcp6 tables (captured from this kernel)', () => {
    const v4 = parseProcNet(fixture('conntable-proc-net-tcp.txt'), 'tcp');
    expect(v4.malformed).toBe(0);
    expect(v4.rows.find((r) => r.entry.localPort === 0xd1e6)).toMatchObject({
      uid: 0,
      inode: 104518,
      entry: { localAddress: '127.0.0.1', remoteAddress: '127.0.0.1', remotePort: 18556, state: 'ESTABLISHED' },
    });
    const v6 = parseProcNet(fixture('conntable-proc-net-tcp6.txt'), 'tcp');
    expect(v6.malformed).toBe(0);
    expect(v6.rows[0]!.entry).toMatchObject({ localAddress: '::', localPort: 18556, state: 'LISTEN' });
    expect(v6.rows.find((r) => r.entry.localPort === 0x8ca8)!.entry).toMatchObject({ localAddress: '::1', remotePort: 18556 });
  });

  it('counts malformed lines instead of failing', () => {
    const r = parseProcNet('header\n  0: nonsense\n  1: 0100007F:0050 0100007F:1F90 01 0:0 0:0 0 1000 0 77\n', 'tcp');
    expect(r.malformed).toBe(1);
    expect(r.rows).toHaveLength(1);
  });

  it.skipIf(process.platform !== 'linux')('finds the pid, executable and user owning a real loopback connection', async () => {
    const server = net.createServer(() => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => client.on('connect', r));
    try {
      const { table } = await scanLinux();
      const packet = { transport: 'tcp' as const, src: '127.0.0.1', sport: client.localPort!, dst: '127.0.0.1', dport: port };
      const owner = table.ownerOf(packet);
      expect(owner).toMatchObject({ pid: process.pid, exe: realpathSync(process.execPath), user: os.userInfo().username, state: 'ESTABLISHED' });
      // The reply direction is attributed too (on loopback both ends are local: it finds the server's side).
      expect(table.ownerOf({ ...packet, src: packet.dst, sport: packet.dport, dst: packet.src, dport: packet.sport })).toMatchObject({ pid: process.pid });
    } finally {
      client.destroy();
      server.close();
    }
  });
});

describe('macOS lsof -F parsing (real lsof output)', () => {
  it('reads processes, users and sockets', () => {
    const { entries, malformed } = parseLsofFields(fixture('conntable-lsof-F.txt'));
    expect(malformed).toBe(0);
    expect(entries.length).toBeGreaterThanOrEqual(6);
    expect(entries.every((e) => e.exe === 'node' && e.user === 'root' && Number.isInteger(e.pid))).toBe(true);
    expect(entries.find((e) => e.state === 'LISTEN')).toMatchObject({ localAddress: '0.0.0.0', localPort: 18555, transport: 'tcp' });
    expect(entries.find((e) => e.localAddress === '::1' && e.remotePort === 18555)).toMatchObject({ remoteAddress: '::1', state: 'ESTABLISHED' });
    expect(entries.find((e) => e.transport === 'udp')).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: 443, state: 'ESTABLISHED' });
  });

  it('splits host:port forms', () => {
    expect(splitHostPort('[fe80::1%12]:443')).toEqual({ address: 'fe80::1%12', port: 443 });
    expect(splitHostPort('*:*')).toEqual({ address: '0.0.0.0', port: 0 });
    expect(splitHostPort('10.0.0.1:99999')).toBeNull();
    expect(normalizeAddress('FE80::1%12')).toBe('fe80::1');
  });

  it('reads ps comm paths', () => {
    const m = parsePsComm('  1 /sbin/launchd\n 812 /Applications/Claude.app/Contents/MacOS/Claude\n');
    expect(m.get(812)).toBe('/Applications/Claude.app/Contents/MacOS/Claude');
  });
});

describe('Windows netstat -ano and tasklist parsing', () => {
  it('reads TCP and UDP rows in IPv4 and IPv6, with zones', () => {
    const { entries, malformed } = parseNetstatAno(fixture('conntable-netstat-ano.txt'));
    expect(malformed).toBe(0);
    expect(entries).toHaveLength(13);
    expect(entries[3]).toEqual({
      transport: 'tcp',
      localAddress: '192.168.1.34',
      localPort: 51544,
      remoteAddress: '160.79.104.10',
      remotePort: 443,
      state: 'ESTABLISHED',
      pid: 11240,
      exe: null,
      user: null,
    });
    expect(entries.find((e) => e.remoteAddress === '2606:4700::6812:202f')).toMatchObject({ pid: 11240, localPort: 51580 });
    expect(entries.find((e) => e.state === 'SYN_SENT')).toMatchObject({ localAddress: 'fe80::5c2e:8a1b:3d4f:9e01%12', pid: 8764 });
    expect(entries.filter((e) => e.transport === 'udp').every((e) => e.state === 'UNCONN' && e.remotePort === 0)).toBe(true);
  });

  it('names processes from tasklist and attributes a flow', () => {
    const names = parseTasklistCsv(fixture('conntable-tasklist-csv.txt'));
    expect(names.get(11240)).toBe('claude.exe');
    const { entries } = parseNetstatAno(fixture('conntable-netstat-ano.txt'));
    for (const e of entries) e.exe = e.pid === null ? null : (names.get(e.pid) ?? null);
    const table = new ConnectionTable(entries);
    expect(table.ownerOf({ transport: 'tcp', src: '192.168.1.34', sport: 51544, dst: '160.79.104.10', dport: 443 })?.exe).toBe('claude.exe');
    // QUIC from an unconnected UDP socket is attributed by its local port.
    expect(table.ownerOf({ transport: 'udp', src: '192.168.1.34', sport: 62011, dst: '142.250.1.1', dport: 443 })?.exe).toBe('claude.exe');
    // A TCP listener does not own an unknown client connection.
    expect(table.ownerOf({ transport: 'tcp', src: '10.0.0.9', sport: 135, dst: '10.0.0.1', dport: 50000 })).toBeNull();
  });
});

describe('text parsers under fuzz (bounded)', () => {
  it('never throw on mutated real outputs', async () => {
    const { parseIpconfigDisplayDns } = await import('../src/network/dns-cache.js');
    let s = 7;
    const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const inputs: [string, (t: string) => unknown][] = [
      [fixture('conntable-proc-net-tcp6.txt'), (t) => parseProcNet(t, 'tcp')],
      [fixture('conntable-lsof-F.txt'), parseLsofFields],
      [fixture('conntable-netstat-ano.txt'), parseNetstatAno],
      [fixture('conntable-tasklist-csv.txt'), parseTasklistCsv],
      [fixture('dns-cache-ipconfig-displaydns.txt'), parseIpconfigDisplayDns],
    ];
    for (let i = 0; i < 2000; i++) {
      const [text, parse] = inputs[i % inputs.length]!;
      const chars = [...text];
      for (let k = 0; k < 1 + Math.floor(rand() * 20); k++) chars[Math.floor(rand() * chars.length)] = String.fromCharCode(Math.floor(rand() * 128));
      const cut = chars.slice(0, Math.floor(rand() * chars.length + 1)).join('');
      expect(() => parse(cut)).not.toThrow();
    }
  });
});
