/**
 * Row hashing for exact-duplicate counting: each cell folded into a row's 64-bit hash, and the
 * open-addressing set of the distinct row hashes seen.
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

/**
 * The distinct rows seen so far, as 64-bit hashes in one open-addressing table (linear probing, two
 * 32-bit words a slot, (0, 0) marking an empty slot). Sized from the profile's row count at a load of
 * at most 1/2, i.e. 16 bytes a row; it only grows if more distinct rows arrive than that.
 *
 * Two different rows are taken for equal only if all 64 bits of their hashes agree: about n²/2⁶⁵ for n
 * rows (3·10⁻⁸ for a million rows, 3·10⁻⁶ for ten million), and such a collision miscounts one row. The
 * hash is not cryptographic, so rows crafted to collide are not guarded against.
 */
export class RowHashSet {
  #keys: Uint32Array;
  #capacity: number;
  #size = 0;

  constructor(expectedRows: number) {
    this.#capacity = Math.max(16, Math.ceil(expectedRows * 2));
    this.#keys = new Uint32Array(this.#capacity * 2);
  }

  get size(): number {
    return this.#size;
  }

  /** Adds a hash; false when it was there already. */
  add(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    if (this.#size * 4 >= this.#capacity * 3) this.#grow();
    const inserted = insert(this.#keys, this.#capacity, hi, lo);
    if (inserted) this.#size++;
    return inserted;
  }

  #grow(): void {
    const old = this.#keys;
    const capacity = this.#capacity * 2;
    const keys = new Uint32Array(capacity * 2);
    for (let i = 0; i < old.length; i += 2) {
      const hi = old[i] as number;
      const lo = old[i + 1] as number;
      if (hi !== 0 || lo !== 0) insert(keys, capacity, hi, lo);
    }
    this.#keys = keys;
    this.#capacity = capacity;
  }
}

function insert(keys: Uint32Array, capacity: number, hi: number, lo: number): boolean {
  // hi / 2³² is uniform in [0, 1); the product's rounding cannot reach `capacity`.
  let i = Math.floor(hi * capacity * 2.3283064365386963e-10);
  for (;;) {
    const h = keys[2 * i] as number;
    const l = keys[2 * i + 1] as number;
    if (h === 0 && l === 0) {
      keys[2 * i] = hi;
      keys[2 * i + 1] = lo;
      return true;
    }
    if (h === hi && l === lo) return false;
    i++;
    if (i === capacity) i = 0;
  }
}
