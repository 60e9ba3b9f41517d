import path from 'node:path';
import type { FileContext, LineFormat } from './formats.js';
import { count, idString, isObject, isoMillis } from './types.js';

interface Totals {
  input: number;
  cached: number;
  output: number;
  total: number;
}

function totals(value: unknown): Totals | null {
  if (!isObject(value)) return null;
  const input = count(value.input_tokens);
  const cached = count(value.cached_input_tokens ?? value.cache_read_input_tokens);
  const output = count(value.output_tokens);
  const total = count(value.total_tokens) || input + output;
  return { input, cached: Math.min(cached, input), output, total };
}

const ROLLOUT_UUID = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i;

/**
 * OpenAI Codex rollout files: $CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl, lines
 * of {timestamp, type, payload}. `session_meta` carries the session id, `turn_context` the model,
 * and `event_msg` with payload.type 'token_count' carries info.total_token_usage (running totals
 * for the session) and info.last_token_usage (the last turn), with the fields of codex-rs
 * protocol TokenUsage: input_tokens (cached included), cached_input_tokens, output_tokens
 * (reasoning included), reasoning_output_tokens, total_tokens.
 *
 * The per-request figure is the growth of the running totals since the previous event, which
 * also makes repeated token_count events (same totals twice) count once. Counts come from the
 * API response, so quality is 'exact'.
 */
export const codexJsonl: LineFormat = {
  kind: 'lines',
  name: 'codex-jsonl',
  tool: 'openai-codex',
  quality: 'exact',
  parseLine(line, ctx: FileContext, file) {
    if (!isObject(line) || !isObject(line.payload)) return [];
    const payload = line.payload;
    if (line.type === 'session_meta') {
      ctx.session = idString(payload.id) ?? ctx.session ?? null;
      return [];
    }
    if (line.type === 'turn_context') {
      ctx.model = idString(payload.model) ?? ctx.model ?? null;
      return [];
    }
    if (line.type !== 'event_msg' || payload.type !== 'token_count' || !isObject(payload.info)) return [];
    const ts = isoMillis(line.timestamp);
    if (ts === null) return [];
    const info = payload.info;
    const total = totals(info.total_token_usage);
    const last = totals(info.last_token_usage);
    const prev: Totals | null =
      typeof ctx.prevTotal === 'number'
        ? { input: Number(ctx.prevInput), cached: Number(ctx.prevCached), output: Number(ctx.prevOutput), total: ctx.prevTotal }
        : null;
    let delta: Totals | null;
    if (total && prev && total.total >= prev.total) {
      delta = {
        input: Math.max(total.input - prev.input, 0),
        cached: Math.max(total.cached - prev.cached, 0),
        output: Math.max(total.output - prev.output, 0),
        total: total.total - prev.total,
      };
    } else {
      // First event of the file, or the totals restarted: the last turn is the best figure.
      delta = last ?? total;
    }
    if (total) {
      ctx.prevInput = total.input;
      ctx.prevCached = total.cached;
      ctx.prevOutput = total.output;
      ctx.prevTotal = total.total;
    }
    if (!delta || (delta.input === 0 && delta.output === 0 && delta.cached === 0)) return [];
    const session =
      (typeof ctx.session === 'string' ? ctx.session : null) ?? ROLLOUT_UUID.exec(path.basename(file))?.[1] ?? path.basename(file);
    const model = idString(info.model) ?? (typeof ctx.model === 'string' ? ctx.model : null);
    return [{
      tool: 'openai-codex',
      session,
      // The running total is unique and increasing within a session.
      request: total ? `total:${total.total}` : `ts:${ts}`,
      ts,
      model,
      tokens_in: Math.max(delta.input - Math.min(delta.cached, delta.input), 0),
      tokens_out: delta.output,
      tokens_cache_read: Math.min(delta.cached, delta.input),
      tokens_cache_write: 0,
      requests: 1,
      quality: 'exact',
    }];
  },
};
