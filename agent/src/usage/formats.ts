import type { ParsedUsage } from './types.js';

/**
 * Per-file memory a format keeps between reads (Codex's running totals, the session id from a
 * header line). Plain JSON: it is saved in the state file next to the file's offset.
 */
export type FileContext = Record<string, string | number | null>;

/** A JSONL format: one parsed line in, the usage records it holds out (usually none or one). */
export interface LineFormat {
  kind: 'lines';
  name: string;
  tool: string;
  quality: 'exact' | 'undercount' | 'partial';
  /** `file` is the path, for formats whose session id is in the file name. */
  parseLine(line: unknown, ctx: FileContext, file: string): ParsedUsage[];
}

/** A format whose files are one JSON document rewritten in place (Gemini CLI's legacy chats). */
export interface DocumentFormat {
  kind: 'document';
  name: string;
  tool: string;
  quality: 'exact' | 'undercount' | 'partial';
  parseDocument(doc: unknown, file: string): ParsedUsage[];
}

export type UsageFormat = LineFormat | DocumentFormat;
