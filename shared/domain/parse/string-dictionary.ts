/**
 * The distinct short values of a string column, each decoded once and numbered in first-seen order.
 * Categories, codes and user ids repeat: a repeated value then costs a hash and a byte comparison instead
 * of a decoded string (less garbage), and its number travels with the batch (`ColumnCodes`) so that the
 * Parquet writer's dictionary and the profiler's counts index arrays by it instead of hashing the string
 * again. Bounded in entries, so memory is bounded whatever the column holds; a column whose values rarely
 * repeat turns it off after a sample, so it costs little where it cannot help.
 */

/** Longer values are decoded every time (they rarely repeat, and comparing them costs more). */
const MAX_BYTES = 32;
/** Past this many distinct values a new one gets no code (those numbered keep theirs): ~3.5 MiB at most. */
const MAX_ENTRIES = 1 << 15;
/**
 * Lookups after which the hit rate is judged, and the share of hits below which the dictionary stops: a
 * lookup costs about half a decode and a miss a copy into the pool besides, so at a third of hits (notes
 * among a few repeated templates) it cost the conversion of a 1M-row file ~0.1 s more than it saved.
 */
const SAMPLE = 20_000;
const MIN_HIT_RATE = 0.5;
const EMPTY = -1;

export class StringDictionary {
  /** Code → text. Append-only: a code, once given, names the same text for the whole file. */
  readonly strings: string[] = [];
  /** Open addressing: each slot holds a code or EMPTY; at most half full. */
  private slots = new Int32Array(1024).fill(EMPTY);
  /** Per code: its bytes' hash, and where its bytes are in `pool`. */
  private hashes = new Int32Array(256);
  private offsets = new Int32Array(256);
  private lengths = new Int32Array(256);
  private pool = new Uint8Array(256 * 16);
  private poolEnd = 0;
  private lookups = 0;
  private hits = 0;
  private enabled = true;

  /** The bytes and hash of the last miss, numbered by `add`. */
  private pendingHash = 0;
  private pendingBytes: Uint8Array | undefined;
  private pendingStart = 0;
  private pendingEnd = 0;

  /**
   * The code of bytes[start, end) (UTF-8), or -1: then the caller decodes the bytes and hands the text to
   * `add` before the next lookup.
   */
  find(bytes: Uint8Array, start: number, end: number): number {
    const n = end - start;
    this.pendingBytes = undefined;
    if (!this.enabled || n > MAX_BYTES) return EMPTY;
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
    h ^= h >>> 15;
    // Judged on the sample's last lookup, hit or miss.
    if (++this.lookups === SAMPLE && this.hits < MIN_HIT_RATE * SAMPLE) {
      this.enabled = false;
      return EMPTY;
    }
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const code = slots[slot] as number;
      if (code === EMPTY) break;
      if (this.hashes[code] !== h || this.lengths[code] !== n) continue;
      const pool = this.pool;
      const base = this.offsets[code] as number;
      let k = 0;
      while (k < n && pool[base + k] === bytes[start + k]) k++;
      if (k === n) {
        this.hits++;
        return code;
      }
    }
    if (this.strings.length < MAX_ENTRIES) {
      this.pendingHash = h;
      this.pendingBytes = bytes;
      this.pendingStart = start;
      this.pendingEnd = end;
    }
    return EMPTY;
  }

  /** Numbers the text of the bytes the last `find` missed: its code, or -1 when it takes no more. */
  add(text: string): number {
    const bytes = this.pendingBytes;
    if (bytes === undefined) return EMPTY;
    this.pendingBytes = undefined;
    const code = this.strings.length;
    const n = this.pendingEnd - this.pendingStart;
    if (code === this.hashes.length) this.growEntries();
    if (this.poolEnd + n > this.pool.length) {
      const pool = new Uint8Array(Math.max(this.pool.length * 2, this.poolEnd + n));
      pool.set(this.pool.subarray(0, this.poolEnd));
      this.pool = pool;
    }
    // A loop, not set(subarray()): a view object per miss would cost more than copying ≤ 32 bytes.
    const pool = this.pool;
    for (let i = this.pendingStart, k = this.poolEnd; i < this.pendingEnd; i++, k++)
      pool[k] = bytes[i] as number;
    this.hashes[code] = this.pendingHash;
    this.offsets[code] = this.poolEnd;
    this.lengths[code] = n;
    this.poolEnd += n;
    this.strings.push(text);
    if (2 * this.strings.length > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(code);
    return code;
  }

  private place(code: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let slot = (this.hashes[code] as number) & mask;
    while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
    slots[slot] = code;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size).fill(EMPTY);
    for (let code = 0; code < this.strings.length; code++) this.place(code);
  }

  private growEntries(): void {
    const grow = (a: Int32Array) => {
      const next = new Int32Array(a.length * 2);
      next.set(a);
      return next;
    };
    this.hashes = grow(this.hashes);
    this.offsets = grow(this.offsets);
    this.lengths = grow(this.lengths);
  }
}
