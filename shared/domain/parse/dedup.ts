/**
 * Deduplication by key columns, keeping the first occurrence. The set holds a 128-bit hash per distinct
 * key, not the key: four 32-bit words and a flag in typed arrays (17 bytes a slot, no object per key) at
 * a load of 1/4 to 1/2, i.e. 34-68 bytes per distinct key whatever the key's width (35-70 MB for a million
 * distinct keys).
 * Dropping a record that is not a duplicate needs two different keys to collide in all 128 bits (~n²/2^129,
 * about 1e-27 for a million keys); the hash is not cryptographic, so it is not meant to resist keys
 * crafted to collide.
 */
import { fmix32 } from '../hashing.js';
import type { CellValue } from '../table.js';

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** The finalizer as an unsigned word, the form the slots store. */
const fmix = (h: number): number => fmix32(h) >>> 0;

/** Four multiplicative lanes over the key's 32-bit words; module state so hashing allocates nothing. */
const HASH = new Uint32Array(4);
let a = 0;
let b = 0;
let c = 0;
let d = 0;

function word(w: number): void {
  a = Math.imul(a ^ w, 0x9e3779b1) + 0x7f4a7c15;
  b = Math.imul(b ^ w, 0x85ebca77) + 0x165667b1;
  c = Math.imul(c ^ w, 0xc2b2ae3d) + 0x27d4eb2f;
  d = Math.imul(d ^ w, 0x27d4eb2d) + 0x61c88647;
  a = (a << 13) | (a >>> 19);
  b = (b << 15) | (b >>> 17);
  c = (c << 17) | (c >>> 15);
  d = (d << 19) | (d >>> 13);
}

function hashKey(values: readonly CellValue[]): void {
  a = 0x9747b28c;
  b = 0x5bd1e995;
  c = 0x1b873593;
  d = 0xcc9e2d51;
  for (const v of values) {
    // A kind tag per cell, and the length of strings, so 1 / '1' / true and ('ab','c') / ('a','bc') differ.
    if (v === null) {
      word(1);
    } else if (typeof v === 'number') {
      word(2);
      F64[0] = v === 0 ? 0 : v; // 0 and -0 are one key
      word(U32[0] ?? 0);
      word(U32[1] ?? 0);
    } else if (typeof v === 'string') {
      word(3);
      word(v.length);
      for (let i = 0; i < v.length; i++) word(v.charCodeAt(i));
    } else {
      word(v ? 4 : 5);
    }
  }
  word(values.length);
  // Cross-mix so every output word depends on every lane.
  HASH[0] = fmix(a + b + c + d);
  HASH[1] = fmix(b ^ (a + d));
  HASH[2] = fmix(c + (a ^ b));
  HASH[3] = fmix(d ^ (b + c));
}

export class KeyHashSet {
  private words = new Uint32Array(4 * 1024);
  private used = new Uint8Array(1024);
  private mask = 1023;
  size = 0;

  /** Adds the key; returns false when an equal key was added before. */
  add(values: readonly CellValue[]): boolean {
    hashKey(values);
    const h0 = HASH[0] ?? 0;
    const h1 = HASH[1] ?? 0;
    const h2 = HASH[2] ?? 0;
    const h3 = HASH[3] ?? 0;
    let i = h0 & this.mask;
    for (;;) {
      if (this.used[i] === 0) break;
      const w = i * 4;
      if (
        this.words[w] === h0 &&
        this.words[w + 1] === h1 &&
        this.words[w + 2] === h2 &&
        this.words[w + 3] === h3
      ) {
        return false;
      }
      i = (i + 1) & this.mask;
    }
    this.put(i, h0, h1, h2, h3);
    this.size++;
    if (this.size * 2 > this.used.length) this.grow();
    return true;
  }

  private put(i: number, h0: number, h1: number, h2: number, h3: number): void {
    this.used[i] = 1;
    const w = i * 4;
    this.words[w] = h0;
    this.words[w + 1] = h1;
    this.words[w + 2] = h2;
    this.words[w + 3] = h3;
  }

  private grow(): void {
    const oldWords = this.words;
    const oldUsed = this.used;
    const slots = oldUsed.length * 2;
    this.words = new Uint32Array(4 * slots);
    this.used = new Uint8Array(slots);
    this.mask = slots - 1;
    for (let j = 0; j < oldUsed.length; j++) {
      if (oldUsed[j] === 0) continue;
      const h0 = oldWords[j * 4] ?? 0;
      let i = h0 & this.mask;
      while (this.used[i] !== 0) i = (i + 1) & this.mask;
      this.put(i, h0, oldWords[j * 4 + 1] ?? 0, oldWords[j * 4 + 2] ?? 0, oldWords[j * 4 + 3] ?? 0);
    }
  }
}
