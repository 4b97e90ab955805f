/**
 * The one open-addressing set of the domain: the distinct hashes seen so far, for the stages that count or
 * drop repeats without keeping the repeated values themselves (quality's duplicate rows, validation's
 * uniqueness keys, parse's dedup keys). A hash is `width` 32-bit words: 2 for 64-bit hashes, 4 for 128-bit.
 *
 * Layout: linear probing over two typed arrays, `width` words a slot for the hashes and one control byte a
 * slot (0 empty; else an occupied bit, a "repeated" bit and 6 bits of the hash as a tag). A probe reads
 * the control bytes and compares a slot's words only when the tag agrees (for 1 in 64 other hashes), so
 * it mostly stays in the control array, a ninth (64-bit) or a seventeenth (128-bit) of the set's memory
 * and the part most likely to be in cache; a new hash's empty slot is found there too, and writing its
 * words does not wait on memory.
 *
 * The capacity is a power of two, so a hash's home slot is the top bits of its first word: one shift, where
 * mapping into any capacity by a multiply (to size a set for a known count without rounding up) measured
 * slower in the validator's per-row loop. The load stays at most 0.7 (a set made for `expected` hashes
 * starts with room for that many) and the set doubles past it, so (4·width + 1) / load bytes a hash:
 * 13-26 for 64-bit hashes, 24-49 for 128-bit ones.
 *
 * Words are taken as unsigned 32-bit numbers (signed ones, as `Math.imul` and `fmix32` return, as their
 * unsigned form). Adding allocates nothing but the doubled arrays when the set grows.
 */

export type HashWidth = 2 | 4;

/** What `addCounted` returns: a hash not seen before, its second occurrence, or a later one. */
export const NEW = 0;
export const FIRST_REPEAT = 1;
export const LATER_REPEAT = 2;
export type Occurrence = typeof NEW | typeof FIRST_REPEAT | typeof LATER_REPEAT;

const OCCUPIED = 0x80;
const REPEATED = 0x40;
const TAG = 0x3f;

const MIN_CAPACITY = 16;
const MAX_LOAD = 0.7;
/** Slot offsets are computed with 32-bit shifts, exact below 2^31 words (8 GiB of hashes). */
const MAX_WORDS = 2 ** 31;

export class FixedHashSet {
  readonly width: HashWidth;
  // Plain (TypeScript-private) members rather than #private ones: the adds run once per row in the
  // stages' loops, and V8 inlines a callee into such a loop only while the inlined bytecode stays within
  // a budget that the loop's own key hashing mostly uses; #private accesses and calls take more bytecode.
  private words: Uint32Array;
  private control: Uint8Array;
  private mask: number;
  /** 32 - log2(capacity): a first word shifted right by this is its home slot. */
  private shift: number;
  private limit: number;
  private count = 0;

  /** `expected`: how many distinct hashes to make room for; the set grows past it if need be. */
  constructor(width: HashWidth, expected = 0) {
    if (width !== 2 && width !== 4) throw new RangeError('a hash set holds hashes of 2 or 4 words');
    this.width = width;
    let capacity = MIN_CAPACITY;
    while (capacity * MAX_LOAD < expected) capacity *= 2;
    checkCapacity(capacity, width);
    this.mask = capacity - 1;
    this.shift = Math.clz32(capacity) + 1;
    this.limit = Math.floor(capacity * MAX_LOAD);
    this.words = new Uint32Array(capacity * width);
    this.control = new Uint8Array(capacity);
  }

  /** The number of distinct hashes added. */
  get size(): number {
    return this.count;
  }

  /** The distinct hashes, `width` words each, in slot order: a set's contents to store or merge. */
  hashes(): Uint32Array {
    const width = this.width;
    const out = new Uint32Array(this.count * width);
    let o = 0;
    for (let i = 0; i < this.control.length; i++) {
      if (this.control[i] === 0) continue;
      for (let w = 0; w < width; w++) out[o++] = this.words[i * width + w] as number;
    }
    return out;
  }

  /** Adds a hash; true when it is new. A 64-bit set ignores `w2` and `w3`, a 128-bit one takes 0 for them. */
  add(w0: number, w1: number, w2?: number, w3?: number): boolean {
    return (this.width === 2 ? this.insert2(w0, w1) : this.insert4(w0, w1, w2, w3)) === NEW;
  }

  /** Adds a hash and says which occurrence of it this is: NEW, FIRST_REPEAT or LATER_REPEAT. */
  addCounted(w0: number, w1: number, w2?: number, w3?: number): Occurrence {
    return this.width === 2 ? this.insert2(w0, w1) : this.insert4(w0, w1, w2, w3);
  }

  has(w0: number, w1: number, w2 = 0, w3 = 0): boolean {
    w0 >>>= 0;
    w1 >>>= 0;
    w2 >>>= 0;
    w3 >>>= 0;
    const width = this.width;
    const words = this.words;
    const control = this.control;
    const mask = this.mask;
    const tag = OCCUPIED | (w1 & TAG);
    for (let i = w0 >>> this.shift; ; i = (i + 1) & mask) {
      const c = control[i] as number;
      if (c === 0) return false;
      const s = i * width;
      if (
        (c & ~REPEATED) === tag &&
        words[s] === w0 &&
        words[s + 1] === w1 &&
        (width === 2 || (words[s + 2] === w2 && words[s + 3] === w3))
      ) {
        return true;
      }
    }
  }

  // Each width has its own insert, with the probe written out in it rather than called, so that a
  // caller's loop inlines only the code its width runs (see the members' comment above).

  private insert2(w0: number, w1: number): Occurrence {
    w0 >>>= 0;
    w1 >>>= 0;
    const words = this.words;
    const control = this.control;
    const mask = this.mask;
    const tag = OCCUPIED | (w1 & TAG);
    let i = w0 >>> this.shift;
    for (let c = control[i] as number; c !== 0; c = control[i] as number) {
      if ((c & ~REPEATED) === tag && words[2 * i] === w0 && words[2 * i + 1] === w1) {
        return this.repeat(i, c);
      }
      i = (i + 1) & mask;
    }
    control[i] = tag;
    words[2 * i] = w0;
    words[2 * i + 1] = w1;
    if (++this.count > this.limit) this.grow();
    return NEW;
  }

  private insert4(w0: number, w1: number, w2 = 0, w3 = 0): Occurrence {
    w0 >>>= 0;
    w1 >>>= 0;
    w2 >>>= 0;
    w3 >>>= 0;
    const words = this.words;
    const control = this.control;
    const mask = this.mask;
    const tag = OCCUPIED | (w1 & TAG);
    let i = w0 >>> this.shift;
    for (let c = control[i] as number; c !== 0; c = control[i] as number) {
      const s = 4 * i;
      if (
        (c & ~REPEATED) === tag &&
        words[s] === w0 &&
        words[s + 1] === w1 &&
        words[s + 2] === w2 &&
        words[s + 3] === w3
      ) {
        return this.repeat(i, c);
      }
      i = (i + 1) & mask;
    }
    control[i] = tag;
    const s = 4 * i;
    words[s] = w0;
    words[s + 1] = w1;
    words[s + 2] = w2;
    words[s + 3] = w3;
    if (++this.count > this.limit) this.grow();
    return NEW;
  }

  /** A hash found again in slot `i`, whose control byte is `c`. */
  private repeat(i: number, c: number): Occurrence {
    if ((c & REPEATED) !== 0) return LATER_REPEAT;
    this.control[i] = c | REPEATED;
    return FIRST_REPEAT;
  }

  /** Doubles the table and puts every hash back (all distinct, so each only looks for an empty slot). */
  private grow(): void {
    const width = this.width;
    const oldWords = this.words;
    const oldControl = this.control;
    const capacity = oldControl.length * 2;
    checkCapacity(capacity, width);
    const shift = this.shift - 1;
    const mask = capacity - 1;
    const words = new Uint32Array(capacity * width);
    const control = new Uint8Array(capacity);
    for (let j = 0; j < oldControl.length; j++) {
      const c = oldControl[j] as number;
      if (c === 0) continue;
      const from = j * width;
      const w0 = oldWords[from] as number;
      let i = w0 >>> shift;
      while (control[i] !== 0) i = (i + 1) & mask;
      control[i] = c;
      const to = i * width;
      words[to] = w0;
      words[to + 1] = oldWords[from + 1] as number;
      if (width === 4) {
        words[to + 2] = oldWords[from + 2] as number;
        words[to + 3] = oldWords[from + 3] as number;
      }
    }
    this.words = words;
    this.control = control;
    this.mask = mask;
    this.shift = shift;
    this.limit = Math.floor(capacity * MAX_LOAD);
  }
}

function checkCapacity(capacity: number, width: HashWidth): void {
  if (capacity * width > MAX_WORDS) throw new RangeError(`a hash set of ${capacity} slots is too large`);
}
