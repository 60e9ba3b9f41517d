import { KEPT_ATTRIBUTES, OtlpDecodeError, OtlpTooLarge, eventNameFromBody, type Attrs, type AttrValue, type LogEntry, type MetricPoint, type OtlpLimits } from './model.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function list(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${what} is not an array`);
  return v;
}

/** OTLP/JSON int64/fixed64: a decimal string or a JSON number. */
function nanos(v: unknown): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw new OtlpDecodeError('bad timestamp');
}

function int(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) return Number(v);
  throw new OtlpDecodeError('bad integer');
}

/** AnyValue in JSON: scalars only; arrays, maps and bytes are ignored. */
function anyValue(v: unknown, limits: OtlpLimits): AttrValue | null {
  if (!isObj(v)) return null;
  if (typeof v.stringValue === 'string') return v.stringValue.slice(0, limits.maxStringChars);
  if (typeof v.boolValue === 'boolean') return v.boolValue;
  if (v.intValue !== undefined) return int(v.intValue);
  if (typeof v.doubleValue === 'number') return v.doubleValue;
  return null;
}

function attributes(v: unknown, limits: OtlpLimits): Attrs {
  const out: Attrs = {};
  for (const kv of list(v, 'attributes')) {
    if (!isObj(kv) || typeof kv.key !== 'string') throw new OtlpDecodeError('bad attribute');
    if (!KEPT_ATTRIBUTES.has(kv.key)) continue;
    const value = anyValue(kv.value, limits);
    if (value !== null) out[kv.key] = value;
  }
  return out;
}

function temporalityOf(v: unknown): MetricPoint['temporality'] {
  if (v === 1 || v === 'AGGREGATION_TEMPORALITY_DELTA') return 'delta';
  if (v === 2 || v === 'AGGREGATION_TEMPORALITY_CUMULATIVE') return 'cumulative';
  return 'unspecified';
}

function body(v: unknown): Obj {
  if (!isObj(v)) throw new OtlpDecodeError('body is not a JSON object');
  return v;
}

/** ExportMetricsServiceRequest in the OTLP/JSON encoding → Sum data points. */
export function decodeMetricsJson(value: unknown, limits: OtlpLimits): MetricPoint[] {
  const out: MetricPoint[] = [];
  let n = 0;
  for (const rm of list(body(value).resourceMetrics, 'resourceMetrics')) {
    if (!isObj(rm)) throw new OtlpDecodeError('bad resourceMetrics');
    const res = isObj(rm.resource) ? attributes(rm.resource.attributes, limits) : {};
    for (const sm of list(rm.scopeMetrics, 'scopeMetrics')) {
      if (!isObj(sm)) throw new OtlpDecodeError('bad scopeMetrics');
      for (const m of list(sm.metrics, 'metrics')) {
        if (!isObj(m) || typeof m.name !== 'string') throw new OtlpDecodeError('bad metric');
        if (!isObj(m.sum)) continue;
        const temporality = temporalityOf(m.sum.aggregationTemporality);
        const monotonic = m.sum.isMonotonic === true;
        for (const p of list(m.sum.dataPoints, 'dataPoints')) {
          if (++n > limits.maxItems) throw new OtlpTooLarge(`more than ${limits.maxItems} items in one request`);
          if (!isObj(p)) throw new OtlpDecodeError('bad data point');
          const value = p.asInt !== undefined ? int(p.asInt) : typeof p.asDouble === 'number' ? p.asDouble : 0;
          out.push({
            resource: res,
            metric: m.name.slice(0, 128),
            temporality,
            monotonic,
            attrs: attributes(p.attributes, limits),
            startNs: nanos(p.startTimeUnixNano),
            timeNs: nanos(p.timeUnixNano),
            value,
          });
        }
      }
    }
  }
  return out;
}

/** ExportLogsServiceRequest in the OTLP/JSON encoding → log records. */
export function decodeLogsJson(value: unknown, limits: OtlpLimits): LogEntry[] {
  const out: LogEntry[] = [];
  for (const rl of list(body(value).resourceLogs, 'resourceLogs')) {
    if (!isObj(rl)) throw new OtlpDecodeError('bad resourceLogs');
    const res = isObj(rl.resource) ? attributes(rl.resource.attributes, limits) : {};
    for (const sl of list(rl.scopeLogs, 'scopeLogs')) {
      if (!isObj(sl)) throw new OtlpDecodeError('bad scopeLogs');
      for (const lr of list(sl.logRecords, 'logRecords')) {
        if (out.length >= limits.maxItems) throw new OtlpTooLarge(`more than ${limits.maxItems} items in one request`);
        if (!isObj(lr)) throw new OtlpDecodeError('bad log record');
        const b = isObj(lr.body) && typeof lr.body.stringValue === 'string' ? lr.body.stringValue : null;
        const named = typeof lr.eventName === 'string' ? eventNameFromBody(lr.eventName) : null;
        out.push({
          resource: res,
          attrs: attributes(lr.attributes, limits),
          eventName: named ?? eventNameFromBody(b),
          timeNs: nanos(lr.timeUnixNano) || nanos(lr.observedTimeUnixNano),
        });
      }
    }
  }
  return out;
}
