/**
 * Deduplication by key columns, keeping the first occurrence. The set holds a 128-bit hash per distinct
 * key, not the key: a `FixedHashSet` of four 32-bit words and a control byte a slot (17 bytes, no object
 * per key) at a load of 0.35 to 0.7, i.e. 24-49 bytes per distinct key whatever the key's width (25-50 MB
 * for a million distinct keys).
 * Dropping a record that is not a duplicate needs two different keys to collide in all 128 bits (~n²/2^129,
 * about 1e-27 for a million keys); the hash is not cryptographic, so it is not meant to resist keys
 * crafted to collide.
 */
import { FixedHashSet } from '../hash-set.js';
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
  private readonly hashes = new FixedHashSet(4);

  get size(): number {
    return this.hashes.size;
  }

  /** Adds the key; returns false when an equal key was added before. */
  add(values: readonly CellValue[]): boolean {
    hashKey(values);
    return this.hashes.add(HASH[0] ?? 0, HASH[1] ?? 0, HASH[2] ?? 0, HASH[3] ?? 0);
  }
}
