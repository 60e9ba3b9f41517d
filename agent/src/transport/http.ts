import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface TlsFiles {
  ca_file?: string | undefined;
  client_cert_file?: string | undefined;
  client_key_file?: string | undefined;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A network or TLS failure (no HTTP answer at all); `code` is Node's (ECONNREFUSED, CERT_HAS_EXPIRED...). */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs to the collector over http (loopback only, checked by the config) or https with the
 * configured CA bundle and optional client certificate (mTLS). One keep-alive agent per client.
 */
export class CollectorClient {
  private readonly agent: http.Agent;
  private readonly isHttps: boolean;
  readonly base: URL;

  constructor(collectorUrl: string, tls: TlsFiles = {}) {
    this.base = new URL(collectorUrl);
    this.isHttps = this.base.protocol === 'https:';
    if (this.isHttps) {
      // Files are read once here; a SIGHUP rebuilds the client and re-reads them.
      const read = (file: string | undefined): Buffer | undefined => (file ? readFileSync(file) : undefined);
      this.agent = new https.Agent({
        keepAlive: true,
        maxSockets: 2,
        ca: read(tls.ca_file),
        cert: read(tls.client_cert_file),
        key: read(tls.client_key_file),
      });
    } else {
      this.agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    }
  }

  post(pathname: string, body: Buffer, headers: Record<string, string>, timeoutMs = 30_000): Promise<HttpResponse> {
    const url = new URL(pathname.replace(/^\//, ''), this.base.href.endsWith('/') ? this.base.href : `${this.base.href}/`);
    const mod = this.isHttps ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        url,
        { method: 'POST', agent: this.agent, headers: { ...headers, 'content-length': String(body.length) }, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (err: NodeJS.ErrnoException) => reject(new TransportError(err.message, err.code ?? 'ERESPONSE')));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer from the collector within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => reject(new TransportError(err.message, err.code ?? 'ENETWORK')));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
