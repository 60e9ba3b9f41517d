/** Pseudonyms are defined once, in the wire contract, so agent and collector always agree. */
export { pseudonymize, PSEUDONYM_PREFIX, MIN_PSEUDONYM_KEY_CHARS } from '@aiscout/protocol';
