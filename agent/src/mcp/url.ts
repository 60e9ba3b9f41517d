/** The parts of a server URL the inventory keeps: the host name and whether it is local or plain text. */
export interface UrlFacts {
  host: string | null;
  loopback: boolean;
  /** http:// or ws:// (no TLS). */
  plaintext: boolean;
}

const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}\.?)*$/;
const IPV6 = /^[0-9a-f:.]+$/;

export function isLoopbackHost(host: string): boolean {
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '::1' ||
    host === '0.0.0.0' ||
    host === 'host.docker.internal'
  );
}

/**
 * Host name of a URL (lower-case, no port, userinfo, path or query); null when the URL cannot be
 * parsed or its host is a template like `${API_HOST}`.
 */
export function urlFacts(raw: string): UrlFacts | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  if (!/^(?:https?|wss?):$/.test(url.protocol)) return null;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const valid = host.length > 0 && host.length <= 253 && (HOST_NAME.test(host) || (host.includes(':') && IPV6.test(host)));
  const loopback = valid && isLoopbackHost(host);
  return { host: valid ? host : null, loopback, plaintext: url.protocol === 'http:' || url.protocol === 'ws:' };
}

/** Transport a URL implies when the config does not say: ws(s) is WebSocket, a path ending in /sse is SSE. */
export function transportFromUrl(raw: string): 'http' | 'sse' | 'ws' {
  if (/^wss?:/i.test(raw.trim())) return 'ws';
  try {
    return /\/sse\/?$/i.test(new URL(raw.trim()).pathname) ? 'sse' : 'http';
  } catch {
    return 'http';
  }
}
