/**
 * Column chunk decoding straight into CellValue arrays, for the flat columns most files hold (ours and
 * most tools'): INT32/INT64/FLOAT/DOUBLE/BOOLEAN/BYTE_ARRAY, PLAIN or dictionary pages (v1 or v2), RLE
 * booleans, snappy or any codec hyparquet-compressors decodes. hyparquet's generic path decodes a page
 * into an array of its own, converts INT64 through BigInt and dates through objects, then hands chunks
 * over for another pass; here each value is decoded once, into the row it belongs to. Anything else
 * (nested columns, delta or byte-stream-split encodings, INT96, decimals, unsigned 64-bit) answers
 * `false` and the caller reads the column through hyparquet, so both paths give the same values.
 */

import type { ColumnMetaData, Compressors, SchemaElement } from 'hyparquet';
import { snappyUncompress } from 'hyparquet';
import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import type { CellValue } from '../domain/table.js';
import { ParseError } from '../errors.js';

export type FastDecoder = 'int' | 'float' | 'bool' | 'timestamp' | 'string';

/** How the physical values of a column become CellValues. */
export type FastKind =
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'bool'
  | 'date32'
  | 'ts-millis'
  | 'ts-micros'
  | 'ts-nanos'
  | 'string';

const MS_PER_DAY = 86_400_000;
const SUPPORTED_ENCODINGS = new Set(['PLAIN', 'PLAIN_DICTIONARY', 'RLE_DICTIONARY', 'RLE', 'BIT_PACKED']);

/** The kind of a flat column the fast path decodes, or undefined. */
export function fastKind(
  element: SchemaElement,
  decoder: string,
  metas: (ColumnMetaData | undefined)[],
  compressors: Compressors,
): FastKind | undefined {
  if (element.repetition_type === 'REPEATED') return undefined;
  for (const meta of metas) {
    if (!meta) return undefined;
    if (meta.codec !== 'UNCOMPRESSED' && meta.codec !== 'SNAPPY' && !compressors[meta.codec])
      return undefined;
    if (meta.encodings.some((e) => !SUPPORTED_ENCODINGS.has(e))) return undefined;
  }
  const logical = element.logical_type;
  const converted = element.converted_type;
  if (converted === 'DECIMAL' || logical?.type === 'DECIMAL') return undefined;
  // BSON is refused by the generic path; leave that answer to it.
  if (converted === 'BSON' || logical?.type === 'BSON') return undefined;
  if (converted?.startsWith('UINT_') || (logical?.type === 'INTEGER' && !logical.isSigned)) return undefined;
  switch (decoder) {
    case 'int':
      if (element.type === 'INT32') return 'int32';
      if (element.type === 'INT64') return 'int64';
      return undefined;
    case 'float':
      if (element.type === 'FLOAT') return 'float32';
      if (element.type === 'DOUBLE') return 'float64';
      return undefined;
    case 'bool':
      return element.type === 'BOOLEAN' ? 'bool' : undefined;
    case 'string':
      return element.type === 'BYTE_ARRAY' ? 'string' : undefined;
    case 'timestamp': {
      if (element.type === 'INT32' && (converted === 'DATE' || logical?.type === 'DATE')) return 'date32';
      if (element.type !== 'INT64') return undefined;
      const unit = logical?.type === 'TIMESTAMP' ? logical.unit : undefined;
      if (unit === 'MILLIS' || (!unit && converted === 'TIMESTAMP_MILLIS')) return 'ts-millis';
      if (unit === 'MICROS' || (!unit && converted === 'TIMESTAMP_MICROS')) return 'ts-micros';
      if (unit === 'NANOS') return 'ts-nanos';
      return undefined;
    }
  }
  return undefined;
}

/** Thrown when a chunk turns out to need the generic path after all (an encoding its metadata did not list). */
export class NotFastError extends Error {
  override readonly name = 'NotFastError';
}

const textDecoder = new TextDecoder();

/** A page header as the compact thrift decoder answers it (field numbers of parquet.thrift's PageHeader). */
interface ThriftPageHeader {
  field_1: number;
  field_2: number;
  field_3: number;
  field_5?: { field_1: number; field_2: number; field_3: number };
  field_7?: { field_1: number };
  field_8?: { field_1: number; field_4: number; field_5: number; field_6: number; field_7?: boolean };
}

interface Column {
  name: string;
  kind: FastKind;
  optional: boolean;
  codec: string;
  compressors: Compressors;
  /** Absolute row of the chunk's first row, for error records. */
  firstRow: number;
  /** The target is a Float64Array (a chunk without nulls): a NaN stays NaN for the caller to see. */
  typed: boolean;
}

/**
 * Decodes one column chunk (`bytes`, from its first page) of `numRows` rows into `target[0, numRows)`.
 * `codes` (string columns): filled with each row's index in the chunk's dictionary page, -1 for a null or
 * a value of a PLAIN page; the dictionary's strings are answered, when the chunk has one. Throws
 * NotFastError for what the fast path does not decode, ParseError for an INT64 beyond ±2^53 in an int
 * column.
 */
export function decodeChunk(
  bytes: Uint8Array,
  kind: FastKind,
  element: SchemaElement,
  meta: ColumnMetaData,
  compressors: Compressors,
  numRows: number,
  firstRow: number,
  target: CellValue[],
  codes?: Int32Array,
): string[] | undefined {
  const column: Column = {
    name: element.name,
    kind,
    optional: element.repetition_type === 'OPTIONAL',
    codec: meta.codec,
    compressors,
    firstRow,
    typed: (target as unknown) instanceof Float64Array,
  };
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  let dictionary: CellValue[] | undefined;
  let row = 0;
  while (row < numRows) {
    if (reader.offset >= bytes.length) throw new Error(`column chunk ends after ${row} of ${numRows} rows`);
    const header = deserializeTCompactProtocol(reader) as unknown as ThriftPageHeader;
    const type = header.field_1 as number;
    const uncompressedSize = header.field_2 as number;
    const compressedSize = header.field_3 as number;
    const start = reader.offset;
    const body = bytes.subarray(start, start + compressedSize);
    reader.offset = start + compressedSize;
    if (type === 2) {
      const page = decompress(column, body, uncompressedSize, true);
      const count = header.field_7?.field_1 as number;
      dictionary = new Array<CellValue>(count);
      readPlain(column, page, 0, count, dictionary, undefined, 0);
    } else if (type === 0) {
      const h = header.field_5;
      if (!h) throw new Error('data page without its header');
      const numValues = h.field_1 as number;
      // Definition levels of v1 pages are RLE (3) in every current writer; the old BIT_PACKED is not read here.
      if (column.optional && h.field_3 !== 3) throw new NotFastError('definition level encoding');
      const page = decompress(column, body, uncompressedSize, true);
      let at = 0;
      let present: Uint8Array | undefined;
      if (column.optional) {
        const length = readUint32(page, at);
        present = new Uint8Array(numValues);
        readHybrid(page, at + 4, at + 4 + length, 1, present, numValues);
        at += 4 + length;
      }
      decodeValues(column, h.field_2 as number, page, at, numValues, present, target, row, dictionary, codes);
      row += numValues;
    } else if (type === 3) {
      const h = header.field_8;
      if (!h) throw new Error('data page v2 without its header');
      const numValues = h.field_1 as number;
      const defLength = h.field_5 as number;
      const repLength = h.field_6 as number;
      if (repLength) throw new NotFastError('repetition levels');
      let present: Uint8Array | undefined;
      if (column.optional) {
        present = new Uint8Array(numValues);
        readHybrid(body, 0, defLength, 1, present, numValues);
      }
      const valuesBody = body.subarray(repLength + defLength);
      const compressed = h.field_7 !== false;
      const page = decompress(column, valuesBody, uncompressedSize - defLength - repLength, compressed);
      decodeValues(column, h.field_4 as number, page, 0, numValues, present, target, row, dictionary, codes);
      row += numValues;
    }
    // Index pages (type 1) hold nothing to decode.
  }
  return column.kind === 'string' ? (dictionary as string[] | undefined) : undefined;
}

function readUint32(b: Uint8Array, at: number): number {
  return (
    ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16)) +
    (b[at + 3] as number) * 2 ** 24
  );
}

function decompress(column: Column, body: Uint8Array, size: number, compressed: boolean): Uint8Array {
  if (!compressed || column.codec === 'UNCOMPRESSED') return body;
  let page: Uint8Array;
  const custom = column.compressors[column.codec as keyof Compressors];
  if (custom) page = custom(body, size);
  else {
    page = new Uint8Array(size);
    snappyUncompress(body, page);
  }
  if (page.length !== size)
    throw new Error(`decompressed page length ${page.length} does not match header ${size}`);
  return page;
}

/** The RLE / bit-packed hybrid in b[at, end) into out[0, count). */
function readHybrid(
  b: Uint8Array,
  at: number,
  end: number,
  bitWidth: number,
  out: Uint8Array | Int32Array,
  count: number,
): void {
  const byteWidth = (bitWidth + 7) >> 3;
  let pos = at;
  let i = 0;
  while (i < count && pos < end) {
    let header = 0;
    let shift = 0;
    for (;;) {
      const byte = b[pos++] as number;
      header += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) break;
    }
    if ((header & 1) === 0) {
      const run = Math.floor(header / 2);
      let value = 0;
      for (let j = 0; j < byteWidth; j++) value |= (b[pos++] as number) << (j * 8);
      const stop = Math.min(count, i + run);
      out.fill(value, i, stop);
      i = stop;
    } else {
      const values = Math.floor(header / 2) * 8;
      if (bitWidth <= 24) {
        // Integer arithmetic: the accumulator holds under 32 bits at this width.
        const mask = (1 << bitWidth) - 1;
        let acc = 0;
        let bits = 0;
        const stop = Math.min(count, i + values);
        const groupEnd = pos + Math.ceil((values * bitWidth) / 8);
        for (let k = 0; k < values && i < stop; k++) {
          while (bits < bitWidth) {
            acc |= (b[pos++] ?? 0) << bits;
            bits += 8;
          }
          out[i++] = acc & mask;
          acc >>>= bitWidth;
          bits -= bitWidth;
        }
        pos = groupEnd;
        continue;
      }
      const mask = bitWidth >= 32 ? -1 : (1 << bitWidth) - 1;
      let acc = 0;
      let bits = 0;
      for (let k = 0; k < values; k++) {
        while (bits < bitWidth) {
          acc += (b[pos++] ?? 0) * 2 ** bits;
          bits += 8;
        }
        if (i < count) out[i++] = (acc % 2 ** bitWidth) & mask;
        acc = Math.floor(acc / 2 ** bitWidth);
        bits -= bitWidth;
      }
    }
  }
}

function decodeValues(
  column: Column,
  encoding: number,
  page: Uint8Array,
  at: number,
  numValues: number,
  present: Uint8Array | undefined,
  target: CellValue[],
  row: number,
  dictionary: CellValue[] | undefined,
  codes: Int32Array | undefined,
): void {
  let count = numValues;
  if (present) {
    count = 0;
    for (let i = 0; i < numValues; i++) count += present[i] as number;
  }
  // PLAIN 0, PLAIN_DICTIONARY 2, RLE 3, RLE_DICTIONARY 8.
  if (encoding === 2 || encoding === 8) {
    if (!dictionary) throw new Error('dictionary-encoded page without a dictionary page');
    const bitWidth = page[at] as number;
    const indexes = new Int32Array(count);
    readHybrid(page, at + 1, page.length, bitWidth, indexes, count);
    let v = 0;
    for (let i = 0; i < numValues; i++) {
      if (present && present[i] === 0) {
        target[row + i] = null;
        if (codes) codes[row + i] = -1;
        continue;
      }
      const index = indexes[v++] as number;
      if (index >= dictionary.length) throw new Error(`dictionary index ${index} out of range`);
      target[row + i] = dictionary[index] as CellValue;
      if (codes) codes[row + i] = index;
    }
    return;
  }
  // A PLAIN page (after a writer gave up its dictionary): its values have no codes.
  codes?.fill(-1, row, row + numValues);
  if (encoding === 3 && column.kind === 'bool') {
    const length = readUint32(page, at);
    const bits = new Uint8Array(count);
    readHybrid(page, at + 4, at + 4 + length, 1, bits, count);
    let v = 0;
    for (let i = 0; i < numValues; i++) {
      target[row + i] = present && present[i] === 0 ? null : bits[v++] === 1;
    }
    return;
  }
  if (encoding !== 0) throw new NotFastError(`encoding ${encoding}`);
  readPlain(column, page, at, count, target, present, row);
}

/**
 * `count` PLAIN values from page[at...] into target, from row `row` on, skipping the rows `present`
 * marks null (which get null).
 */
function readPlain(
  column: Column,
  page: Uint8Array,
  at: number,
  count: number,
  target: CellValue[],
  present: Uint8Array | undefined,
  row: number,
): void {
  const rows = present ? present.length : count;
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  let pos = at;
  const kind = column.kind;
  if (kind === 'string') {
    readStrings(page, pos, rows, target, present, row);
    return;
  }
  const width = kind === 'int32' || kind === 'float32' || kind === 'date32' ? 4 : kind === 'bool' ? 0 : 8;
  if (width > 0 && pos + count * width > page.length)
    throw new Error('page holds fewer values than its header says');
  let bit = 0;
  for (let i = 0; i < rows; i++) {
    if (present && present[i] === 0) {
      target[row + i] = null;
      continue;
    }
    let value: CellValue;
    switch (kind) {
      case 'int32':
        value = view.getInt32(pos, true);
        break;
      case 'date32':
        value = view.getInt32(pos, true) * MS_PER_DAY;
        break;
      case 'float32': {
        const f = view.getFloat32(pos, true);
        value = Number.isNaN(f) && !column.typed ? null : f;
        break;
      }
      case 'float64': {
        const f = view.getFloat64(pos, true);
        value = Number.isNaN(f) && !column.typed ? null : f;
        break;
      }
      case 'bool':
        value = (((page[pos + (bit >> 3)] as number) >> (bit & 7)) & 1) === 1;
        bit++;
        break;
      default: {
        const lo = view.getUint32(pos, true);
        const hi = view.getInt32(pos + 4, true);
        value = int64Value(column, lo, hi, row + i);
      }
    }
    target[row + i] = value;
    pos += width;
  }
}

/** 2^21: an INT64 whose high half is within ±this is a safe integer. */
const SAFE_HIGH = 0x200000;

function int64Value(column: Column, lo: number, hi: number, row: number): number {
  const safe = hi >= -SAFE_HIGH && hi < SAFE_HIGH;
  const value = hi * 4294967296 + lo;
  switch (column.kind) {
    case 'int64':
      if (safe) return value;
      throw new ParseError(`column "${column.name}" holds ${bigOf(lo, hi)}, beyond the safe integer range`, {
        record: column.firstRow + row + 1,
      });
    case 'ts-millis':
      return safe ? value : Number(bigOf(lo, hi));
    case 'ts-micros':
      return safe ? floorDiv(value, 1000) : Number(bigFloorDiv(bigOf(lo, hi), 1000n));
    default:
      return safe ? floorDiv(value, 1_000_000) : Number(bigFloorDiv(bigOf(lo, hi), 1_000_000n));
  }
}

/** Exact floor division of a safe integer (no rounding of value / divisor near the safe limit). */
function floorDiv(value: number, divisor: number): number {
  const rest = value % divisor;
  const q = (value - rest) / divisor;
  return rest < 0 ? q - 1 : q;
}

function bigOf(lo: number, hi: number): bigint {
  return (BigInt(hi) << 32n) + BigInt(lo);
}

function bigFloorDiv(value: bigint, divisor: bigint): bigint {
  const q = value / divisor;
  return value % divisor < 0n ? q - 1n : q;
}

/**
 * PLAIN BYTE_ARRAY values as strings. A value of ASCII bytes is cut from one latin1 decoding of the page
 * (one native call per page instead of one per value); any other is decoded as UTF-8 by TextDecoder, as
 * the generic path decodes every value (invalid bytes as U+FFFD, a leading BOM dropped).
 */
function readStrings(
  page: Uint8Array,
  at: number,
  rows: number,
  target: CellValue[],
  present: Uint8Array | undefined,
  row: number,
): void {
  const buffer = Buffer.from(page.buffer, page.byteOffset, page.byteLength);
  const text = buffer.toString('latin1', 0, page.byteLength);
  let pos = at;
  for (let i = 0; i < rows; i++) {
    if (present && present[i] === 0) {
      target[row + i] = null;
      continue;
    }
    if (pos + 4 > page.length) throw new Error('page holds fewer values than its header says');
    const length = readUint32(page, pos);
    const start = pos + 4;
    const end = start + length;
    if (end > page.length) throw new Error('string value runs past its page');
    let high = 0;
    for (let k = start; k < end; k++) high |= page[k] as number;
    target[row + i] =
      high < 0x80 ? text.substring(start, end) : textDecoder.decode(page.subarray(start, end));
    pos = end;
  }
}
