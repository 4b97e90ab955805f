/**
 * One string per distinct short field value of a column, instead of one per field: categories, codes and
 * user ids repeat, and a repeated value then costs a hash and a byte comparison instead of a decoded string
 * (less garbage, and the Parquet writer's dictionary finds an equal string by identity with its hash
 * already computed). A direct-mapped cache of fixed size, so memory is bounded whatever the column holds;
 * a column whose values rarely repeat turns it off after a sample, so it costs little where it cannot help.
 */

/** Longer values are decoded every time (they rarely repeat, and comparing them costs more). */
const MAX_BYTES = 32;
const SLOTS = 1 << 14;
/**
 * Lookups after which the hit rate is judged, and the share of hits below which the cache is dropped: a
 * lookup costs about half a decode and a miss a copy into the cache besides, so at a third of hits (notes
 * among a few repeated templates) the cache cost the conversion of a 1M-row file ~0.1 s more than it saved.
 */
const SAMPLE = 20_000;
const MIN_HIT_RATE = 0.5;

export class StringInterner {
  private readonly strings: (string | undefined)[] = new Array(SLOTS);
  private readonly lengths = new Int32Array(SLOTS).fill(-1);
  private readonly bytes = new Uint8Array(SLOTS * MAX_BYTES);
  private lookups = 0;
  private hits = 0;
  private enabled = true;

  /** The slot and bytes of the last miss, filled by `remember`. */
  private pendingSlot = -1;
  private pendingBytes: Uint8Array | undefined;
  private pendingStart = 0;
  private pendingEnd = 0;

  /**
   * The cached text of bytes[start, end) (UTF-8), or undefined: then the caller decodes the bytes and
   * hands the text to `remember` before the next lookup.
   */
  find(bytes: Uint8Array, start: number, end: number): string | undefined {
    const n = end - start;
    this.pendingSlot = -1;
    if (!this.enabled || n > MAX_BYTES) return undefined;
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
    const slot = (h ^ (h >>> 15)) & (SLOTS - 1);
    // Judged on the sample's last lookup, hit or miss.
    if (++this.lookups === SAMPLE && this.hits < MIN_HIT_RATE * SAMPLE) {
      this.enabled = false;
      return undefined;
    }
    if (this.lengths[slot] === n) {
      const base = slot * MAX_BYTES;
      let k = 0;
      while (k < n && this.bytes[base + k] === bytes[start + k]) k++;
      if (k === n) {
        this.hits++;
        return this.strings[slot];
      }
    }
    this.pendingSlot = slot;
    this.pendingBytes = bytes;
    this.pendingStart = start;
    this.pendingEnd = end;
    return undefined;
  }

  /** The text of the bytes the last `find` missed. */
  remember(text: string): void {
    const slot = this.pendingSlot;
    if (slot < 0 || this.pendingBytes === undefined) return;
    this.strings[slot] = text;
    this.lengths[slot] = this.pendingEnd - this.pendingStart;
    // A loop, not set(subarray()): a view object per miss would cost more than copying ≤ 32 bytes.
    const from = this.pendingBytes;
    for (let i = this.pendingStart, k = slot * MAX_BYTES; i < this.pendingEnd; i++, k++)
      this.bytes[k] = from[i] as number;
    this.pendingSlot = -1;
    this.pendingBytes = undefined;
  }
}
