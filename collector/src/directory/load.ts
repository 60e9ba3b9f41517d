/** Loading the team directory from disk. Never throws; on any error the caller keeps its last good one. */
import { readConfigFile } from '../policy/config-file.js';
import { IssueList, type ConfigIssue } from '../policy/issues.js';
import { formatOf, MAX_DIRECTORY_BYTES, parseDirectory } from './parse.js';
import type { Directory, DirectoryOptions } from './types.js';

/** `file` null means no directory is configured: every lookup answers null, no team has managers. */
export function loadDirectory(file: string | null, opts: DirectoryOptions = {}): { directory: Directory | null; issues: ConfigIssue[] } {
  if (file === null) return { directory: emptyDirectory(), issues: [] };
  const issues = new IssueList(file, 'DIRECTORY');
  const format = formatOf(file);
  if (format === null) {
    issues.error('BAD_FORMAT', null, 'the directory file name must end in .csv, .yaml or .yml');
    return { directory: null, issues: issues.result() };
  }
  const text = readConfigFile(file, MAX_DIRECTORY_BYTES[format], issues);
  if (text === null) return { directory: null, issues: issues.result() };
  return parseDirectory(text, file, format, opts);
}

export function emptyDirectory(): Directory {
  return { teamOf: () => null, managers: () => [], rows: () => [], teams: () => [] };
}
