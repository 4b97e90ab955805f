/**
 * The one unbounded piece of state in validation: the keys a uniqueness check has seen. Keys are kept as
 * 64-bit hashes in a `FixedHashSet` (typed arrays, no object per key), 9 bytes a slot at a load of
 * 0.35-0.7, i.e. about 13-26 bytes per distinct key: ~26 MB for a million distinct keys, whatever the
 * key's width. Two different keys collide with probability ~n²/2^65 (about 3e-8 for a million keys,
 * 3e-6 for ten million); a collision would count one extra duplicate. That is the price of not keeping
 * the keys themselves, which for string keys would cost far more memory than the file's own columns.
 */
import { FixedHashSet, type Occurrence } from '../hash-set.js';
import type { CellValue } from '../table.js';

/**
 * A streaming 64-bit hash of a composite key (two 32-bit multiplicative lanes, cyrb53-style, finalised
 * with a cross-mix). Each cell is prefixed with its kind, and strings with their length, so `1` and `'1'`,
 * or `('ab', 'c')` and `('a', 'bc')`, hash apart. State lives in fields: hashing allocates nothing.
 */
export class KeyHasher {
  h1 = 0;
  h2 = 0;
  private readonly f64 = new Float64Array(1);
  private readonly u32 = new Uint32Array(this.f64.buffer);

  reset(): void {
    this.h1 = 0xdeadbeef;
    this.h2 = 0x41c6ce57;
  }

  private word(w: number): void {
    this.h1 = Math.imul(this.h1 ^ w, 2654435761);
    this.h2 = Math.imul(this.h2 ^ w, 1597334677);
  }

  /** Mixes one non-null cell into the key. */
  cell(v: CellValue): void {
    if (typeof v === 'number') {
      this.word(1);
      if (Number.isNaN(v)) {
        // Every NaN is the same key, whatever its bit pattern.
        this.word(0x7ff80000);
      } else {
        // 0 and -0 are the same key, as they are for Set and ===.
        this.f64[0] = v === 0 ? 0 : v;
        this.word(this.u32[0] ?? 0);
        this.word(this.u32[1] ?? 0);
      }
    } else if (typeof v === 'string') {
      this.word(2);
      this.word(v.length);
      for (let i = 0; i < v.length; i++) this.word(v.charCodeAt(i));
    } else {
      this.word(v ? 3 : 4);
    }
  }

  /** Final avalanche; leaves both lanes as unsigned 32-bit numbers (what Uint32Array reads back). */
  finish(): void {
    const a = this.h1;
    const b = this.h2;
    this.h1 = (Math.imul(a ^ (a >>> 16), 2246822507) ^ Math.imul(b ^ (b >>> 13), 3266489909)) >>> 0;
    this.h2 = (Math.imul(b ^ (b >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909)) >>> 0;
  }
}

export { FIRST_REPEAT, LATER_REPEAT, NEW as NEW_KEY } from '../hash-set.js';

/** The uniqueness check's keys: their 64-bit hashes, and which of them repeated. */
export class KeySet {
  private readonly hashes: FixedHashSet;

  /** `expected`: distinct keys to make room for (the set grows past it if need be). */
  constructor(expected = 0) {
    this.hashes = new FixedHashSet(2, expected);
  }

  get size(): number {
    return this.hashes.size;
  }

  /** Adds the hash `(h1, h2)`; returns NEW_KEY, FIRST_REPEAT (its first duplicate) or LATER_REPEAT. */
  insert(h1: number, h2: number): Occurrence {
    return this.hashes.addCounted(h1, h2);
  }
}
