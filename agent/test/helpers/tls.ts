import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

export interface TestPki {
  caCert: string;
  otherCaCert: string;
  serverKey: string;
  serverCert: string;
  expiredCert: string;
}

/**
 * Real certificates made with the openssl CLI: a CA, a second (wrong) CA, a server certificate
 * for 127.0.0.1 signed by the first, and an expired one (validity in 2020, via `openssl ca`).
 */
export function makePki(dir: string): TestPki {
  const p = (n: string) => path.join(dir, n);
  for (const ca of ['ca', 'other-ca']) {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '30', '-subj', `/CN=aiscout test ${ca}`], dir);
  }
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(p('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '30', '-extfile', 'san.ext'], dir);
  // `openssl x509` cannot backdate in OpenSSL 3.0; `openssl ca` takes explicit start and end dates.
  writeFileSync(p('index.txt'), '');
  writeFileSync(p('serial'), '1000\n');
  writeFileSync(
    p('ca.cnf'),
    [
      '[ca]', 'default_ca = test', '[test]', `dir = ${dir}`, 'database = $dir/index.txt', 'new_certs_dir = $dir', 'serial = $dir/serial',
      'certificate = $dir/ca.pem', 'private_key = $dir/ca.key', 'default_md = sha256', 'policy = any', 'copy_extensions = none',
      'x509_extensions = ext', '[any]', 'commonName = supplied', '[ext]', 'subjectAltName = IP:127.0.0.1,DNS:localhost', '',
    ].join('\n'),
  );
  openssl(['ca', '-batch', '-config', 'ca.cnf', '-in', 'server.csr', '-out', 'expired.pem', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-notext'], dir);
  return { caCert: p('ca.pem'), otherCaCert: p('other-ca.pem'), serverKey: p('server.key'), serverCert: p('server.pem'), expiredCert: p('expired.pem') };
}

/** An HTTPS front (TLS terminated here) that forwards every request to the collector on loopback. */
export async function httpsProxy(target: () => number, key: string, cert: string): Promise<{ url: string; close: () => Promise<void> }> {
  const { readFileSync } = await import('node:fs');
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const up = http.request({ host: '127.0.0.1', port: target(), path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
