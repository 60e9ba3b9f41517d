import { randomUUID } from 'node:crypto';
import { LIMITS, validateEvent, type Event, type ExtensionEvent, type ProcessEvent } from '@aiscout/protocol';
import type { Detection } from '../detect.js';
import type { Privacy } from './privacy.js';

type Row = Omit<ProcessEvent, 'id' | 'window_start' | 'window_end'> | Omit<ExtensionEvent, 'id' | 'window_start' | 'window_end'>;

function itemKind(ecosystem: string | null): ExtensionEvent['item_kind'] {
  if (ecosystem === 'jetbrains') return 'jetbrains-plugin';
  if (ecosystem === 'chrome' || ecosystem === 'edge' || ecosystem === 'firefox') return 'browser-extension';
  return 'ide-extension';
}

const clip = (s: string, max: number): string => (s.length > max ? s.slice(0, max) : s);
const nonEmpty = (s: string | null, max: number): string | null => (s === null || s === '' ? null : clip(s, max));

/** A detection as the wire event's fields (no id or window yet), privacy applied. */
export function detectionRow(d: Detection, privacy: Privacy): Row {
  const common = {
    tool: d.tool,
    user: clip(privacy.user(d.user) || 'unknown', LIMITS.name),
    evidence: { matcher: d.evidence.matcher, value: clip(d.evidence.value, LIMITS.name) } as ProcessEvent['evidence'],
    count: d.count,
    confidence: d.confidence,
    candidates: d.candidates.slice(0, LIMITS.listItems),
  };
  if (d.kind === 'process') {
    return { kind: 'process', ...common, exe: nonEmpty(privacy.path(d.location), LIMITS.path), process_name: clip(d.item || 'unknown', LIMITS.name), version: nonEmpty(d.version, LIMITS.shortString) };
  }
  return {
    kind: 'extension',
    ...common,
    ecosystem: clip(d.product && itemKind(d.ecosystem) === 'ide-extension' ? d.product : (d.ecosystem ?? 'unknown'), LIMITS.shortString),
    item_kind: itemKind(d.ecosystem),
    extension_id: clip(d.item, LIMITS.name),
    version: nonEmpty(d.version, LIMITS.shortString),
    location: nonEmpty(d.location, LIMITS.path),
    flags: [],
  };
}

function rowKey(r: Row): string {
  const extra = r.kind === 'process' ? [r.exe, r.process_name] : [r.ecosystem, r.item_kind, r.extension_id, r.location];
  return JSON.stringify([r.kind, r.tool, r.user, r.evidence.matcher, r.evidence.value, ...extra]);
}

/**
 * Folds detections into one row per (kind, tool, user, evidence, item) per window: a busy laptop
 * sends a few rows per window, not one per scan. `count` sums the sightings of every scan in the
 * window. Windows are aligned to multiples of their length (wall clock), so agents agree.
 */
export class WindowAggregator {
  private rows = new Map<string, Row>();
  private windowStart: number;
  /** Rows the protocol would refuse (a catalog bug): counted, never spooled. */
  rejected = 0;

  constructor(
    private readonly windowMs: number,
    private readonly privacy: Privacy,
    now = Date.now(),
  ) {
    this.windowStart = Math.floor(now / windowMs) * windowMs;
  }

  /** When the current window ends (ms since the epoch). */
  get windowEnd(): number {
    return this.windowStart + this.windowMs;
  }

  get size(): number {
    return this.rows.size;
  }

  add(detections: Iterable<Detection>): void {
    for (const d of detections) {
      const row = detectionRow(d, this.privacy);
      const key = rowKey(row);
      const existing = this.rows.get(key);
      if (existing) {
        existing.count += row.count;
        existing.version ??= row.version;
      } else this.rows.set(key, row);
    }
  }

  /**
   * Closes the current window: returns its rows as events (window end clipped to `now` when the
   * agent stops early) and starts the window that contains `now`.
   */
  flush(now = Date.now()): Event[] {
    const start = new Date(this.windowStart).toISOString();
    const end = new Date(Math.min(now, this.windowEnd)).toISOString();
    const events: Event[] = [];
    for (const row of this.rows.values()) {
      const event = { ...row, id: randomUUID(), window_start: start, window_end: end } as Event;
      if (validateEvent(event).ok) events.push(event);
      else this.rejected += 1;
    }
    this.rows = new Map();
    this.windowStart = Math.floor(now / this.windowMs) * this.windowMs;
    return events;
  }
}
