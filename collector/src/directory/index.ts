/** The collector's team directory: users and hosts → teams, teams → managers and time zone. */
export type { ConfigIssue, Directory, DirectoryFormat, DirectoryOptions, DirectoryRow, TeamInfo } from './types.js';
export { loadDirectory, emptyDirectory } from './load.js';
export { parseDirectory, formatOf, MAX_DIRECTORY_BYTES } from './parse.js';
export { diffDirectory } from './diff.js';
export { pseudonymize, PSEUDONYM_PREFIX, MIN_PSEUDONYM_KEY_CHARS } from './pseudonym.js';
export { normalizeUser, normalizeHost, accountName } from './names.js';
