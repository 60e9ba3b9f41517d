import path from 'node:path';
import type { DocumentFormat, FileContext, LineFormat } from './formats.js';
import { count, idString, isObject, isoMillis, type ParsedUsage } from './types.js';

/**
 * A Gemini CLI chat message record with `tokens` (chatRecordingService.recordMessageTokens):
 * input = promptTokenCount (cached included), output = candidatesTokenCount, cached =
 * cachedContentTokenCount, thoughts = thoughtsTokenCount, tool = toolUsePromptTokenCount.
 */
function messageUsage(msg: unknown, session: string | null): ParsedUsage | null {
  if (!isObject(msg) || msg.type !== 'gemini' || !isObject(msg.tokens)) return null;
  const id = idString(msg.id);
  const ts = isoMillis(msg.timestamp);
  if (id === null || ts === null) return null;
  const t = msg.tokens;
  const input = count(t.input);
  const cached = Math.min(count(t.cached), input);
  return {
    tool: 'gemini-cli',
    session,
    request: `msg:${id}`,
    ts,
    model: idString(msg.model),
    tokens_in: input - cached + count(t.tool),
    tokens_out: count(t.output) + count(t.thoughts),
    tokens_cache_read: cached,
    tokens_cache_write: 0,
    requests: 1,
    quality: 'exact',
  };
}

function sessionFromName(file: string): string {
  return path.basename(file).replace(/\.jsonl?$/, '');
}

/**
 * Gemini CLI chat recordings, JSONL form (~/.gemini/tmp/<project>/chats/session-*.jsonl): a first
 * line {sessionId, projectHash, startTime...}, then message records appended whole each time they
 * change (the same id again, e.g. once tokens arrive), `{$set: {...}}` metadata updates (which may
 * restate `messages`) and `{$rewindTo: id}`. Usage counts come from the API's usageMetadata.
 */
export const geminiChatJsonl: LineFormat = {
  kind: 'lines',
  name: 'gemini-cli-jsonl',
  tool: 'gemini-cli',
  quality: 'exact',
  parseLine(line, ctx: FileContext, file) {
    if (!isObject(line)) return [];
    if (typeof line.sessionId === 'string' && typeof line.projectHash === 'string') {
      ctx.session = idString(line.sessionId);
      return [];
    }
    const session = typeof ctx.session === 'string' ? ctx.session : sessionFromName(file);
    const restated = isObject(line.$set) && Array.isArray(line.$set.messages) ? line.$set.messages : [line];
    const out: ParsedUsage[] = [];
    for (const msg of restated) {
      const u = messageUsage(msg, session);
      if (u) out.push(u);
    }
    return out;
  },
};

/**
 * The legacy whole-document form (session-*.json): {sessionId, projectHash, startTime,
 * lastUpdated, messages: [...]}, rewritten in place after every message.
 */
export const geminiChatJson: DocumentFormat = {
  kind: 'document',
  name: 'gemini-cli-json',
  tool: 'gemini-cli',
  quality: 'exact',
  parseDocument(doc, file) {
    if (!isObject(doc) || !Array.isArray(doc.messages)) return [];
    const session = idString(doc.sessionId) ?? sessionFromName(file);
    const out: ParsedUsage[] = [];
    for (const msg of doc.messages) {
      const u = messageUsage(msg, session);
      if (u) out.push(u);
    }
    return out;
  },
};
