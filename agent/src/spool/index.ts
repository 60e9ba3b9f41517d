export { Spool, SpoolClosedError, SpoolRecordTooLargeError } from './spool.js';
export type { FsyncMode, ReadResult, SpoolOptions, SpoolStats } from './spool.js';
export type { SpoolRecord } from './record.js';
export { SpoolLockedError } from './lock.js';
export { SpoolStateError } from './state.js';
