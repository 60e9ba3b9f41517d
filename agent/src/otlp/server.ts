import http from 'node:http';
import net from 'node:net';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { SensorHealthCounter } from '../sensors/health.js';
import type { UsageDedup } from '../usage/dedup.js';
import type { UsageRecord } from '../usage/types.js';
import { decodeLogsJson, decodeMetricsJson } from './json.js';
import { OTLP_LIMITS, OtlpDecodeError, OtlpTooLarge, type OtlpLimits } from './model.js';
import { peerUserResolver } from './peer.js';
import { decodeLogsProto, decodeMetricsProto, encodeStatusProto } from './protobuf.js';
import { CumulativeToDelta } from './temporality.js';
import { usageFromLog, usageFromMetrics } from './to-usage.js';

const gunzipP = promisify(gunzip);

export interface OtlpReceiverOptions {
  /** Loopback address only: 127.0.0.1 (default), ::1 or localhost. Anything else is refused. */
  host?: string;
  /** 4318 is the OTLP/HTTP default; 0 picks a free port. */
  port: number;
  /** Gets the usage records of each request; a rejection answers 503 so the exporter retries. */
  onRecords: (records: UsageRecord[]) => void | Promise<void>;
  /** Attributed when the sender cannot be resolved (the agent's console user). */
  defaultUser: string;
  /** Who sent a request, from the client and server ports; default: socket owner via /proc (Linux). */
  resolveUser?: (clientPort: number, serverPort: number) => Promise<string | null>;
  /** Shared with the log reader: records it has already counted are not passed on. */
  dedup?: UsageDedup;
  limits?: Partial<OtlpLimits>;
  health?: SensorHealthCounter;
  now?: () => number;
}

export interface OtlpReceiver {
  host: string;
  port: number;
  health: SensorHealthCounter;
  close(): Promise<void>;
}

/** Throws unless `host` is a loopback address: the receiver has no authentication. */
export function assertLoopback(host: string): void {
  const ok = host === 'localhost' || host === '::1' || (net.isIPv4(host) && host.startsWith('127.'));
  if (!ok) throw new Error(`OTLP receiver must bind to a loopback address (127.0.0.1, ::1 or localhost), not "${host}"`);
}

type Encoding = 'json' | 'proto';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function reply(res: http.ServerResponse, status: number, encoding: Encoding, message?: string): void {
  // Success: an empty Export*ServiceResponse. Failure: a google.rpc.Status (code 3 INVALID_ARGUMENT,
  // 8 RESOURCE_EXHAUSTED, 14 UNAVAILABLE), in the request's encoding.
  const code = status === 413 ? 8 : status === 503 ? 14 : 3;
  let body: Buffer;
  if (encoding === 'proto') body = status === 200 ? Buffer.alloc(0) : encodeStatusProto(code, message ?? '');
  else body = Buffer.from(status === 200 ? '{}' : JSON.stringify({ code, message: message ?? '' }));
  res.writeHead(status, {
    'content-type': encoding === 'proto' ? 'application/x-protobuf' : 'application/json',
    'content-length': body.length,
    ...(status === 503 ? { 'retry-after': '5' } : {}),
  });
  res.end(body);
}

async function readBody(req: http.IncomingMessage, limits: OtlpLimits): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBodyBytes) throw new HttpError(413, 'body too large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limits.maxBodyBytes) throw new HttpError(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks);
  const enc = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (enc === 'identity' || enc === '') return raw;
  if (enc !== 'gzip') throw new HttpError(415, `unsupported content-encoding ${enc}`);
  try {
    return await gunzipP(raw, { maxOutputLength: limits.maxDecodedBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new HttpError(413, 'decompressed body too large');
    throw new HttpError(400, 'bad gzip body');
  }
}

/**
 * A local OTLP/HTTP receiver (POST /v1/metrics and /v1/logs, JSON or protobuf, optionally
 * gzipped) for AI tools' OpenTelemetry exports. Turns token events and counters into usage
 * records, stamped with the sending user, deduplicated against the log reader when given its
 * dedup. Bound to loopback only.
 */
export async function startOtlpReceiver(options: OtlpReceiverOptions): Promise<OtlpReceiver> {
  const host = options.host ?? '127.0.0.1';
  assertLoopback(host);
  const limits = { ...OTLP_LIMITS, ...options.limits };
  const health = options.health ?? new SensorHealthCounter('otlp');
  const now = options.now ?? Date.now;
  const resolveUser = options.resolveUser ?? peerUserResolver();
  const deltas = new CumulativeToDelta(BigInt(now()) * 1_000_000n);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    const encoding: Encoding = type === 'application/x-protobuf' ? 'proto' : 'json';
    const url = (req.url ?? '').split('?')[0];
    if (url !== '/v1/metrics' && url !== '/v1/logs') throw new HttpError(404, 'not found');
    if (req.method !== 'POST') throw new HttpError(405, 'POST only');
    if (type !== 'application/json' && type !== 'application/x-protobuf') {
      throw new HttpError(415, 'content-type must be application/json or application/x-protobuf');
    }
    const body = await readBody(req, limits);
    let user: string | null = null;
    try {
      user = await resolveUser(req.socket.remotePort ?? 0, req.socket.localPort ?? 0);
    } catch {
      user = null;
    }
    user ??= options.defaultUser;
    let records: UsageRecord[];
    try {
      let parsed: unknown = null;
      if (encoding === 'json') {
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          throw new OtlpDecodeError('body is not JSON');
        }
      }
      if (url === '/v1/metrics') {
        const points = encoding === 'json' ? decodeMetricsJson(parsed, limits) : decodeMetricsProto(body, limits);
        records = usageFromMetrics(points, user, deltas);
      } else {
        const logs = encoding === 'json' ? decodeLogsJson(parsed, limits) : decodeLogsProto(body, limits);
        const t = now();
        records = logs.map((l) => usageFromLog(l, user, t)).filter((r): r is UsageRecord => r !== null);
      }
    } catch (err) {
      if (err instanceof OtlpTooLarge) throw new HttpError(413, err.message);
      if (err instanceof OtlpDecodeError) throw new HttpError(400, err.message);
      throw err;
    }
    const admitted: UsageRecord[] = [];
    for (const r of records) {
      const out = options.dedup ? options.dedup.admit(r).record : r;
      if (out) admitted.push(out);
    }
    if (admitted.length > 0) {
      try {
        await options.onRecords(admitted);
      } catch {
        health.count('other');
        throw new HttpError(503, 'could not store the records, retry later');
      }
      for (let i = 0; i < admitted.length; i++) health.observed();
    }
    reply(res, 200, encoding);
  }

  const server = http.createServer((req, res) => {
    const type = String(req.headers['content-type'] ?? '').toLowerCase();
    const encoding: Encoding = type.startsWith('application/x-protobuf') ? 'proto' : 'json';
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 413) health.drop();
      else if (status === 400) health.count('parse');
      else if (status >= 500) health.count('other');
      if (!res.headersSent) {
        reply(res, status, encoding, err instanceof HttpError ? err.message : 'internal error');
        // Stop reading a body we refused (too large): the client sees the answer and the close.
        if (status === 413) req.destroy();
      }
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.maxHeadersCount = 100;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : options.port;
  return {
    host,
    port,
    health,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
