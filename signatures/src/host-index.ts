import { HOST_ALPHABET, HOST_SLOT, validHostLength } from './hostname.js';
import type { HostMatch } from './types.js';

/** A wildcard pattern, stored at the trie node where its fixed right-hand part ends. */
interface WildcardRule {
  /** Literal text left of the '*' (lower case), e.g. 'bedrock-runtime.' for 'bedrock-runtime.*.amazonaws.com'. */
  head: string;
  /** Literal characters in the pattern: its specificity. */
  literal: number;
  payload: number;
}

const RANK_SUFFIX = 1;
const RANK_WILDCARD = 2;
const RANK_EXACT = 3;

/**
 * Host pattern index: a trie over the characters of host names read right to left (so
 * 'api.anthropic.com' is walked as m-o-c-.-c-i-p-o-r-h-t-n-a-...), which is the reversed-label
 * trie flattened to characters. Walking stops at the first character no pattern has, so a
 * non-AI name costs a validation pass plus a few array reads, with no allocation.
 *
 * The most specific match wins: the one with the most literal characters (an exact name counts
 * all of its characters, a suffix the characters of the suffix, a wildcard its characters other
 * than '*'); at equal length exact beats wildcard beats suffix.
 */
export class HostIndex {
  private next: Int32Array = new Int32Array(HOST_ALPHABET);
  private exact: Int32Array = new Int32Array(1).fill(-1);
  private suffix: Int32Array = new Int32Array(1).fill(-1);
  private wild: (WildcardRule[] | undefined)[] = [undefined];
  private nodes = 1;

  /** Adds a catalog pattern (already validated by hostPatternProblem). Later adds of the same pattern replace earlier ones. */
  add(pattern: string, match: HostMatch, payload: number): void {
    if (match === 'wildcard') {
      const star = pattern.indexOf('*');
      const fixed = pattern.slice(star + 1);
      const node = this.walkOrCreate(fixed);
      (this.wild[node] ??= []).push({ head: pattern.slice(0, star), literal: pattern.length - 1, payload });
      return;
    }
    const node = this.walkOrCreate(pattern);
    if (match === 'exact') this.exact[node] = payload;
    else this.suffix[node] = payload;
  }

  /** Payload of the most specific pattern matching the observed name, or -1 (also for invalid names). */
  lookup(name: string): number {
    if (typeof name !== 'string') return -1;
    const end = validHostLength(name);
    if (end < 0) return -1;
    const next = this.next;
    let node = 0;
    let best = -1;
    let bestScore = -1;
    for (let i = end - 1; ; i--) {
      // Here `node` stands for the characters name[i+1 .. end).
      const rules = this.wild[node];
      if (rules !== undefined && i >= 0) {
        for (const rule of rules) {
          const score = rule.literal * 4 + RANK_WILDCARD;
          if (score > bestScore && wildcardHeadMatches(name, rule.head, i)) {
            best = rule.payload;
            bestScore = score;
          }
        }
      }
      if (i < 0) {
        const e = this.exact[node] ?? -1;
        if (e >= 0 && end * 4 + RANK_EXACT > bestScore) return e;
        const s = this.suffix[node] ?? -1;
        if (s >= 0 && end * 4 + RANK_SUFFIX > bestScore) return s;
        return best;
      }
      const c = name.charCodeAt(i);
      if (c === 46) {
        const s = this.suffix[node] ?? -1;
        const score = (end - 1 - i) * 4 + RANK_SUFFIX;
        if (s >= 0 && score > bestScore) {
          best = s;
          bestScore = score;
        }
      }
      const child = next[node * HOST_ALPHABET + (HOST_SLOT[c] as number)] as number;
      if (child === 0) return best;
      node = child;
    }
  }

  private walkOrCreate(text: string): number {
    let node = 0;
    for (let i = text.length - 1; i >= 0; i--) {
      const slot = HOST_SLOT[text.charCodeAt(i)] ?? -1;
      if (slot < 0) throw new Error(`host pattern character not allowed: ${JSON.stringify(text)}`);
      const at = node * HOST_ALPHABET + slot;
      let child = this.next[at] as number;
      if (child === 0) {
        child = this.newNode();
        this.next[at] = child;
      }
      node = child;
    }
    return node;
  }

  private newNode(): number {
    const id = this.nodes++;
    if (this.nodes > this.exact.length) {
      const size = this.exact.length * 2;
      this.next = grow(this.next, size * HOST_ALPHABET, 0);
      this.exact = grow(this.exact, size, -1);
      this.suffix = grow(this.suffix, size, -1);
    }
    this.wild.push(undefined);
    return id;
  }
}

function grow(a: Int32Array, size: number, fill: number): Int32Array {
  const b = new Int32Array(size).fill(fill);
  b.set(a);
  return b;
}

/** name[0 .. i] (inclusive) is `head` (case-insensitively) followed by at least one character and no dot. */
function wildcardHeadMatches(name: string, head: string, i: number): boolean {
  const h = head.length;
  if (i < h) return false;
  for (let k = 0; k < h; k++) {
    let c = name.charCodeAt(k);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== head.charCodeAt(k)) return false;
  }
  for (let k = h; k <= i; k++) if (name.charCodeAt(k) === 46) return false;
  return true;
}

