import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigParseError, parseBinaryPlist, parseRegQuery, parseXmlPlist } from '../src/config/index.js';

const fixtures = resolve(fileURLToPath(import.meta.url), '../fixtures/config');
const fixture = (name: string) => readFile(join(fixtures, name));

describe('binary plist parser', () => {
  it('decodes every object type plistlib writes', async () => {
    const v = parseBinaryPlist(await fixture('all-types-binary.plist')) as Record<string, unknown>;
    expect(v).toMatchObject({
      ascii: 'plain',
      utf16: 'naïve ☃',
      int1: 7,
      int2: 300,
      int4: 70000,
      int8: 2 ** 40,
      negative: -5,
      real: 0.25,
      true: true,
      false: false,
      array: ['a', 1, [true]],
      long_string: 'x'.repeat(40),
      empty_dict: {},
    });
    expect((v.date as Date).toISOString()).toBe('2024-05-01T12:30:00.000Z');
    expect([...(v.data as Uint8Array)]).toEqual([0, 1, 0xfe, 0xff]);
  });

  /** A hand-built bplist: objects, an offset table and a trailer, so each field can be made hostile. */
  function bplist(objects: number[][], top = 0, refSize = 1, offsetSize = 1): Buffer {
    const parts: number[] = [...Buffer.from('bplist00')];
    const offsets: number[] = [];
    for (const o of objects) {
      offsets.push(parts.length);
      parts.push(...o);
    }
    const tableOffset = parts.length;
    for (const off of offsets) parts.push(off);
    const trailer = Buffer.alloc(32);
    trailer[6] = offsetSize;
    trailer[7] = refSize;
    trailer.writeBigUInt64BE(BigInt(objects.length), 8);
    trailer.writeBigUInt64BE(BigInt(top), 16);
    trailer.writeBigUInt64BE(BigInt(tableOffset), 24);
    return Buffer.concat([Buffer.from(parts), trailer]);
  }

  it('reads a minimal hand-built file', () => {
    // dict { "a": 5 }: object 0 dict (1 pair, key ref 1, value ref 2), 1 ascii "a", 2 int 5
    expect(parseBinaryPlist(bplist([[0xd1, 1, 2], [0x51, 0x61], [0x10, 5]]))).toEqual({ a: 5 });
  });

  it('refuses a cycle instead of recursing forever', () => {
    // array [ itself ]
    expect(() => parseBinaryPlist(bplist([[0xa1, 0]]))).toThrow(/cycle/);
    // dict whose value is an array containing the dict
    expect(() => parseBinaryPlist(bplist([[0xd1, 1, 2], [0x51, 0x61], [0xa1, 0]]))).toThrow(/cycle/);
  });

  it('caps shared references that would expand exponentially', () => {
    // object i is [i+1, i+1]: a DAG of 40 objects that would expand to 2^40 nodes.
    const objects = Array.from({ length: 40 }, (_, i) => (i === 39 ? [0x10, 1] : [0xa2, i + 1, i + 1]));
    expect(() => parseBinaryPlist(bplist(objects))).toThrow(ConfigParseError);
  });

  it('refuses out-of-range references, offsets, lengths and trailers', () => {
    expect(() => parseBinaryPlist(bplist([[0xa1, 9]]))).toThrow(/reference out of range/);
    expect(() => parseBinaryPlist(bplist([[0x5f, 0x10, 200, 0x61]]))).toThrow(/past the object area/);
    expect(() => parseBinaryPlist(bplist([[0x10, 1]], 5))).toThrow(/top object/);
    const badOffset = bplist([[0x10, 1]]);
    badOffset[badOffset.length - 33] = 250; // the one offset-table entry
    expect(() => parseBinaryPlist(badOffset)).toThrow(/past the object area/);
    const hugeCount = bplist([[0x10, 1]]);
    hugeCount.writeBigUInt64BE(0xffffffffffffffffn, hugeCount.length - 24);
    expect(() => parseBinaryPlist(hugeCount)).toThrow(/out of range/);
    const badSizes = bplist([[0x10, 1]], 0, 3);
    expect(() => parseBinaryPlist(badSizes)).toThrow(/reference size/);
    expect(() => parseBinaryPlist(Buffer.from('bplist00'))).toThrow(/too short/);
    expect(() => parseBinaryPlist(bplist([[0xd1, 2, 2], [0x51, 0x61], [0x10, 5]]))).toThrow(/key is not a string/);
  });

  it('never throws anything but ConfigParseError on random damage', async () => {
    const good = await fixture('managed-preferences-binary.plist');
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 2000; i++) {
      const buf = Buffer.from(good);
      for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) buf[8 + Math.floor(rnd() * (buf.length - 8))] = Math.floor(rnd() * 256);
      try {
        parseBinaryPlist(buf);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigParseError);
      }
    }
  });
});

describe('XML plist parser', () => {
  it('reads a managed preferences file with comments, entities and nesting', async () => {
    expect(parseXmlPlist((await fixture('managed-preferences.plist')).toString())).toEqual({
      PayloadUUID: '6F1A2B3C-0000-4000-8000-000000000001',
      collector_url: 'https://collector.example.com',
      enrollment_secret: 'plist-enroll-secret-0003',
      team: 'Design & Research',
      intervals: { processes: 90, extensions: 7200 },
      limits: { max_cpu_percent: 3.5 },
      sensors: { network: false, usage_logs: true },
    });
  });

  it('reads every value type', () => {
    const v = parseXmlPlist(
      '<plist version="1.0"><dict><key>a</key><array><string/><string><![CDATA[<x>]]></string><integer>-3</integer>' +
        '<real>1e3</real><true/><date>2024-01-02T03:04:05Z</date><data>AAH+/w==</data><string>&#x263A;&#65;&lt;</string></array></dict></plist>',
    ) as { a: unknown[] };
    expect(v.a.slice(0, 5)).toEqual(['', '<x>', -3, 1000, true]);
    expect((v.a[5] as Date).toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect([...(v.a[6] as Uint8Array)]).toEqual([0, 1, 0xfe, 0xff]);
    expect(v.a[7]).toBe('☺A<');
  });

  it('refuses malformed documents with a clear error', () => {
    const bad = [
      '<dict></dict>',
      '<plist><dict><key>a</key></dict></plist>',
      '<plist><dict><string>x</string></dict></plist>',
      '<plist><integer>12abc</integer></plist>',
      '<plist><integer>99999999999999999999</integer></plist>',
      '<plist><string>a &bogus; b</string></plist>',
      '<plist><string>unterminated</plist>',
      '<plist><dict/></plist><plist/>',
      '<plist><script/></plist>',
      `<plist>${'<array>'.repeat(200)}${'</array>'.repeat(200)}</plist>`,
      // XML 1.0 forbids "--" inside a comment; plutil and plistlib refuse these files too.
      '<!-- a -- b --><plist><true/></plist>',
      '<plist><string>x<!-- trailing ---></string></plist>',
    ];
    for (const doc of bad) expect(() => parseXmlPlist(doc), doc.slice(0, 40)).toThrow(ConfigParseError);
  });

  it('accepts well-formed comments in the prolog and in text', () => {
    expect(parseXmlPlist('<!-- managed by Jamf - do not edit --><plist><string>a<!-- note -->b</string></plist>')).toBe('ab');
  });

  it('treats a "__proto__" key as a plain key', () => {
    const v = parseXmlPlist('<plist><dict><key>__proto__</key><dict><key>polluted</key><true/></dict></dict></plist>') as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('reg query output parser', () => {
  it('reads the policy key and its subkeys as nested settings', async () => {
    const text = (await fixture('reg-query-policy.txt')).toString();
    expect(parseRegQuery(text, 'HKLM\\SOFTWARE\\Policies\\aiscout', { PROGRAMDATA: 'C:\\ProgramData' })).toEqual({
      collector_url: 'https://collector.corp.example',
      enrollment_secret: 'reg-enroll-secret-0005',
      Team: 'Finance',
      window_seconds: 600,
      state_dir: 'C:\\ProgramData\\aiscout\\state',
      intervals: { processes: 120, heartbeat: 900 },
      privacy: { pseudonymize_users: 1, pseudonym_key: 'reg-pseudonym-key-0123456789', hostname: 'hash' },
      sensors: { network: 0, browser_extensions: 1 },
      spool: { max_bytes: 1073741824 },
    });
  });

  it('decodes every value type reg prints', async () => {
    const text = (await fixture('reg-query-types.txt')).toString();
    const v = parseRegQuery(text, 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\aiscout', { SystemRoot: 'C:\\Windows' });
    expect(v).toMatchObject({
      'Name With Spaces': 'a  b',
      list: ['one', 'two', 'three'],
      empty_list: [],
      path: 'C:\\Windows\\x\\%UNKNOWN_VAR%',
      big: Number.MAX_SAFE_INTEGER,
      flag: 0xffffffff,
      a: { b: { deep: 'yes' } },
    });
    expect([...(v.blob as Uint8Array)]).toEqual([0, 255, 16]);
    expect(v['(Default)']).toBeUndefined();
  });

  it('refuses output it does not understand', () => {
    const key = 'HKLM\\SOFTWARE\\Policies\\aiscout';
    expect(() => parseRegQuery('\r\n    x    REG_SZ    y\r\n', key)).toThrow(/before any key/);
    expect(() => parseRegQuery('HKEY_LOCAL_MACHINE\\SOFTWARE\\Other\r\n', key)).toThrow(/outside/);
    expect(() => parseRegQuery('HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\aiscout\r\n    n    REG_DWORD    12\r\n', key)).toThrow(/malformed REG_DWORD/);
    expect(() => parseRegQuery('HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\aiscout\r\n    n    REG_QWORD    0xffffffffffffffff\r\n', key)).toThrow(/out of range/);
    expect(() => parseRegQuery('HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\aiscout\r\nsomething else\r\n', key)).toThrow(/unrecognized/);
  });
});
