/**
 * Bytes for a chunk's partial state (validation's, quality's): what a chunk function stores as a blob for
 * the merge step to read back. Partial states can be large (a uniqueness check keeps 12 bytes a distinct
 * key, so a chunk of 10M distinct ids is ~120 MB), far beyond what travels inline between Step Functions
 * states (256 KB), and mostly typed arrays: those are written as raw little-endian bytes after a JSON
 * header rather than as JSON numbers or base64 text, so encoding costs a copy, not a per-number format.
 *
 * Layout: the 4 bytes `STV1`, the header's length (u32 LE), the header (UTF-8 JSON, padded with spaces
 * to a multiple of 8), then each typed array's bytes, each padded to a multiple of 8. In the header a
 * typed array is `{"$typed": "u32" | "f64" | "u8", "at": byteOffset, "length": elements}` and a number
 * JSON cannot spell (NaN, ±Infinity, -0) is `{"$num": "NaN" | "Infinity" | "-Infinity" | "-0"}`.
 */
import { InvalidInputError } from '../../errors.js';

const MAGIC = [0x53, 0x54, 0x56, 0x31];
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

type Typed = Uint32Array | Float64Array | Uint8Array;
const KINDS = { u32: Uint32Array, f64: Float64Array, u8: Uint8Array } as const;
type Kind = keyof typeof KINDS;

function kindOf(value: Typed): Kind {
  if (value instanceof Uint32Array) return 'u32';
  if (value instanceof Float64Array) return 'f64';
  return 'u8';
}

function pad8(n: number): number {
  return (n + 7) & ~7;
}

export function encodeState(state: unknown): Uint8Array {
  const blocks: Typed[] = [];
  let at = 0;
  const header = JSON.stringify(state, function (this: unknown, key: string, value: unknown) {
    // The replacer sees typed arrays after their toJSON-less conversion attempt: read the raw holder.
    const raw = key === '' ? value : (this as Record<string, unknown>)[key];
    if (raw instanceof Uint32Array || raw instanceof Float64Array || raw instanceof Uint8Array) {
      blocks.push(raw);
      const entry = { $typed: kindOf(raw), at, length: raw.length };
      at += pad8(raw.byteLength);
      return entry;
    }
    if (typeof raw === 'number' && (!Number.isFinite(raw) || Object.is(raw, -0))) {
      return { $num: Object.is(raw, -0) ? '-0' : String(raw) };
    }
    return value;
  });
  const text = new TextEncoder().encode(header);
  const headerLength = pad8(text.length);
  const out = new Uint8Array(8 + headerLength + at);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, headerLength, true);
  out.set(text, 8);
  out.fill(0x20, 8 + text.length, 8 + headerLength);
  let offset = 8 + headerLength;
  for (const block of blocks) {
    const bytes = new Uint8Array(block.buffer, block.byteOffset, block.byteLength);
    if (LITTLE_ENDIAN || block instanceof Uint8Array) out.set(bytes, offset);
    else writeLittleEndian(block, out, offset);
    offset += pad8(block.byteLength);
  }
  return out;
}

export function decodeState(bytes: Uint8Array): unknown {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new InvalidInputError('not an encoded partial state');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true);
  const base = 8 + headerLength;
  if (base > bytes.length) throw new InvalidInputError('partial state is truncated');
  const header = new TextDecoder().decode(bytes.subarray(8, base));
  return JSON.parse(header, (_key, value: unknown) => {
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    if (typeof record.$num === 'string') return record.$num === '-0' ? -0 : Number(record.$num);
    const kind = record.$typed;
    if (typeof kind === 'string' && Object.hasOwn(KINDS, kind)) {
      const Type = KINDS[kind as Kind];
      const at = Number(record.at);
      const length = Number(record.length);
      const byteLength = length * Type.BYTES_PER_ELEMENT;
      if (!(at >= 0 && length >= 0 && base + at + byteLength <= bytes.length)) {
        throw new InvalidInputError('partial state is truncated');
      }
      // A copy: aligned for the typed view, and independent of the caller's buffer.
      const copy = bytes.slice(base + at, base + at + byteLength);
      if (!LITTLE_ENDIAN && Type !== Uint8Array) swapInPlace(copy, Type.BYTES_PER_ELEMENT);
      return new Type(copy.buffer, 0, length);
    }
    return value;
  });
}

function writeLittleEndian(block: Uint32Array | Float64Array, out: Uint8Array, offset: number): void {
  const view = new DataView(out.buffer, out.byteOffset + offset);
  if (block instanceof Uint32Array)
    for (let i = 0; i < block.length; i++) view.setUint32(4 * i, block[i] ?? 0, true);
  else for (let i = 0; i < block.length; i++) view.setFloat64(8 * i, block[i] ?? 0, true);
}

function swapInPlace(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}
