/**
 * Row hashing for exact-duplicate counting: each cell folded into a row's 64-bit hash. The distinct row
 * hashes seen are kept in a `FixedHashSet` (hash-set.ts).
 */
// MurmurHash3_x86_128's lane constants: each cell's 64-bit hash is folded into a row's two 32-bit lanes
// the way that hash folds its blocks, so both lanes depend on every cell and on the cells' order.
const M1 = 0x239b961b;
const M2 = 0xab0e9789;
const M3 = 0x38b34ae5;
// Fixed "hashes" of null, true and false: a real cell collides with one only by a 64-bit coincidence.
export const NULL_X = 0x6e756c6c;
export const NULL_Y = 0x9e3779b9;
export const TRUE_X = 0x74727565;
export const TRUE_Y = 0x7f4a7c15;
export const FALSE_X = 0x66616c73;
export const FALSE_Y = 0x165667b1;

export function mixCell(la: Int32Array, lb: Int32Array, r: number, x: number, y: number): void {
  let a = la[r] as number;
  let b = lb[r] as number;
  let k = Math.imul(x, M1);
  k = Math.imul((k << 15) | (k >>> 17), M2);
  a ^= k;
  a = (a << 13) | (a >>> 19);
  a = (a + b) | 0;
  a = (Math.imul(a, 5) + 0x561ccd1b) | 0;
  k = Math.imul(y, M2);
  k = Math.imul((k << 16) | (k >>> 16), M3);
  b ^= k;
  b = (b << 17) | (b >>> 15);
  b = (b + a) | 0;
  b = (Math.imul(b, 5) + 0x0bcaa747) | 0;
  la[r] = a;
  lb[r] = b;
}
