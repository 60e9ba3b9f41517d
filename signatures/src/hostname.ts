/**
 * Host name rules shared by the loader (catalog patterns) and the matcher (observed names).
 * Works on char codes so the hot path never allocates a lower-cased copy.
 */

/** Slot of each allowed char code in the host trie alphabet, or -1. Upper case maps to lower case. */
export const HOST_SLOT = new Int8Array(128).fill(-1);
/** Number of slots: a-z, 0-9, '-', '_', '.'. */
export const HOST_ALPHABET = 39;
export const DOT_SLOT = 38;

for (let c = 0; c < 26; c++) {
  HOST_SLOT[97 + c] = c; // a-z
  HOST_SLOT[65 + c] = c; // A-Z
}
for (let d = 0; d < 10; d++) HOST_SLOT[48 + d] = 26 + d;
HOST_SLOT[45] = 36; // '-'
HOST_SLOT[95] = 37; // '_'
HOST_SLOT[46] = DOT_SLOT; // '.'

export const MAX_HOST_LENGTH = 253;
export const MAX_LABEL_LENGTH = 63;

/**
 * Length of the name without one trailing dot when the name is a valid host name
 * (labels of 1-63 chars from [A-Za-z0-9_-], at most 253 chars), else -1.
 */
export function validHostLength(name: string): number {
  let end = name.length;
  if (end > 0 && name.charCodeAt(end - 1) === 46) end--;
  if (end === 0 || end > MAX_HOST_LENGTH) return -1;
  let label = 0;
  for (let i = 0; i < end; i++) {
    const c = name.charCodeAt(i);
    if (c === 46) {
      if (label === 0) return -1;
      label = 0;
      continue;
    }
    if (c > 127 || HOST_SLOT[c] === -1) return -1;
    if (++label > MAX_LABEL_LENGTH) return -1;
  }
  return label === 0 ? -1 : end;
}

/** Lower-cased name without its trailing dot, or null when it is not a valid host name. */
export function normaliseHost(name: string): string | null {
  if (typeof name !== 'string') return null;
  const end = validHostLength(name);
  if (end < 0) return null;
  return name.slice(0, end).toLowerCase();
}

/**
 * Why a catalog host pattern is unusable, or null when it is fine.
 * exact/suffix: a valid lower-case host name. wildcard: exactly one '*', inside one label,
 * and at least two literal labels to its right (so '*.com' or '*' alone cannot be written).
 */
export function hostPatternProblem(name: string, match: string): string | null {
  if (name !== name.toLowerCase()) return 'host names are written in lower case';
  if (name.endsWith('.')) return 'no trailing dot';
  const stars = name.split('*').length - 1;
  if (match !== 'wildcard') {
    if (stars > 0) return `'*' is only allowed with match: wildcard`;
    if (validHostLength(name) !== name.length) return 'not a valid host name (labels of 1-63 chars a-z 0-9 - _, at most 253 chars)';
    if (!name.includes('.')) return 'a single label matches a whole top-level domain';
    return null;
  }
  if (stars !== 1) return `a wildcard pattern has exactly one '*' (found ${stars})`;
  const labels = name.split('.');
  const at = labels.findIndex((l) => l.includes('*'));
  if (labels.length - at - 1 < 2) return `a wildcard needs at least two fixed labels to the right of '*'`;
  const filled = name.replace('*', 'x');
  if (validHostLength(filled) !== filled.length) return 'not a valid host name once the * is filled in';
  return null;
}
