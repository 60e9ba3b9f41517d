/** Reading an operator's config file safely: bounded size, strict UTF-8, no BOM. Never throws. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { IssueList } from './issues.js';

/**
 * Reads at most `maxBytes` (+1 to detect overflow) so a huge or endless file (a device, a FIFO)
 * cannot exhaust memory. Returns null after recording an issue when the file cannot be used.
 */
export function readConfigFile(file: string, maxBytes: number, issues: IssueList): string | null {
  let fd: number | null = null;
  try {
    fd = openSync(file, 'r');
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      issues.error('READ_FAILED', null, `${file} is not a regular file`);
      return null;
    }
    if (stat.size > maxBytes) {
      issues.error('TOO_LARGE', null, `file is ${stat.size} bytes; the limit is ${maxBytes}`);
      return null;
    }
    const buf = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) {
        issues.error('TOO_LARGE', null, `file grew past the limit of ${maxBytes} bytes while being read`);
        return null;
      }
    }
    return decodeConfigText(buf.subarray(0, length), issues);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    issues.error('READ_FAILED', null, `cannot read ${file}: ${code}`);
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Strict UTF-8 (a Latin-1 export would silently garble names otherwise), BOM removed. */
export function decodeConfigText(bytes: Uint8Array, issues: IssueList): string | null {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.startsWith('\uFEFF') ? text.slice(1) : text;
  } catch {
    issues.error('ENCODING', null, 'file is not valid UTF-8; save it as UTF-8');
    return null;
  }
}
