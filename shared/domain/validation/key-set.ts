/**
 * The one unbounded piece of state in validation: the keys a uniqueness check has seen. Keys are kept as
 * 64-bit hashes in an open-addressing table of typed arrays (no object per key), 9 bytes a slot at a load
 * of 0.35-0.7, i.e. about 13-26 bytes per distinct key: ~26 MB for a million distinct keys, whatever the
 * key's width. Two different keys collide with probability ~n²/2^65 (about 3e-8 for a million keys,
 * 3e-6 for ten million); a collision would count one extra duplicate. That is the price of not keeping
 * the keys themselves, which for string keys would cost far more memory than the file's own columns.
 */
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

export const NEW_KEY = 0;
/** The key was seen exactly once before: the first duplicate of this key. */
export const FIRST_REPEAT = 1;
export const LATER_REPEAT = 2;

/** A set of 64-bit hashes that also remembers which keys repeated (to count duplicated keys). */
export class KeySet {
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  /** 0 empty, 1 seen once, 2 seen more than once. */
  private state = new Uint8Array(1024);
  private mask = 1023;
  size = 0;

  /** Adds the hash `(h1, h2)` (unsigned 32-bit halves); returns NEW_KEY, FIRST_REPEAT or LATER_REPEAT. */
  insert(h1: number, h2: number): number {
    let i = h1 & this.mask;
    for (;;) {
      const s = this.state[i];
      if (s === 0) {
        this.hi[i] = h1;
        this.lo[i] = h2;
        this.state[i] = 1;
        this.size++;
        if (this.size * 10 > this.state.length * 7) this.grow();
        return NEW_KEY;
      }
      if (this.hi[i] === h1 && this.lo[i] === h2) {
        if (s === 1) {
          this.state[i] = 2;
          return FIRST_REPEAT;
        }
        return LATER_REPEAT;
      }
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const { hi, lo, state } = this;
    const capacity = state.length * 2;
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.state = new Uint8Array(capacity);
    this.mask = capacity - 1;
    for (let j = 0; j < state.length; j++) {
      const s = state[j] ?? 0;
      if (s === 0) continue;
      const h1 = hi[j] ?? 0;
      let i = h1 & this.mask;
      while (this.state[i] !== 0) i = (i + 1) & this.mask;
      this.hi[i] = h1;
      this.lo[i] = lo[j] ?? 0;
      this.state[i] = s;
    }
  }
}
