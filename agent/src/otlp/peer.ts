import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { parsePasswd } from '../sensors/homes.js';

/**
 * The uid owning the local end of a loopback TCP connection, from /proc/net/tcp{,6} (Linux): the
 * sender's socket has local port `clientPort` and remote port `serverPort`. Null elsewhere or
 * when the socket is gone.
 */
export async function loopbackPeerUid(clientPort: number, serverPort: number, procNet = '/proc/net'): Promise<number | null> {
  const local = clientPort.toString(16).toUpperCase().padStart(4, '0');
  const remote = serverPort.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = await readFile(`${procNet}/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      if (f[1]?.endsWith(`:${local}`) && f[2]?.endsWith(`:${remote}`)) {
        const uid = Number(f[7]);
        if (Number.isInteger(uid)) return uid;
      }
    }
  }
  return null;
}

/**
 * Resolves who sent an OTLP request on this machine: the owner of the client socket, by name.
 * Falls back to null (the caller then uses its default user) off Linux or when unresolvable.
 */
export function peerUserResolver(options: { procNet?: string; passwdFile?: string } = {}) {
  let names: Map<number, string> | null = null;
  return async (clientPort: number, serverPort: number): Promise<string | null> => {
    if (process.platform !== 'linux' && options.procNet === undefined) return null;
    const uid = await loopbackPeerUid(clientPort, serverPort, options.procNet);
    if (uid === null) return null;
    if (names === null) {
      names = new Map();
      try {
        for (const e of parsePasswd(await readFile(options.passwdFile ?? '/etc/passwd', 'utf8'))) names.set(e.uid, e.name);
      } catch {
        // No passwd file: fall through to the current user or a uid name.
      }
      const self = os.userInfo();
      if (!names.has(self.uid)) names.set(self.uid, self.username);
    }
    return names.get(uid) ?? `uid:${uid}`;
  };
}
