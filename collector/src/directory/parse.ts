/** Directory text (CSV or YAML) → a validated Directory, with coded issues and lines. */
import { IssueList, type ConfigIssue } from '../policy/issues.js';
import { DirectoryBuilder } from './directory.js';
import { parseDirectoryCsv } from './parse-csv.js';
import { parseDirectoryYaml } from './parse-yaml.js';
import { MIN_PSEUDONYM_KEY_CHARS } from './pseudonym.js';
import type { Directory, DirectoryFormat, DirectoryOptions } from './types.js';

/** CSV is what HR exports produce, so it may be large; YAML's node tree costs far more per byte. */
export const MAX_DIRECTORY_BYTES: Record<DirectoryFormat, number> = { csv: 32 * 1024 * 1024, yaml: 4 * 1024 * 1024 };

export function parseDirectory(
  text: string,
  fileName: string,
  format: DirectoryFormat,
  opts: DirectoryOptions = {},
): { directory: Directory | null; issues: ConfigIssue[] } {
  const issues = new IssueList(fileName, 'DIRECTORY');
  const directory = parseInto(text, format, opts, issues);
  return { directory: issues.hasErrors() ? null : directory, issues: issues.result() };
}

function parseInto(text: string, format: DirectoryFormat, opts: DirectoryOptions, issues: IssueList): Directory | null {
  const key = opts.pseudonymKey;
  if (key !== undefined && key.length < MIN_PSEUDONYM_KEY_CHARS) {
    issues.error('WEAK_PSEUDONYM_KEY', null, `the pseudonym key must be at least ${MIN_PSEUDONYM_KEY_CHARS} characters`);
    return null;
  }
  if (text.length > MAX_DIRECTORY_BYTES[format]) {
    issues.error('TOO_LARGE', null, `directory is ${text.length} characters; the ${format} limit is ${MAX_DIRECTORY_BYTES[format]}`);
    return null;
  }
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const builder = new DirectoryBuilder(issues);
  if (format === 'csv') parseDirectoryCsv(body, builder, issues);
  else parseDirectoryYaml(body, builder, issues);
  if (issues.hasErrors()) return null;
  return builder.build(key);
}

/** The format from the file name: .csv, or .yaml / .yml. */
export function formatOf(file: string): DirectoryFormat | null {
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  return null;
}
