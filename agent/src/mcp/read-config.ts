import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { ParseFailure } from '../sensors/health.js';
import { readCapped } from '../sensors/fs-read.js';

export type ConfigFormat = 'json' | 'jsonc' | 'toml' | 'yaml';

/** Caps per file: ~/.claude.json carries per-project history and grows; the rest are small. */
export const MCP_LIMITS = {
  configBytes: 4 * 1024 * 1024,
  claudeStateBytes: 32 * 1024 * 1024,
  serversPerFile: 500,
  projectsPerUser: 200,
  filesPerFolder: 100,
} as const;

/**
 * Parses config text. Errors carry the file and the parser's position or code, never the text:
 * a config's content may be a secret.
 */
export function parseConfig(text: string, format: ConfigFormat, file: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  if (format === 'json' || format === 'jsonc') {
    // Strict JSON is parsed as JSONC too: hosts tolerate comments and trailing commas (VS Code, Zed) or not,
    // but a stray comma should not hide a server from the inventory.
    const errors: ParseError[] = [];
    const value: unknown = parseJsonc(body, errors, { allowTrailingComma: true, disallowComments: false });
    const first = errors[0];
    if (first) throw new ParseFailure(`${file}: ${printParseErrorCode(first.error)} at offset ${first.offset}`);
    return value;
  }
  try {
    return format === 'toml' ? parseToml(body) : (parseYaml(body, { maxAliasCount: 100 }) as unknown);
  } catch (err) {
    const where = /line (\d+)/i.exec((err as Error).message)?.[1];
    throw new ParseFailure(`${file}: invalid ${format}${where ? ` near line ${where}` : ''}`);
  }
}

/** Reads and parses one config file of at most `cap` bytes; fs errors propagate (ENOENT means absent). */
export async function readConfig(file: string, format: ConfigFormat, cap: number = MCP_LIMITS.configBytes): Promise<unknown> {
  return parseConfig(await readCapped(file, cap), format, file);
}
