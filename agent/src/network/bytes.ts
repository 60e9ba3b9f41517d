/**
 * Big-endian reads from a byte array. Callers check bounds first; these never read past what the
 * caller proved is there. Small enough for V8 to inline in the per-packet paths.
 */
export function u8(b: Uint8Array, i: number): number {
  return b[i] as number;
}

export function u16(b: Uint8Array, i: number): number {
  return ((b[i] as number) << 8) | (b[i + 1] as number);
}

export function u24(b: Uint8Array, i: number): number {
  return ((b[i] as number) << 16) | ((b[i + 1] as number) << 8) | (b[i + 2] as number);
}

export function u32(b: Uint8Array, i: number): number {
  return (((b[i] as number) << 24) | ((b[i + 1] as number) << 16) | ((b[i + 2] as number) << 8) | (b[i + 3] as number)) >>> 0;
}

export function u16le(b: Uint8Array, i: number): number {
  return (b[i] as number) | ((b[i + 1] as number) << 8);
}

export function u32le(b: Uint8Array, i: number): number {
  return ((b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16) | ((b[i + 3] as number) << 24)) >>> 0;
}

/** Dotted quad of the 4 bytes at `i`. */
export function ipv4String(b: Uint8Array, i: number): string {
  return `${b[i]}.${b[i + 1]}.${b[i + 2]}.${b[i + 3]}`;
}

/** RFC 5952 text form of the 16 bytes at `i`: lower case, longest run of two or more zero groups as `::`. */
export function ipv6String(b: Uint8Array, i: number): string {
  const groups: number[] = [];
  for (let g = 0; g < 8; g++) groups.push(u16(b, i + g * 2));
  let bestStart = -1;
  let bestLen = 0;
  for (let g = 0; g < 8; ) {
    if (groups[g] !== 0) {
      g++;
      continue;
    }
    let e = g;
    while (e < 8 && groups[e] === 0) e++;
    if (e - g > bestLen && e - g >= 2) {
      bestStart = g;
      bestLen = e - g;
    }
    g = e;
  }
  // IPv4-mapped addresses keep the dotted tail (RFC 5952 §5).
  if (bestStart === 0 && bestLen === 5 && groups[5] === 0xffff) return `::ffff:${ipv4String(b, i + 12)}`;
  let out = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out += '::';
      g += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += (groups[g] as number).toString(16);
  }
  return out;
}

const MAX_DATE_MICROS = 8.64e18;

/** Capture time as an RFC 3339 UTC string with microseconds. */
export function isoMicros(tsMicros: number): string {
  // A hostile pcapng timestamp can be far outside what Date accepts: clamp instead of throwing.
  const clamped = Number.isFinite(tsMicros) ? Math.min(Math.max(tsMicros, 0), MAX_DATE_MICROS) : 0;
  const ms = Math.floor(clamped / 1000);
  const micros = Math.floor(clamped - ms * 1000);
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.123Z
  return `${iso.slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
}
