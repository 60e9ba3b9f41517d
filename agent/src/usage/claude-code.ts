import path from 'node:path';
import type { LineFormat } from './formats.js';
import { count, idString, isObject, isoMillis } from './types.js';

/**
 * Claude Code session transcripts: ~/.claude/projects/<project>/<session>.jsonl, one JSON object
 * per line. Assistant lines carry `message.usage` as the Anthropic API returns it (input excludes
 * cache reads and writes). While a response streams, several lines share one message.id and
 * requestId with growing counts, so the record key is that pair and the dedup keeps the maximum.
 *
 * Quality is 'undercount': the transcript keeps streaming placeholders for input_tokens and
 * leaves thinking tokens out of output_tokens (anthropics/claude-code#22671, #25941, #28197;
 * ccusage/ccusage#866, #901). Cache read/write figures match the API.
 */
export const claudeCodeJsonl: LineFormat = {
  kind: 'lines',
  name: 'claude-code-jsonl',
  tool: 'claude-code',
  quality: 'undercount',
  parseLine(line, _ctx, file) {
    if (!isObject(line) || line.type !== 'assistant' || !isObject(line.message)) return [];
    const message = line.message;
    const usage = message.usage;
    if (!isObject(usage)) return [];
    const model = idString(message.model);
    // Claude Code writes '<synthetic>' for messages it made up itself (errors, interruptions).
    if (model === '<synthetic>') return [];
    const messageId = idString(message.id);
    const requestId = idString(line.requestId);
    const session = idString(line.sessionId) ?? path.basename(file, '.jsonl');
    const ts = isoMillis(line.timestamp);
    if (ts === null) return [];
    const request = messageId || requestId ? `${messageId ?? ''}:${requestId ?? ''}` : `uuid:${idString(line.uuid) ?? ts}`;
    return [{
      tool: 'claude-code',
      session,
      request,
      ts,
      model,
      tokens_in: count(usage.input_tokens),
      tokens_out: count(usage.output_tokens),
      tokens_cache_read: count(usage.cache_read_input_tokens),
      tokens_cache_write: count(usage.cache_creation_input_tokens),
      requests: 1,
      quality: 'undercount',
    }];
  },
};
