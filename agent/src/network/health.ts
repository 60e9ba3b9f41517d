/** Maps the decoder's counters onto the health counters every sensor reports (sensors/health.ts). */
import type { SensorHealthCounter } from '../sensors/health.js';
import type { NetworkDecoder } from './decode.js';

/**
 * Adds a decoder's counts to `health`: findings are observations; malformed DNS messages and
 * ClientHellos are `parse` errors; everything a cap dropped (per-stream bytes, total bytes, stream
 * table, hash collisions, too many gaps, oversized hellos/messages) is a `limit` error and a drop.
 * Call once per decoder, when it is done or at each reporting interval with a fresh counter.
 */
export function decoderHealth(decoder: NetworkDecoder, health: SensorHealthCounter): void {
  const s = decoder.stats;
  const d = decoder.reassembly.stats.dropped;
  health.observations += s.findings;
  health.errors.parse += s.dnsMalformed + s.tlsMalformed;
  const limited = d.flowBytes + d.totalBytes + d.flows + d.collisions + d.gaps + s.tooBig;
  health.errors.limit += limited;
  health.dropped += limited;
}
