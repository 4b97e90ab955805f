/**
 * Column chunk encoding for writeParquet: strata's five column types straight from CellValue arrays to
 * Parquet pages, over typed arrays. Writes the layout hyparquet-writer 0.17.0 wrote for the same columns
 * (data pages v2 cut at about 1 MiB, a dictionary when it at least halves the values' bytes, RLE
 * booleans, RLE definition levels, min/max/null-count statistics, NaN counts for doubles), so every reader
 * of the files written before reads these too; the footer is still serialized by hyparquet-writer's
 * thrift writer (once per file, not the cost). Doing it here instead of feeding hyparquet-writer saves
 * what its generic path spends on our shapes: a BigInt per INT64 value, a Uint8Array per string, the
 * dictionary's per-value size estimates, and a byte-at-a-time output writer.
 */

import type { ColumnChunk, ColumnMetaData, Encoding, SchemaElement } from 'hyparquet';
import type { ColumnCells, ColumnCodes, ColumnSchema } from '../domain/table.js';
import { InvalidInputError } from '../errors.js';
import { snappyCompress } from './snappy.js';

export type PageCodec = 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';

/** A page is closed once its values' estimated bytes reach this (hyparquet-writer's default page size). */
const PAGE_SIZE = 1024 * 1024;
/** Beyond this many distinct values a dictionary is not tried: indexes would be wider than 20 bits. */
const MAX_DICTIONARY_ENTRIES = 1 << 20;
/** A column whose sample is this distinct goes PLAIN without building the dictionary. */
const SAMPLE_REJECTION_RATIO = 0.9;
const SAMPLE_SIZE = 1000;

const ENCODING = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8 } as const;
const PAGE_TYPE = { DICTIONARY_PAGE: 2, DATA_PAGE_V2: 3 } as const;

/** A growable byte buffer with its bytes and length in the open, for the hot loops to write into. */
export class ByteBuffer {
  buf: Buffer;
  pos = 0;
  constructor(capacity = 1 << 16) {
    this.buf = Buffer.allocUnsafeSlow(capacity);
  }
  ensure(more: number): void {
    if (this.pos + more <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + more));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }
  varint(value: number): void {
    this.ensure(5);
    let v = value >>> 0;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

function badValue(column: ColumnSchema, row: number, what: string): InvalidInputError {
  return new InvalidInputError(`column "${column.name}" row ${row}: ${what}`, [
    { path: `${column.name}[${row}]`, message: what },
  ]);
}

// ---------------------------------------------------------------------------------------------------------
// RLE / bit-packed hybrid (definition levels, boolean values, dictionary indexes)

/**
 * Writes values[start, end) as the RLE/bit-packed hybrid: runs of 8+ equal values as RLE runs, the rest
 * bit-packed in groups of 8 (the last group zero-padded), as hyparquet-writer decides them.
 */
function writeHybrid(
  out: ByteBuffer,
  values: Uint8Array | Int32Array,
  start: number,
  end: number,
  bitWidth: number,
): void {
  const byteWidth = (bitWidth + 7) >> 3;
  let pendingGroups = 0;
  let packedStart = start;
  let i = start;
  while (i < end) {
    const first = values[i] as number;
    let run = 1;
    while (i + run < end && values[i + run] === first) run++;
    if (run >= 8) {
      if (pendingGroups > 0) {
        writePacked(out, values, packedStart, pendingGroups, bitWidth, end);
        pendingGroups = 0;
      }
      out.varint(run * 2);
      out.ensure(byteWidth);
      for (let j = 0; j < byteWidth; j++) out.buf[out.pos++] = (first >>> (j * 8)) & 0xff;
      i += run;
    } else {
      if (pendingGroups === 0) packedStart = i;
      pendingGroups++;
      i += 8;
    }
  }
  if (pendingGroups > 0) writePacked(out, values, packedStart, pendingGroups, bitWidth, end);
}

function writePacked(
  out: ByteBuffer,
  values: Uint8Array | Int32Array,
  start: number,
  groups: number,
  bitWidth: number,
  end: number,
): void {
  out.varint((groups << 1) | 1);
  if (bitWidth === 0) return;
  out.ensure(groups * bitWidth + 4);
  const buf = out.buf;
  let op = out.pos;
  const total = groups * 8;
  const mask = bitWidth >= 32 ? -1 : (1 << bitWidth) - 1;
  let acc = 0;
  let bits = 0;
  for (let k = 0; k < total; k++) {
    const idx = start + k;
    const v = idx < end ? (values[idx] as number) & mask : 0;
    acc |= v << bits;
    bits += bitWidth;
    while (bits >= 8) {
      buf[op++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) buf[op++] = acc & 0xff;
  out.pos = op;
}

// ---------------------------------------------------------------------------------------------------------
// Thrift compact page headers

function thriftI32(out: ByteBuffer, field: number, last: number, value: number): number {
  out.ensure(6);
  out.buf[out.pos++] = ((field - last) << 4) | 5;
  out.varint(((value << 1) ^ (value >> 31)) >>> 0);
  return field;
}

interface PageHeader {
  type: number;
  uncompressed: number;
  compressed: number;
  dictionary?: { numValues: number };
  v2?: {
    numValues: number;
    numNulls: number;
    numRows: number;
    encoding: number;
    defLength: number;
    compressed: boolean;
  };
}

function writePageHeader(out: ByteBuffer, h: PageHeader): void {
  let last = 0;
  last = thriftI32(out, 1, last, h.type);
  last = thriftI32(out, 2, last, h.uncompressed);
  last = thriftI32(out, 3, last, h.compressed);
  if (h.dictionary) {
    out.ensure(1);
    out.buf[out.pos++] = ((7 - last) << 4) | 12;
    last = 7;
    let f = 0;
    f = thriftI32(out, 1, f, h.dictionary.numValues);
    f = thriftI32(out, 2, f, ENCODING.PLAIN);
    out.ensure(1);
    out.buf[out.pos++] = 0;
  }
  if (h.v2) {
    out.ensure(1);
    out.buf[out.pos++] = ((8 - last) << 4) | 12;
    let f = 0;
    f = thriftI32(out, 1, f, h.v2.numValues);
    f = thriftI32(out, 2, f, h.v2.numNulls);
    f = thriftI32(out, 3, f, h.v2.numRows);
    f = thriftI32(out, 4, f, h.v2.encoding);
    f = thriftI32(out, 5, f, h.v2.defLength);
    f = thriftI32(out, 6, f, 0);
    out.ensure(2);
    // is_compressed defaults to true: written only when false.
    if (!h.v2.compressed) out.buf[out.pos++] = ((7 - f) << 4) | 2;
    out.buf[out.pos++] = 0;
  }
  out.ensure(1);
  out.buf[out.pos++] = 0;
}

// ---------------------------------------------------------------------------------------------------------
// Values

/** Little-endian INT64 halves of `value` (a safe integer) at `i32[2 * at]`. */
function putInt64(i32: Int32Array, at: number, value: number): void {
  let lo = value % 4294967296;
  if (lo < 0) lo += 4294967296;
  i32[2 * at] = lo | 0;
  i32[2 * at + 1] = ((value - lo) / 4294967296) | 0;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const bigScratch = new BigInt64Array(1);
const bigScratch32 = new Int32Array(bigScratch.buffer);

function fitsMicros(ms: number): boolean {
  const big = BigInt(ms) * 1000n;
  return big >= INT64_MIN && big <= INT64_MAX;
}

/**
 * Milliseconds (checked by fitsMicros) as INT64 microseconds; past ±2^53 µs (the year 2255) in bigint
 * arithmetic, which a number cannot hold exactly.
 */
function putMicros(i32: Int32Array, at: number, ms: number): void {
  const us = ms * 1000;
  if (Number.isSafeInteger(us)) {
    putInt64(i32, at, us);
    return;
  }
  bigScratch[0] = BigInt(ms) * 1000n;
  i32[2 * at] = bigScratch32[0] as number;
  i32[2 * at + 1] = bigScratch32[1] as number;
}

/** UTF-8 of `s` at `out.pos + 4`, its byte length before it (PLAIN BYTE_ARRAY); lone surrogates → U+FFFD. */
function putString(out: ByteBuffer, s: string): void {
  const len = s.length;
  out.ensure(4 + 3 * len);
  const buf = out.buf;
  const at = out.pos + 4;
  let n = 0;
  if (len < 64) {
    for (; n < len; n++) {
      const c = s.charCodeAt(n);
      if (c >= 0x80) break;
      buf[at + n] = c;
    }
  }
  if (n < len) n = buf.write(s, at, 'utf8');
  buf[out.pos] = n & 0xff;
  buf[out.pos + 1] = (n >>> 8) & 0xff;
  buf[out.pos + 2] = (n >>> 16) & 0xff;
  buf[out.pos + 3] = n >>> 24;
  out.pos = at + n;
}

/**
 * Strings in UTF-8 byte order, which is code point order (what Parquet's BYTE_ARRAY min/max mean):
 * JavaScript's `<` compares UTF-16 code units, which misorders supplementary characters against
 * U+E000..U+FFFF. Lone surrogates compare as U+FFFD, as they are written.
 */
export function compareUtf8(left: string, right: string): number {
  if (left === right) return 0;
  const length = Math.min(left.length, right.length);
  let i = 0;
  while (i < length && left.charCodeAt(i) === right.charCodeAt(i)) i++;
  // One a prefix of the other: the longer is greater in code points too (a high surrogate cut at the end
  // of the shorter reads as U+FFFD, below what it pairs into or is followed by in the longer).
  if (i === length) return left.length - right.length;
  // Below the surrogates, code units order as code points: no need to decode (the common case).
  const a = left.charCodeAt(i);
  const b = right.charCodeAt(i);
  if (a < 0xd800 && b < 0xd800) return a - b;
  if (i > 0) {
    const prev = left.charCodeAt(i - 1);
    if (prev >= 0xd800 && prev <= 0xdbff) i--;
  }
  while (i < left.length && i < right.length) {
    const a = codePointAt(left, i);
    const b = codePointAt(right, i);
    if (a !== b) return a - b;
    i += a > 0xffff ? 2 : 1;
  }
  return left.length - right.length;
}

/** Whether every code unit of `s` is below U+D800. */
function belowSurrogates(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0xd800) return false;
  return true;
}

function codePointAt(s: string, i: number): number {
  const code = s.codePointAt(i) ?? 0xfffd;
  return code >= 0xd800 && code <= 0xdfff ? 0xfffd : code;
}

// ---------------------------------------------------------------------------------------------------------
// Column chunks

/** One column of one row group, checked and laid out: the non-null values in order, and which rows hold one. */
export interface Prepared {
  /** 1 where the row holds a value; undefined when the column is REQUIRED. */
  present: Uint8Array | undefined;
  nulls: number;
  /** int, float, timestamp: the values; bool: 0/1. */
  numbers: Float64Array | undefined;
  strings: string[] | undefined;
  /**
   * string: every value's code, when the reader numbered every value of the row group by one dictionary
   * (`strings[i]` is `dictionary[codes[i]]`).
   */
  codes: { codes: Int32Array; dictionary: readonly string[] } | undefined;
  count: number;
}

/**
 * One column of the open row group, checked and converted as its batches arrive: the values go straight
 * into typed arrays, so a row group is never held as CellValue slices, joined, and walked again. Reused
 * across row groups (its arrays keep their capacity). Throws InvalidInputError for a value of the wrong
 * type or a null in a REQUIRED column, naming the file row.
 */
export class ColumnBuilder {
  private present: Uint8Array | undefined;
  private numbers: Float64Array | undefined;
  private strings: string[] | undefined;
  /** Parallel to `strings` while every value appended to the row group came with a code of `dictionary`. */
  private codes: Int32Array | undefined;
  private dictionary: readonly string[] | undefined;
  private coded = true;
  private nulls = 0;
  private count = 0;
  /** Rows appended to the open row group. */
  rows = 0;

  constructor(
    private readonly column: ColumnSchema,
    capacity: number,
  ) {
    const initial = Math.max(1, Math.min(capacity, 1 << 16));
    if (column.nullable) this.present = new Uint8Array(initial);
    if (column.type === 'string') this.strings = [];
    else this.numbers = new Float64Array(initial);
  }

  /**
   * Appends values[from, to); `firstRow` is the file row of values[from]. `codes`: the batch's codes of
   * this (string) column, if the reader numbered it.
   */
  append(
    values: ColumnCells | undefined,
    from: number,
    to: number,
    firstRow: number,
    codes?: ColumnCodes,
  ): void {
    const { column } = this;
    const n = to - from;
    this.reserve(this.rows + n);
    // A column shorter than the batch reads as nulls past its end.
    const cells = values ?? [];
    let present = this.present;
    if (present) present.fill(0, this.rows, this.rows + n);
    if (column.type === 'string') {
      const strings = this.strings as string[];
      let count = this.count;
      let coded = this.coded && this.codedBy(codes, to);
      const codeOf = codes?.codes;
      const kept = this.codes;
      for (let i = 0; i < n; i++) {
        const v = cells[from + i];
        if (typeof v === 'string') {
          if (coded) {
            const code = (codeOf as Int32Array)[from + i] as number;
            if (code < 0) coded = false;
            else (kept as Int32Array)[count] = code;
          }
          // Stored by index into the array kept from the last row group (no growth once it has grown).
          strings[count++] = v;
          if (present) present[this.rows + i] = 1;
        } else if (v === null || v === undefined) {
          if (!present) throw badValue(column, firstRow + i, 'null in a column that is not nullable');
          this.nulls++;
        } else {
          throw badValue(column, firstRow + i, `expected ${column.type}, got ${typeof v}`);
        }
      }
      this.coded = coded;
      this.count = count;
      this.rows += n;
      return;
    }
    const numbers = this.numbers as Float64Array;
    const expected = column.type === 'bool' ? 'boolean' : 'number';
    let count = this.count;
    present = this.present;
    for (let i = 0; i < n; i++) {
      const v = cells[from + i];
      if (v === null || v === undefined) {
        if (!present) throw badValue(column, firstRow + i, 'null in a column that is not nullable');
        this.nulls++;
        continue;
      }
      if (typeof v !== expected)
        throw badValue(column, firstRow + i, `expected ${column.type}, got ${typeof v}`);
      if (
        (column.type === 'int' && !Number.isSafeInteger(v)) ||
        (column.type === 'timestamp' && !Number.isInteger(v))
      ) {
        throw badValue(column, firstRow + i, `expected ${column.type}, got ${String(v)}`);
      }
      // Microseconds must fit INT64 (instants within ±292,000 years).
      if (
        column.type === 'timestamp' &&
        !Number.isSafeInteger((v as number) * 1000) &&
        !fitsMicros(v as number)
      ) {
        throw badValue(column, firstRow + i, `expected ${column.type}, got ${String(v)}`);
      }
      numbers[count++] = v === true ? 1 : v === false ? 0 : (v as number);
      if (present) present[this.rows + i] = 1;
    }
    this.count = count;
    this.rows += n;
  }

  /**
   * Whether the row group's values can go on being kept with their codes: `codes` covers the batch's rows
   * up to `to`, and is of the dictionary the group's earlier values were numbered by.
   */
  private codedBy(codes: ColumnCodes | undefined, to: number): boolean {
    if (codes === undefined || codes.codes.length < to) return false;
    if (this.count === 0) this.dictionary = codes.strings;
    else if (this.dictionary !== codes.strings) return false;
    const needed = this.count + to;
    if (this.codes === undefined || this.codes.length < needed) {
      const grown = new Int32Array(Math.max(needed, 2 * (this.codes?.length ?? 0)));
      if (this.codes) grown.set(this.codes.subarray(0, this.count));
      this.codes = grown;
    }
    return true;
  }

  /** The open row group's column, laid out for encodeColumnChunk; valid until the next append or reset. */
  prepared(): Prepared {
    // The strings array outlives row groups: cut to this one's values (a no-op while groups are full).
    if (this.strings && this.strings.length !== this.count) this.strings.length = this.count;
    const coded = this.coded && this.count > 0 && this.codes && this.dictionary;
    return {
      present: this.present?.subarray(0, this.rows),
      nulls: this.nulls,
      numbers: this.numbers?.subarray(0, this.count),
      strings: this.strings,
      codes: coded
        ? {
            codes: (this.codes as Int32Array).subarray(0, this.count),
            dictionary: this.dictionary as readonly string[],
          }
        : undefined,
      count: this.count,
    };
  }

  /** Empties the builder for the next row group. */
  reset(): void {
    this.rows = 0;
    this.count = 0;
    this.nulls = 0;
    this.coded = true;
    this.dictionary = undefined;
  }

  private reserve(rows: number): void {
    const grown = (length: number) => Math.max(rows, length * 2);
    if (this.present && this.present.length < rows) {
      const next = new Uint8Array(grown(this.present.length));
      next.set(this.present.subarray(0, this.rows));
      this.present = next;
    }
    if (this.numbers && this.numbers.length < rows) {
      const next = new Float64Array(grown(this.numbers.length));
      next.set(this.numbers.subarray(0, this.count));
      this.numbers = next;
    }
  }
}

interface Statistics {
  min_value?: bigint | number | boolean | string;
  max_value?: bigint | number | boolean | string;
  null_count: bigint;
  nan_count?: bigint;
}

function statistics(column: ColumnSchema, p: Prepared, dictionary: Dictionary | undefined): Statistics {
  const stats: Statistics = { null_count: BigInt(p.nulls) };
  if (column.type === 'string') {
    // The distinct values have the same bounds, and are usually far fewer.
    const strings = dictionary?.strings ?? (p.strings as string[]);
    if (strings.length === 0) return stats;
    let min = strings[0] as string;
    let max = min;
    // First code units of the bounds (-1 for an empty string): a value whose first unit lies strictly
    // between them, below the surrogates (where units order as code points), is neither bound, and
    // needs no comparison — most values, in a column of varied text.
    let minFirst = min.length > 0 ? min.charCodeAt(0) : -1;
    let maxFirst = max.length > 0 ? max.charCodeAt(0) : -1;
    // A bound without a code unit from U+D800 up compares with any string in code point order under
    // JavaScript's own (UTF-16) order: the two part only where a surrogate meets U+E000..U+FFFF.
    let minPlain = belowSurrogates(min);
    let maxPlain = minPlain;
    for (let i = 1; i < strings.length; i++) {
      const s = strings[i] as string;
      const first = s.length > 0 ? s.charCodeAt(0) : -1;
      if ((first > minFirst && first < maxFirst && maxFirst < 0xd800) || s === min || s === max) continue;
      if (minPlain ? s < min : compareUtf8(s, min) < 0) {
        min = s;
        minFirst = first;
        minPlain = belowSurrogates(s);
      } else if (maxPlain ? s > max : compareUtf8(s, max) > 0) {
        max = s;
        maxFirst = first;
        maxPlain = belowSurrogates(s);
      }
    }
    stats.min_value = min;
    stats.max_value = max;
    return stats;
  }
  const numbers = p.numbers as Float64Array;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nan = 0;
  let seen = false;
  for (let i = 0; i < numbers.length; i++) {
    const v = numbers[i] as number;
    if (Number.isNaN(v)) {
      nan++;
      continue;
    }
    seen = true;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (column.type === 'float') stats.nan_count = BigInt(nan);
  if (!seen) return stats;
  switch (column.type) {
    case 'bool':
      stats.min_value = min === 1;
      stats.max_value = max === 1;
      break;
    case 'int':
      stats.min_value = BigInt(min);
      stats.max_value = BigInt(max);
      break;
    case 'timestamp':
      stats.min_value = BigInt(min) * 1000n;
      stats.max_value = BigInt(max) * 1000n;
      break;
    case 'float':
      // Parquet's rule for signed zero: a zero min is -0, a zero max is +0.
      stats.min_value = min === 0 ? -0 : min;
      stats.max_value = max === 0 ? 0 : max;
      break;
  }
  return stats;
}

interface Dictionary {
  /** Index of each non-null value in `entries`. */
  indexes: Int32Array;
  numbers?: Float64Array;
  strings?: string[];
  size: number;
}

const NEGATIVE_ZERO_KEY = '-0';

/** Whether a sample spread over the values is distinct enough that a dictionary would not pay. */
function sampleRejects<T>(values: ArrayLike<T>, size: (v: T) => number): boolean {
  const n = values.length;
  const m = Math.min(n, SAMPLE_SIZE);
  if (m === 0) return true;
  const seen = new Set<T>();
  let distinct = 0;
  let total = 0;
  for (let i = 0; i < m; i++) {
    const v = values[m === 1 ? 0 : Math.floor((i * (n - 1)) / (m - 1))] as T;
    const s = size(v);
    total += s;
    if (!seen.has(v)) {
      seen.add(v);
      distinct += s;
    }
  }
  return total === 0 || distinct / total > SAMPLE_REJECTION_RATIO;
}

function bitWidthOf(max: number): number {
  return max <= 0 ? 0 : 32 - Math.clz32(max);
}

/**
 * A dictionary, when its values plus their bit-packed indexes at most halve the PLAIN bytes (the
 * hyparquet-writer rule, so the files keep their size).
 */
function numberDictionary(numbers: Float64Array): Dictionary | undefined {
  const n = numbers.length;
  if (sampleRejects(numbers, () => 8)) return undefined;
  const indexes = new Int32Array(n);
  const index = new Map<number | string, number>();
  const entries: number[] = [];
  // Past n/2 entries the dictionary alone is more than half the PLAIN bytes.
  const limit = Math.min(n / 2, MAX_DICTIONARY_ENTRIES);
  for (let i = 0; i < n; i++) {
    const v = numbers[i] as number;
    // Map keys compare -0 equal to 0; the sign of a zero is a value of its own.
    const key = v === 0 && 1 / v < 0 ? NEGATIVE_ZERO_KEY : v;
    let at = index.get(key);
    if (at === undefined) {
      at = entries.length;
      if (at >= limit) return undefined;
      entries.push(v);
      index.set(key, at);
    }
    indexes[i] = at;
  }
  const indexBytes = Math.ceil((n * Math.ceil(Math.log2(entries.length))) / 8);
  if (2 * (8 * entries.length + indexBytes) > 8 * n) return undefined;
  return { indexes, numbers: Float64Array.from(entries), size: entries.length };
}

/**
 * `coded`: the values' codes in the reader's dictionary of the column. A code seen before in the row group
 * then finds its entry in an array; the map by string is asked once per code (two codes may name equal
 * texts), so the entries and indexes are those the strings alone give.
 */
function stringDictionary(strings: string[], coded?: Prepared['codes']): Dictionary | undefined {
  const n = strings.length;
  if (sampleRejects(strings, (s) => s.length + 4)) return undefined;
  const indexes = new Int32Array(n);
  const index = new Map<string, number>();
  const entries: string[] = [];
  const codes = coded?.codes;
  // Code → entry + 1 (0: not seen in this row group).
  const entryOf = codes ? new Int32Array(coded.dictionary.length) : undefined;
  let entryChars = 0;
  let totalChars = 0;
  // A quarter and half way, a dictionary whose entries alone are over half the bytes so far is dropped:
  // distinct values only become rarer further on, but a column of mostly unique text (free-form notes)
  // would otherwise build a dictionary as large as itself per row group only to drop it at the end.
  const quarter = n >> 2;
  const half = n >> 1;
  for (let i = 0; i < n; i++) {
    if (
      (i === quarter || i === half) &&
      i > 0 &&
      2 * (entryChars + 4 * entries.length) > totalChars + 4 * i
    ) {
      return undefined;
    }
    const s = strings[i] as string;
    totalChars += s.length;
    if (entryOf !== undefined) {
      const code = (codes as Int32Array)[i] as number;
      const known = (entryOf[code] as number) - 1;
      if (known >= 0) {
        indexes[i] = known;
        continue;
      }
    }
    let at = index.get(s);
    if (at === undefined) {
      at = entries.length;
      if (at >= MAX_DICTIONARY_ENTRIES) return undefined;
      entries.push(s);
      entryChars += s.length;
      index.set(s, at);
    }
    if (entryOf !== undefined) entryOf[(codes as Int32Array)[i] as number] = at + 1;
    indexes[i] = at;
  }
  const indexBytes = Math.ceil((n * Math.ceil(Math.log2(entries.length))) / 8);
  if (2 * (entryChars + 4 * entries.length + indexBytes) > totalChars + 4 * n) return undefined;
  return { indexes, strings: entries, size: entries.length };
}

export interface ChunkContext {
  /** The row group's bytes; the chunk is appended. */
  out: ByteBuffer;
  /** File offset of `out`'s first byte. */
  base: number;
  codec: PageCodec;
  compress: (bytes: Uint8Array) => Uint8Array;
}

export function compressorFor(
  codec: PageCodec,
  gzip: (b: Uint8Array) => Uint8Array,
): (b: Uint8Array) => Uint8Array {
  if (codec === 'SNAPPY') return snappyCompress;
  if (codec === 'GZIP') return gzip;
  return (b) => b;
}

/** Scratch buffers reused across pages and chunks (one writer at a time per module: encoding is sync). */
const levels = new ByteBuffer(1 << 16);
const pageValues = new ByteBuffer(1 << 20);

/** One page of a column chunk, encoded and waiting for its values' compressed bytes. */
interface EncodedPage {
  /** The header but for its compressed size (known once the values are compressed). */
  header: Omit<PageHeader, 'compressed'>;
  /** DATA_PAGE_V2 definition levels, stored uncompressed before the values; empty for a dictionary page. */
  levels: Uint8Array;
  /** The values to compress, the whole of their own buffer. */
  values: Uint8Array;
}

/**
 * A column chunk of one row group, encoded: its pages (the dictionary page first, when there is one) and
 * metadata, holding nothing of the builder it came from. Its pages' values are compressed (on this thread
 * or on a worker) before it is assembled into the file.
 */
export interface EncodedChunk {
  column: ColumnSchema;
  element: SchemaElement;
  rows: number;
  pages: EncodedPage[];
  stats: Statistics;
  encodings: Encoding[];
  encodingStats: NonNullable<ColumnMetaData['encoding_stats']>;
}

/** Encodes one column chunk of `n` rows (a ColumnBuilder's prepared row group): pages not yet compressed. */
export function encodeColumnChunk(
  column: ColumnSchema,
  element: SchemaElement,
  p: Prepared,
  n: number,
  codec: PageCodec,
): EncodedChunk {
  // Microseconds (or the INT64 halves of ints) of every non-null value, computed once for all pages.
  let int64: Int32Array | undefined;
  let dictionary: Dictionary | undefined;
  if (column.type === 'string') dictionary = stringDictionary(p.strings as string[], p.codes);
  else if (column.type !== 'bool') dictionary = numberDictionary(p.numbers as Float64Array);
  const stats = statistics(column, p, dictionary);
  if (!dictionary && (column.type === 'int' || column.type === 'timestamp')) {
    int64 = toInt64(column, p.numbers as Float64Array);
  }

  const pages: EncodedPage[] = [];
  const encodings: Encoding[] = [];
  if (dictionary) {
    pageValues.pos = 0;
    if (dictionary.strings) {
      for (const s of dictionary.strings) putString(pageValues, s);
    } else if (column.type === 'float') {
      pageValues.bytes(new Uint8Array((dictionary.numbers as Float64Array).buffer));
    } else {
      const halves = toInt64(column, dictionary.numbers as Float64Array);
      pageValues.bytes(new Uint8Array(halves.buffer));
    }
    // Copies: the scratch is reused for the next page (and a Buffer's slice() would be a view of it).
    const values = new Uint8Array(pageValues.view());
    pages.push({
      header: {
        type: PAGE_TYPE.DICTIONARY_PAGE,
        uncompressed: values.length,
        dictionary: { numValues: dictionary.size },
      },
      levels: new Uint8Array(0),
      values,
    });
    encodings.push('PLAIN');
  }
  const encoding: Encoding = dictionary
    ? 'RLE_DICTIONARY'
    : column.type === 'bool' && n > 16
      ? 'RLE'
      : 'PLAIN';
  encodings.push(encoding);

  let dataPages = 0;
  let row = 0;
  let valueAt = 0;
  const present = p.present;
  while (row < n) {
    const end = pageEnd(column, dictionary !== undefined, p, row, valueAt, n);
    let count = end - row;
    if (present) {
      count = 0;
      for (let i = row; i < end; i++) count += present[i] as number;
    }
    levels.pos = 0;
    if (present) writeHybrid(levels, present, row, end, 1);
    pageValues.pos = 0;
    writeValues(column, p, dictionary, int64, valueAt, valueAt + count, encoding);
    const values = new Uint8Array(pageValues.view());
    pages.push({
      header: {
        type: PAGE_TYPE.DATA_PAGE_V2,
        uncompressed: levels.pos + values.length,
        v2: {
          numValues: end - row,
          numNulls: end - row - count,
          numRows: end - row,
          encoding: ENCODING[encoding as keyof typeof ENCODING],
          defLength: levels.pos,
          compressed: codec !== 'UNCOMPRESSED',
        },
      },
      levels: new Uint8Array(levels.view()),
      values,
    });
    dataPages++;
    valueAt += count;
    row = end;
  }

  const encodingStats: EncodedChunk['encodingStats'] = [];
  if (dictionary) encodingStats.push({ page_type: 'DICTIONARY_PAGE', encoding: 'PLAIN', count: 1 });
  encodingStats.push({ page_type: 'DATA_PAGE_V2', encoding, count: dataPages });
  return { column, element, rows: n, pages, stats, encodings, encodingStats };
}

/**
 * Appends an encoded column chunk to `ctx.out`, each page's values as `compressed` gives them (in page
 * order; a result used before the next call), and answers its metadata.
 */
export function assembleColumnChunk(
  ctx: Pick<ChunkContext, 'out' | 'base' | 'codec'>,
  chunk: EncodedChunk,
  compressed: (page: number) => Uint8Array,
): ColumnChunk {
  const { out } = ctx;
  const chunkStart = out.pos;
  let uncompressedTotal = 0;
  let dictionaryOffset: bigint | undefined;
  let dataOffset: bigint | undefined;
  chunk.pages.forEach((page, k) => {
    if (page.header.type === PAGE_TYPE.DICTIONARY_PAGE) dictionaryOffset = BigInt(ctx.base + out.pos);
    else dataOffset ??= BigInt(ctx.base + out.pos);
    const bytes = compressed(k);
    const headerStart = out.pos;
    writePageHeader(out, { ...page.header, compressed: page.levels.length + bytes.length });
    uncompressedTotal += out.pos - headerStart + page.header.uncompressed;
    out.bytes(page.levels);
    out.bytes(bytes);
  });
  const meta: ColumnMetaData = {
    type: chunk.element.type as ColumnMetaData['type'],
    encodings: chunk.encodings,
    path_in_schema: [chunk.column.name],
    codec: ctx.codec,
    num_values: BigInt(chunk.rows),
    total_compressed_size: BigInt(out.pos - chunkStart),
    total_uncompressed_size: BigInt(uncompressedTotal),
    data_page_offset: dataOffset ?? BigInt(ctx.base + out.pos),
    dictionary_page_offset: dictionaryOffset,
    statistics: chunk.stats as ColumnMetaData['statistics'],
    encoding_stats: chunk.encodingStats,
  };
  return { meta_data: meta, file_offset: BigInt(ctx.base + chunkStart) };
}

function toInt64(column: ColumnSchema, numbers: Float64Array): Int32Array {
  const halves = new Int32Array(numbers.length * 2);
  if (column.type === 'int') {
    for (let i = 0; i < numbers.length; i++) putInt64(halves, i, numbers[i] as number);
  } else {
    for (let i = 0; i < numbers.length; i++) putMicros(halves, i, numbers[i] as number);
  }
  return halves;
}

/** The end row of the page that starts at `row`: values are added until their estimated bytes reach a page. */
function pageEnd(
  column: ColumnSchema,
  dictionary: boolean,
  p: Prepared,
  row: number,
  valueAt: number,
  n: number,
): number {
  const present = p.present;
  // Fixed width per value: indexes are estimated as INT32, as hyparquet-writer does.
  const width = dictionary ? 4 : column.type === 'bool' ? 0.125 : column.type === 'string' ? -1 : 8;
  let acc = 0;
  let v = valueAt;
  const strings = p.strings;
  for (let i = row; i < n; i++) {
    let size = 0;
    if (!present || present[i] === 1) {
      size = width >= 0 ? width : ((strings as string[])[v] as string).length;
      v++;
    }
    acc += size;
    if (acc >= PAGE_SIZE && i > row) return i;
  }
  return n;
}

function writeValues(
  column: ColumnSchema,
  p: Prepared,
  dictionary: Dictionary | undefined,
  int64: Int32Array | undefined,
  from: number,
  to: number,
  encoding: Encoding,
): void {
  if (dictionary) {
    const indexes = dictionary.indexes;
    let max = 0;
    for (let i = from; i < to; i++) if ((indexes[i] as number) > max) max = indexes[i] as number;
    const bitWidth = bitWidthOf(max);
    pageValues.ensure(1);
    pageValues.buf[pageValues.pos++] = bitWidth;
    writeHybrid(pageValues, indexes, from, to, bitWidth);
    return;
  }
  switch (column.type) {
    case 'string': {
      const strings = p.strings as string[];
      for (let i = from; i < to; i++) putString(pageValues, strings[i] as string);
      return;
    }
    case 'float': {
      const f = p.numbers as Float64Array;
      pageValues.bytes(new Uint8Array(f.buffer, f.byteOffset + from * 8, (to - from) * 8));
      return;
    }
    case 'int':
    case 'timestamp': {
      const h = int64 as Int32Array;
      pageValues.bytes(new Uint8Array(h.buffer, h.byteOffset + from * 8, (to - from) * 8));
      return;
    }
    case 'bool': {
      const bits = Uint8Array.from((p.numbers as Float64Array).subarray(from, to));
      if (encoding === 'RLE') {
        // RLE booleans carry their byte length first.
        const lengthAt = pageValues.pos;
        pageValues.ensure(4);
        pageValues.pos += 4;
        writeHybrid(pageValues, bits, 0, bits.length, 1);
        const length = pageValues.pos - lengthAt - 4;
        pageValues.buf.writeUInt32LE(length, lengthAt);
        return;
      }
      const bytes = Math.ceil(bits.length / 8);
      pageValues.ensure(bytes);
      pageValues.buf.fill(0, pageValues.pos, pageValues.pos + bytes);
      const buf = pageValues.buf;
      for (let i = 0; i < bits.length; i++) {
        const at = pageValues.pos + (i >> 3);
        if (bits[i]) buf[at] = (buf[at] as number) | (1 << (i & 7));
      }
      pageValues.pos += bytes;
      return;
    }
  }
}
