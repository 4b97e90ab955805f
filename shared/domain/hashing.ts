/**
 * The hash functions of the domain, in one place: SHA-256 for content identity, and a fast 64-bit hash
 * (MurmurHash3's construction) for sketches and the row/key sets that count duplicates.
 */
import { createHash } from 'node:crypto';

/** SHA-256 as lowercase hex: content hashes, content-named keys, API-key digests. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** MurmurHash3's 32-bit finalizer: every input bit affects every output bit (signed 32-bit result). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * A 64-bit hash (two 32-bit lanes) for sketches. Not cryptographic: it only has to spread real data
 * evenly over the HyperLogLog registers, be fast (no allocation per call) and be the same on every
 * machine, since serialized sketches from different runs are merged.
 *
 * Construction: the block function of MurmurHash3 (x86, 32-bit) run as two lanes with different
 * constants over the input's 32-bit words, then the lanes are cross-added, each goes through
 * MurmurHash3's `fmix32` avalanche, and they are cross-added again (the same finalization as
 * MurmurHash3_x86_128). Strings are hashed over their UTF-16 code units (two per word), so no
 * UTF-8 encoding is needed; numbers over the 8 bytes of their IEEE-754 double, after mapping -0 to 0
 * and every NaN to one NaN, so that the hash agrees with `Set` equality (SameValueZero).
 *
 * The result is written to `HASH_OUT` ([0] = high word, [1] = low word) instead of being returned,
 * because returning a pair would allocate on the hot path.
 */
export const HASH_OUT = new Uint32Array(2);

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const C3 = 0x239b961b;
const C4 = 0xab0e9789;
const SEED1 = 0x9747b28c;
const SEED2 = 0x5bd1e995;
// Strings and numbers never share a column, but distinct seeds keep them apart anyway.
const NUMBER_TAG = 0x2545f491;

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
// Every platform we run on (x64, arm64) is little-endian; detecting it keeps the hash portable anyway.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = LITTLE_ENDIAN ? 1 : 0;

function finish(h1: number, h2: number, length: number): void {
  h1 ^= length;
  h2 ^= length;
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  HASH_OUT[0] = h1;
  HASH_OUT[1] = h2;
}

/** Hashes a string's UTF-16 code units into `HASH_OUT`. */
export function hashString(s: string): void {
  let h1 = SEED1;
  let h2 = SEED2;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    let k1 = Math.imul(k, C1);
    k1 = Math.imul((k1 << 15) | (k1 >>> 17), C2);
    h1 ^= k1;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    let k2 = Math.imul(k, C3);
    k2 = Math.imul((k2 << 16) | (k2 >>> 16), C4);
    h2 ^= k2;
    h2 = (h2 << 17) | (h2 >>> 15);
    h2 = (Math.imul(h2, 5) + 0x38495ab5) | 0;
  }
  if (i < n) {
    const k = s.charCodeAt(i);
    let k1 = Math.imul(k, C1);
    h1 ^= Math.imul((k1 << 15) | (k1 >>> 17), C2);
    k1 = Math.imul(k, C3);
    h2 ^= Math.imul((k1 << 16) | (k1 >>> 16), C4);
  }
  finish(h1, h2, n << 1);
}

/** Hashes a number (by its double bits; -0 as 0, all NaNs alike) into `HASH_OUT`. */
export function hashNumber(x: number): void {
  // `x === 0` is true for -0 too.
  F64[0] = Number.isNaN(x) ? Number.NaN : x === 0 ? 0 : x;
  const lo = U32[LO] ?? 0;
  const hi = U32[HI] ?? 0;
  let h1 = SEED1 ^ NUMBER_TAG;
  let h2 = SEED2 ^ NUMBER_TAG;
  // Two blocks (low word, then high word), unrolled: this runs once per numeric cell.
  let k1 = Math.imul(lo, C1);
  h1 ^= Math.imul((k1 << 15) | (k1 >>> 17), C2);
  h1 = (h1 << 13) | (h1 >>> 19);
  h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
  let k2 = Math.imul(lo, C3);
  h2 ^= Math.imul((k2 << 16) | (k2 >>> 16), C4);
  h2 = (h2 << 17) | (h2 >>> 15);
  h2 = (Math.imul(h2, 5) + 0x38495ab5) | 0;
  k1 = Math.imul(hi, C1);
  h1 ^= Math.imul((k1 << 15) | (k1 >>> 17), C2);
  h1 = (h1 << 13) | (h1 >>> 19);
  h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
  k2 = Math.imul(hi, C3);
  h2 ^= Math.imul((k2 << 16) | (k2 >>> 16), C4);
  h2 = (h2 << 17) | (h2 >>> 15);
  h2 = (Math.imul(h2, 5) + 0x38495ab5) | 0;
  finish(h1, h2, 8);
}
