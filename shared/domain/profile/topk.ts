import { HASH_OUT, hashString } from '../hashing.js';

/**
 * Space-Saving heavy hitters (Metwally, Agrawal, El Abbadi, 2005) over strings.
 *
 * Guarantee, with N values added and m = `capacity` counters: every monitored value's `count` is an
 * upper bound of its true frequency and `count - error` a lower bound, with error ≤ N/m; any value
 * whose true frequency exceeds N/m is monitored. Deterministic: the result depends only on the order
 * of the values.
 *
 * Layout, all typed arrays so that an update allocates nothing and costs O(1):
 * - the paper's "stream summary": counters grouped in buckets of equal count, buckets in a doubly
 *   linked list by ascending count, so the minimum is the first bucket and an increment moves a
 *   counter to the next bucket (a heap costs log m per update, and high-cardinality columns replace
 *   the minimum on nearly every value);
 * - an open-addressing table on the value's hash to find its counter. Callers that already hashed the
 *   value (the HyperLogLog of the same column) pass the hash in.
 */
export interface HeavyHitter {
  value: string;
  /** Upper bound of the true frequency. */
  count: number;
  /** `count - error` is a lower bound of the true frequency. */
  error: number;
}

const NONE = -1;

export class SpaceSaving {
  readonly capacity: number;
  #size = 0;
  #total = 0;
  // Counters ("slots").
  #values: string[] = [];
  #hashes: Int32Array;
  #errors: Float64Array;
  #bucketOf: Int32Array;
  #prevSlot: Int32Array;
  #nextSlot: Int32Array;
  // Buckets: a pool of `capacity` (never more buckets than counters), a free list through `#nextBucket`.
  #bucketCount: Float64Array;
  #head: Int32Array;
  #prevBucket: Int32Array;
  #nextBucket: Int32Array;
  #freeBucket = 0;
  #minBucket = NONE;
  #maxBucket = NONE;
  /** Linear-probing table of slot + 1 (0 = empty), at most half full. */
  #table: Int32Array;
  #mask: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 24) {
      throw new RangeError('Space-Saving capacity must be an integer in 1..2^24');
    }
    this.capacity = capacity;
    this.#hashes = new Int32Array(capacity);
    this.#errors = new Float64Array(capacity);
    this.#bucketOf = new Int32Array(capacity);
    this.#prevSlot = new Int32Array(capacity);
    this.#nextSlot = new Int32Array(capacity);
    this.#bucketCount = new Float64Array(capacity);
    this.#head = new Int32Array(capacity);
    this.#prevBucket = new Int32Array(capacity);
    this.#nextBucket = new Int32Array(capacity);
    for (let b = 0; b < capacity; b++) this.#nextBucket[b] = b + 1 < capacity ? b + 1 : NONE;
    const tableSize = 2 ** Math.ceil(Math.log2(capacity * 2 + 1));
    this.#table = new Int32Array(tableSize);
    this.#mask = tableSize - 1;
  }

  /**
   * Starts from exact frequencies: the `capacity` most frequent values, with no error. Values left
   * out are no more frequent than the smallest kept, which is the invariant Space-Saving maintains.
   */
  static fromCounts(counts: ReadonlyMap<string, number>, capacity: number): SpaceSaving {
    const sketch = new SpaceSaving(capacity);
    const entries = [...counts].sort(byCountThenValue);
    const kept = entries.slice(0, capacity);
    // Ascending, so each counter joins the last bucket or opens one after it.
    for (let i = kept.length - 1; i >= 0; i--) {
      const [value, count] = kept[i] ?? ['', 0];
      hashString(value);
      const slot = sketch.#size++;
      sketch.#values[slot] = value;
      sketch.#hashes[slot] = HASH_OUT[1] ?? 0;
      sketch.#link(slot);
      const last = sketch.#maxBucket;
      const bucket =
        last !== NONE && sketch.#bucketCount[last] === count ? last : sketch.#newBucketAfter(last, count);
      sketch.#attach(slot, bucket);
    }
    for (const [, count] of entries) sketch.#total += count;
    return sketch;
  }

  /** Number of values added. */
  get total(): number {
    return this.#total;
  }

  /**
   * Largest error of any counter: 0 while every value seen has its own counter, never above N/m.
   * (A value without a counter occurred at most as often as the smallest counter.)
   */
  get maxError(): number {
    let worst = 0;
    for (let slot = 0; slot < this.#size; slot++) worst = Math.max(worst, this.#errors[slot] ?? 0);
    return worst;
  }

  add(value: string): void {
    hashString(value);
    this.addHashed(value, HASH_OUT[1] ?? 0);
  }

  /** `add` for a caller that already ran `hashString(value)`: pass `HASH_OUT[1]`. */
  addHashed(value: string, hash: number): void {
    hash |= 0;
    this.#total++;
    const found = this.#find(value, hash);
    if (found !== NONE) {
      this.#increment(found);
      return;
    }
    if (this.#size < this.capacity) {
      const slot = this.#size++;
      this.#values[slot] = value;
      this.#hashes[slot] = hash;
      this.#link(slot);
      const first = this.#minBucket;
      const bucket = first !== NONE && this.#bucketCount[first] === 1 ? first : this.#newBucketAfter(NONE, 1);
      this.#attach(slot, bucket);
      return;
    }
    // Replace a least-counted value: the newcomer inherits its count as possible overestimate.
    const victim = this.#head[this.#minBucket] ?? 0;
    this.#errors[victim] = this.#bucketCount[this.#minBucket] ?? 0;
    this.#unlink(victim);
    this.#values[victim] = value;
    this.#hashes[victim] = hash;
    this.#link(victim);
    this.#increment(victim);
  }

  /** The `k` largest counters, by count (descending), then value. */
  top(k: number): HeavyHitter[] {
    const out: HeavyHitter[] = [];
    for (let slot = 0; slot < this.#size; slot++) {
      out.push({
        value: this.#values[slot] ?? '',
        count: this.#bucketCount[this.#bucketOf[slot] ?? 0] ?? 0,
        error: this.#errors[slot] ?? 0,
      });
    }
    out.sort((a, b) => b.count - a.count || compareStrings(a.value, b.value));
    return out.slice(0, k);
  }

  /** Moves a counter from its bucket to the one counting one more, creating it if needed. */
  #increment(slot: number): void {
    const from = this.#bucketOf[slot] ?? 0;
    const count = (this.#bucketCount[from] ?? 0) + 1;
    const next = this.#nextBucket[from] ?? NONE;
    this.#detach(slot);
    let to: number;
    if (next !== NONE && this.#bucketCount[next] === count) to = next;
    else if (this.#head[from] === NONE) {
      // The counter was alone: its bucket simply counts one more.
      this.#bucketCount[from] = count;
      to = from;
    } else to = this.#newBucketAfter(from, count);
    this.#attach(slot, to);
    if (this.#head[from] === NONE) this.#freeBucketIfEmpty(from);
  }

  #attach(slot: number, bucket: number): void {
    const head = this.#head[bucket] ?? NONE;
    this.#bucketOf[slot] = bucket;
    this.#prevSlot[slot] = NONE;
    this.#nextSlot[slot] = head;
    if (head !== NONE) this.#prevSlot[head] = slot;
    this.#head[bucket] = slot;
  }

  #detach(slot: number): void {
    const bucket = this.#bucketOf[slot] ?? 0;
    const prev = this.#prevSlot[slot] ?? NONE;
    const next = this.#nextSlot[slot] ?? NONE;
    if (prev !== NONE) this.#nextSlot[prev] = next;
    else this.#head[bucket] = next;
    if (next !== NONE) this.#prevSlot[next] = prev;
  }

  /** A new, empty bucket right after `after` (at the front when NONE). */
  #newBucketAfter(after: number, count: number): number {
    const bucket = this.#freeBucket;
    this.#freeBucket = this.#nextBucket[bucket] ?? NONE;
    const next = after === NONE ? this.#minBucket : (this.#nextBucket[after] ?? NONE);
    this.#bucketCount[bucket] = count;
    this.#head[bucket] = NONE;
    this.#prevBucket[bucket] = after;
    this.#nextBucket[bucket] = next;
    if (after === NONE) this.#minBucket = bucket;
    else this.#nextBucket[after] = bucket;
    if (next === NONE) this.#maxBucket = bucket;
    else this.#prevBucket[next] = bucket;
    return bucket;
  }

  #freeBucketIfEmpty(bucket: number): void {
    if (this.#head[bucket] !== NONE) return;
    const prev = this.#prevBucket[bucket] ?? NONE;
    const next = this.#nextBucket[bucket] ?? NONE;
    if (prev === NONE) this.#minBucket = next;
    else this.#nextBucket[prev] = next;
    if (next === NONE) this.#maxBucket = prev;
    else this.#prevBucket[next] = prev;
    this.#nextBucket[bucket] = this.#freeBucket;
    this.#freeBucket = bucket;
  }

  #find(value: string, hash: number): number {
    const table = this.#table;
    const mask = this.#mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = table[i] ?? 0;
      if (entry === 0) return NONE;
      const slot = entry - 1;
      if (this.#hashes[slot] === hash && this.#values[slot] === value) return slot;
    }
  }

  #link(slot: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let i = (this.#hashes[slot] ?? 0) & mask;
    while ((table[i] ?? 0) !== 0) i = (i + 1) & mask;
    table[i] = slot + 1;
  }

  /** Removes a counter from the table, shifting later entries of its probe run back (no tombstones). */
  #unlink(slot: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let i = (this.#hashes[slot] ?? 0) & mask;
    while ((table[i] ?? 0) !== slot + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const entry = table[j] ?? 0;
      if (entry === 0) break;
      const home = (this.#hashes[entry - 1] ?? 0) & mask;
      // The entry at j may fill the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        table[i] = entry;
        i = j;
      }
    }
    table[i] = 0;
  }
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function byCountThenValue(a: readonly [string, number], b: readonly [string, number]): number {
  return b[1] - a[1] || compareStrings(a[0], b[0]);
}
