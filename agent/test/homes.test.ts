import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverHomes, parsePasswd } from '../src/sensors/homes.js';
import { FakeHomes } from './helpers/fake-home.js';

let homes: FakeHomes;
beforeEach(async () => {
  homes = await FakeHomes.create();
});
afterEach(async () => {
  await homes.dispose();
});

describe('discoverHomes', () => {
  it('as root on Linux: accounts with a real home and a login shell, plus root', async () => {
    const alice = await homes.home('alice');
    const bob = await homes.home('bob');
    const rootHome = await homes.home('root');
    const svc = await homes.home('svc');
    const passwd = path.join(homes.root, 'passwd');
    await writeFile(
      passwd,
      [
        `root:x:0:0:root:${rootHome.dir}:/bin/bash`,
        'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
        'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
        `svc:x:998:998::${svc.dir}:/bin/false`,
        `alice:x:1000:1000:Alice,,,:${alice.dir}:/bin/bash`,
        `bob:x:1001:1001::${bob.dir}:/usr/bin/zsh`,
        `ghost:x:1002:1002::${path.join(homes.root, 'gone')}:/bin/bash`,
        'broken line',
        '',
      ].join('\n'),
    );
    const found = await discoverHomes({ platform: 'linux', allUsers: true, passwdFile: passwd });
    expect(found).toEqual([
      { user: 'root', dir: rootHome.dir },
      { user: 'alice', dir: alice.dir },
      { user: 'bob', dir: bob.dir },
    ]);
  });

  it('as root on macOS / Windows: the folders under /Users or C:\\Users that are people', async () => {
    for (const name of ['alice', 'Shared', 'Public', 'Default', '.localized', 'bob']) await mkdir(path.join(homes.root, name));
    await writeFile(path.join(homes.root, 'desktop.ini'), '');
    for (const platform of ['darwin', 'win32'] as const) {
      const found = await discoverHomes({ platform, allUsers: true, usersDir: homes.root });
      expect(found.map((h) => h.user)).toEqual(['alice', 'bob']);
    }
  });

  it('unprivileged: only the current user', async () => {
    expect(await discoverHomes({ platform: 'linux', allUsers: false })).toEqual([{ user: os.userInfo().username, dir: os.homedir() }]);
  });

  it('parses /etc/passwd lines and skips malformed ones', () => {
    expect(parsePasswd('a:x:1:1::/home/a:/bin/sh\nnope\nb:x:notanumber:1::/h:/bin/sh\n')).toEqual([
      { name: 'a', uid: 1, home: '/home/a', shell: '/bin/sh' },
    ]);
  });
});
