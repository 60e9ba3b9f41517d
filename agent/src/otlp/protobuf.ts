import { KEPT_ATTRIBUTES, OtlpDecodeError, OtlpTooLarge, eventNameFromBody, type Attrs, type AttrValue, type LogEntry, type MetricPoint, type OtlpLimits } from './model.js';

/**
 * A minimal protobuf reader for the OTLP messages the agent needs (opentelemetry-proto v1:
 * collector/{metrics,logs}/v1, metrics/v1, logs/v1, common/v1, resource/v1). Unknown fields are
 * skipped by wire type; nested AnyValue arrays and maps are skipped, never walked, so nesting
 * depth cannot exhaust the stack. Every length is checked against the enclosing message.
 */
class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as a bigint (up to 10 bytes, as int64/uint64 allow). */
  varintBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OtlpDecodeError('truncated varint');
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result & 0xffffffffffffffffn;
      shift += 7n;
    }
    throw new OtlpDecodeError('varint longer than 10 bytes');
  }

  /** A varint used as a length, tag or enum: must fit a safe integer. */
  varint(): number {
    const v = this.varintBig();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new OtlpDecodeError('varint out of range');
    return Number(v);
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.end) throw new OtlpDecodeError('truncated fixed64');
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new OtlpDecodeError('truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** The bounds of a length-delimited field, checked against this message. */
  sub(): Reader {
    const len = this.varint();
    if (len > this.end - this.pos) throw new OtlpDecodeError('length past end of message');
    const r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  string(max: number): string {
    const r = this.sub();
    return this.buf.toString('utf8', r.pos, Math.min(r.end, r.pos + max * 4)).slice(0, max);
  }

  tag(): { field: number; wire: number } {
    const t = this.varint();
    const field = Math.floor(t / 8);
    if (field === 0) throw new OtlpDecodeError('field number 0');
    return { field, wire: t & 7 };
  }

  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.varintBig();
        return;
      case 1:
        if (this.pos + 8 > this.end) throw new OtlpDecodeError('truncated fixed64');
        this.pos += 8;
        return;
      case 2:
        this.sub();
        return;
      case 5:
        if (this.pos + 4 > this.end) throw new OtlpDecodeError('truncated fixed32');
        this.pos += 4;
        return;
      default:
        throw new OtlpDecodeError(`unsupported wire type ${wire}`);
    }
  }

  expect(wire: number, want: number): void {
    if (wire !== want) throw new OtlpDecodeError(`wire type ${wire} where ${want} was expected`);
  }
}

function int64ToNumber(v: bigint): number {
  const signed = v >= 1n << 63n ? v - (1n << 64n) : v;
  return Number(signed);
}

/** AnyValue: scalars only; arrays, maps and bytes are skipped (never needed, never walked). */
function anyValue(r: Reader, limits: OtlpLimits): AttrValue | null {
  let out: AttrValue | null = null;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) out = r.string(limits.maxStringChars);
    else if (field === 2 && wire === 0) out = r.varintBig() !== 0n;
    else if (field === 3 && wire === 0) out = int64ToNumber(r.varintBig());
    else if (field === 4 && wire === 1) out = r.double();
    else r.skip(wire);
  }
  return out;
}

/** KeyValue, kept only when its key is allow-listed. */
function keyValue(r: Reader, into: Attrs, limits: OtlpLimits): void {
  let key: string | null = null;
  let value: AttrValue | null = null;
  let valueReader: Reader | null = null;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      r.expect(wire, 2);
      key = r.string(128);
    } else if (field === 2) {
      r.expect(wire, 2);
      valueReader = r.sub();
    } else r.skip(wire);
  }
  if (key === null || !KEPT_ATTRIBUTES.has(key)) return;
  if (valueReader) value = anyValue(valueReader, limits);
  if (value !== null) into[key] = value;
}

function resource(r: Reader, limits: OtlpLimits): Attrs {
  const attrs: Attrs = {};
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      r.expect(wire, 2);
      keyValue(r.sub(), attrs, limits);
    } else r.skip(wire);
  }
  return attrs;
}

class Counter {
  n = 0;
  constructor(private readonly max: number) {}
  add(): void {
    if (++this.n > this.max) throw new OtlpTooLarge(`more than ${this.max} items in one request`);
  }
}

function numberDataPoint(r: Reader, limits: OtlpLimits): { attrs: Attrs; startNs: bigint; timeNs: bigint; value: number } {
  const attrs: Attrs = {};
  let startNs = 0n;
  let timeNs = 0n;
  let value = 0;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 7) {
      r.expect(wire, 2);
      keyValue(r.sub(), attrs, limits);
    } else if (field === 2 && wire === 1) startNs = r.fixed64();
    else if (field === 3 && wire === 1) timeNs = r.fixed64();
    else if (field === 4 && wire === 1) value = r.double();
    else if (field === 6 && wire === 1) value = int64ToNumber(r.fixed64());
    else r.skip(wire);
  }
  return { attrs, startNs, timeNs, value };
}

function metric(r: Reader, res: Attrs, out: MetricPoint[], count: Counter, limits: OtlpLimits): void {
  let name = '';
  const points: ReturnType<typeof numberDataPoint>[] = [];
  let temporality: MetricPoint['temporality'] = 'unspecified';
  let monotonic = false;
  let isSum = false;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      r.expect(wire, 2);
      name = r.string(128);
    } else if (field === 5 || field === 7) {
      // 5 Gauge {1 data_points}, 7 Sum {1 data_points, 2 aggregation_temporality, 3 is_monotonic}
      r.expect(wire, 2);
      isSum = field === 7;
      const body = r.sub();
      while (!body.done()) {
        const t = body.tag();
        if (t.field === 1) {
          body.expect(t.wire, 2);
          count.add();
          points.push(numberDataPoint(body.sub(), limits));
        } else if (t.field === 2 && t.wire === 0) {
          const v = body.varint();
          temporality = v === 1 ? 'delta' : v === 2 ? 'cumulative' : 'unspecified';
        } else if (t.field === 3 && t.wire === 0) monotonic = body.varint() !== 0;
        else body.skip(t.wire);
      }
    } else r.skip(wire);
  }
  if (!isSum) return; // gauges and histograms carry no token counts
  for (const p of points) out.push({ resource: res, metric: name, temporality, monotonic, ...p });
}

/**
 * ExportMetricsServiceRequest and ExportLogsServiceRequest share one shape: field 1 repeats a
 * Resource* message {1 resource, 2 Scope*}, and each Scope* message repeats its items in field 2.
 * Calls `item` for every item with the resource attributes that apply to it.
 */
function forEachScopeItem(buf: Buffer, limits: OtlpLimits, item: (r: Reader, res: Attrs) => void): void {
  const root = new Reader(buf, 0, buf.length);
  while (!root.done()) {
    const { field, wire } = root.tag();
    if (field !== 1) {
      root.skip(wire);
      continue;
    }
    root.expect(wire, 2);
    const rx = root.sub();
    let res: Attrs = {};
    const scopes: Reader[] = [];
    while (!rx.done()) {
      const t = rx.tag();
      if (t.field === 1) {
        rx.expect(t.wire, 2);
        res = resource(rx.sub(), limits);
      } else if (t.field === 2) {
        rx.expect(t.wire, 2);
        scopes.push(rx.sub());
      } else rx.skip(t.wire);
    }
    for (const sx of scopes) {
      while (!sx.done()) {
        const t = sx.tag();
        if (t.field === 2) {
          sx.expect(t.wire, 2);
          item(sx.sub(), res);
        } else sx.skip(t.wire);
      }
    }
  }
}

/** ExportMetricsServiceRequest → the Sum data points it holds. */
export function decodeMetricsProto(buf: Buffer, limits: OtlpLimits): MetricPoint[] {
  const out: MetricPoint[] = [];
  const count = new Counter(limits.maxItems);
  forEachScopeItem(buf, limits, (m, res) => metric(m, res, out, count, limits));
  return out;
}

function logRecord(r: Reader, res: Attrs, limits: OtlpLimits): LogEntry {
  const attrs: Attrs = {};
  let timeNs = 0n;
  let observedNs = 0n;
  let body: string | null = null;
  let eventName: string | null = null;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 1) timeNs = r.fixed64();
    else if (field === 11 && wire === 1) observedNs = r.fixed64();
    else if (field === 5) {
      r.expect(wire, 2);
      const v = anyValue(r.sub(), { ...limits, maxStringChars: 129 });
      body = typeof v === 'string' ? v : null;
    } else if (field === 6) {
      r.expect(wire, 2);
      keyValue(r.sub(), attrs, limits);
    } else if (field === 12) {
      r.expect(wire, 2);
      eventName = eventNameFromBody(r.string(128));
    } else r.skip(wire);
  }
  return { resource: res, attrs, eventName: eventName ?? eventNameFromBody(body), timeNs: timeNs || observedNs };
}

/** ExportLogsServiceRequest → its log records (allow-listed attributes only). */
export function decodeLogsProto(buf: Buffer, limits: OtlpLimits): LogEntry[] {
  const out: LogEntry[] = [];
  const count = new Counter(limits.maxItems);
  forEachScopeItem(buf, limits, (r, res) => {
    count.add();
    out.push(logRecord(r, res, limits));
  });
  return out;
}

/** google.rpc.Status {1 code, 2 message}, the body of an OTLP/HTTP error in protobuf. */
export function encodeStatusProto(code: number, message: string): Buffer {
  const msg = Buffer.from(message, 'utf8');
  const len: number[] = [];
  let n = msg.length;
  do {
    len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x08, code & 0x7f, 0x12, ...len]), msg]);
}
