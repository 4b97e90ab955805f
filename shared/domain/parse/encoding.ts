/**
 * Bytes → text for the text formats (CSV, JSONL, JSON), streamed chunk by chunk, never lossy: decoding
 * with replacement characters would turn `caf\xe9` into `caf\uFFFD` and the original byte would be gone
 * without a trace, so a byte the encoding cannot read is an EncodingError naming its line and byte offset.
 *
 * Which encoding:
 * - a byte-order mark decides when there is one: UTF-8 (EF BB BF), UTF-16LE (FF FE), UTF-16BE (FE FF); the
 *   mark is dropped from the text;
 * - otherwise the configured encoding, else UTF-8 (checked, not assumed);
 * - a configured encoding that contradicts the file's byte-order mark is an EncodingError: one of the two
 *   is wrong, and guessing which would alter the data.
 * Windows-1252 and Latin-1 are never guessed (any byte sequence is valid in them, so guessing cannot be
 * checked); the dataset config has to name them. `latin1` is ISO-8859-1 (byte n → U+00nn), as Node's
 * Buffer and Python read it, not the WHATWG label that means Windows-1252.
 *
 * Lines are counted by LF for error positions.
 */
import { isUtf8 } from 'node:buffer';
import { EncodingError } from '../../errors.js';

export const TEXT_ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'latin1', 'windows-1252'] as const;
export type TextEncoding = (typeof TEXT_ENCODINGS)[number];

/** What a text file was decoded as. */
export interface DetectedEncoding {
  name: TextEncoding;
  /** The file started with a byte-order mark (dropped from the text). */
  bom: boolean;
}

export interface DecodedText {
  /** The text, chunk by chunk, without empty chunks. Single use. */
  readonly text: AsyncIterable<string>;
  /** What the bytes are decoded as: known once the first text chunk is out (or the source ended). */
  readonly encoding: DetectedEncoding | undefined;
}

const BOMS: readonly { name: TextEncoding; bytes: readonly number[] }[] = [
  { name: 'utf-8', bytes: [0xef, 0xbb, 0xbf] },
  { name: 'utf-16le', bytes: [0xff, 0xfe] },
  { name: 'utf-16be', bytes: [0xfe, 0xff] },
];
const LONGEST_BOM = 3;
const EMPTY: Uint8Array = new Uint8Array(0);

/** The byte-order mark `head` starts with, if any. */
export function detectBom(head: Uint8Array): { name: TextEncoding; length: number } | undefined {
  const bom = BOMS.find((b) => b.bytes.every((byte, i) => head[i] === byte));
  return bom && { name: bom.name, length: bom.bytes.length };
}

/**
 * Decodes `source` as `encoding` (undefined: detect, see above). The source is read lazily, as the text
 * is consumed; an early stop of the consumer closes it.
 */
export function decodeText(source: AsyncIterable<Uint8Array>, encoding?: TextEncoding): DecodedText {
  let detected: DetectedEncoding | undefined;
  async function* text(): AsyncIterable<string> {
    const iterator = source[Symbol.asyncIterator]();
    let done = false;
    try {
      // The mark may arrive split over several (tiny) chunks.
      let head: Uint8Array = EMPTY;
      while (head.length < LONGEST_BOM) {
        const next = await iterator.next();
        if (next.done) {
          done = true;
          break;
        }
        head = head.length === 0 ? next.value : concat(head, next.value);
      }
      const bom = detectBom(head);
      if (bom && encoding !== undefined && bom.name !== encoding) {
        throw new EncodingError(
          `the file starts with a ${bom.name} byte-order mark, but the dataset config says ${encoding}`,
          encoding,
          1,
          0,
        );
      }
      detected = { name: bom?.name ?? encoding ?? 'utf-8', bom: bom !== undefined };
      const position: Position = { offset: bom?.length ?? 0, lines: 0 };
      const decoder = chunkDecoder(detected.name, position);
      const feed = (bytes: Uint8Array): string => {
        const piece = decoder.decode(bytes);
        position.offset += bytes.byteLength;
        position.lines += countNewlines(piece);
        return piece;
      };
      let piece = feed(head.subarray(bom?.length ?? 0));
      if (piece !== '') yield piece;
      while (!done) {
        const next = await iterator.next();
        if (next.done) {
          done = true;
          break;
        }
        piece = feed(next.value);
        if (piece !== '') yield piece;
      }
      piece = decoder.end();
      if (piece !== '') yield piece;
    } finally {
      if (!done) await iterator.return?.();
    }
  }
  return {
    text: text(),
    get encoding() {
      return detected;
    },
  };
}

/**
 * Encodings in which every byte is one character, and the ASCII bytes (delimiters, quotes, line endings,
 * digits, signs) mean what they mean in UTF-8: a byte-level reader can take their bytes as they are and
 * decode only the text it keeps, with offsets that are the file's.
 */
export type SingleByteEncoding = 'latin1' | 'windows-1252';

export function isSingleByte(name: TextEncoding): name is SingleByteEncoding {
  return name === 'latin1' || name === 'windows-1252';
}

/**
 * Windows-1252's characters for 0x80–0x9F, from the same decoder decodeText uses, in streaming mode: Node
 * 20's one-shot `decode` of windows-1252 takes a Latin-1 shortcut and returns U+0080 for 0x80 (not €).
 */
const WINDOWS_1252_HIGH = new TextDecoder('windows-1252').decode(
  Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i),
  { stream: true },
);

/**
 * The text of bytes[start, end) in a single-byte encoding. Windows-1252 differs from Latin-1 only in
 * 0x80–0x9F (WHATWG's mapping, as decodeText reads it), so text without those bytes is Latin-1's.
 */
export function singleByteText(
  encoding: SingleByteEncoding,
  bytes: Buffer,
  start: number,
  end: number,
): string {
  const latin1 = (bytes as unknown as Latin1Slicing).latin1Slice(start, end);
  if (encoding === 'latin1') return latin1;
  for (let i = start; i < end; i++) {
    const b = bytes[i] as number;
    if (b >= 0x80 && b <= 0x9f) {
      return latin1.replace(/[\u0080-\u009f]/g, (c) => WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80] as string);
    }
  }
  return latin1;
}

/** Buffer's own Latin-1 decoder behind toString('latin1', start, end), without its argument checks. */
interface Latin1Slicing {
  latin1Slice(start: number, end: number): string;
}

export interface DecodedBytes {
  /**
   * The text as UTF-8 bytes, chunk by chunk (the byte-order mark dropped); with `singleByte: 'raw'`, a
   * file in a single-byte encoding as its own bytes instead. Single use.
   */
  readonly bytes: AsyncIterable<Uint8Array>;
  /** As DecodedText's. */
  readonly encoding: DetectedEncoding | undefined;
}

/**
 * decodeText's rules and errors, with the text as UTF-8 bytes: a UTF-8 file's own bytes, validated in
 * place (no string made), and any other encoding decoded and re-encoded — or, with `singleByte: 'raw'`, a
 * single-byte encoding's own bytes (see SingleByteEncoding; a byte-order mark still decides first). The same bytes make the same
 * EncodingError (message, line, offset) as decodeText, and nothing of a chunk is passed on before the
 * chunk is checked.
 */
export function decodeUtf8(
  source: AsyncIterable<Uint8Array>,
  encoding?: TextEncoding,
  options: { singleByte?: 'decode' | 'raw' } = {},
): DecodedBytes {
  let detected: DetectedEncoding | undefined;
  async function* bytes(): AsyncIterable<Uint8Array> {
    const iterator = source[Symbol.asyncIterator]();
    let done = false;
    try {
      let head: Uint8Array = EMPTY;
      while (head.length < LONGEST_BOM) {
        const next = await iterator.next();
        if (next.done) {
          done = true;
          break;
        }
        head = head.length === 0 ? next.value : concat(head, next.value);
      }
      const bom = detectBom(head);
      const name = bom?.name ?? encoding ?? 'utf-8';
      // A single-byte encoding read raw: every byte is a character of it, nothing to check or re-encode.
      const raw = !bom && isSingleByte(name) && options.singleByte === 'raw';
      if (!raw && (name !== 'utf-8' || (bom && encoding !== undefined && bom.name !== encoding))) {
        // decodeText makes the same checks (a contradicting mark) and decodes the other encodings.
        async function* replay(): AsyncIterable<Uint8Array> {
          yield head;
          while (!done) {
            const next = await iterator.next();
            if (next.done) {
              done = true;
              return;
            }
            yield next.value;
          }
        }
        const decoded = decodeText(replay(), encoding);
        for await (const piece of decoded.text) {
          detected = decoded.encoding;
          yield Buffer.from(piece, 'utf8');
        }
        detected = decoded.encoding;
        return;
      }
      detected = { name, bom: bom !== undefined };
      const checker = raw ? undefined : new Utf8Checker(bom?.length ?? 0);
      const first = head.subarray(bom?.length ?? 0);
      checker?.check(first);
      if (first.length > 0) yield first;
      while (!done) {
        const next = await iterator.next();
        if (next.done) {
          done = true;
          break;
        }
        checker?.check(next.value);
        if (next.value.length > 0) yield next.value;
      }
      checker?.end();
    } finally {
      if (!done) await iterator.return?.();
    }
  }
  return {
    bytes: bytes(),
    get encoding() {
      return detected;
    },
  };
}

/**
 * UTF-8 bytes from a character boundary inside a file (a byte range read apart), checked as decodeUtf8
 * checks them but with no byte-order mark looked for. Error offsets count from `offset` (the range's start
 * in the file); lines count from the range's start.
 */
export async function* checkedUtf8Range(
  source: AsyncIterable<Uint8Array>,
  offset: number,
): AsyncIterable<Uint8Array> {
  const checker = new Utf8Checker(offset);
  for await (const chunk of source) {
    checker.check(chunk);
    if (chunk.length > 0) yield chunk;
  }
  checker.end();
}

/** How many bytes at the end of `bytes` begin a character the next chunk may complete (0 to 3). */
function incompleteTail(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i >= 0 && i >= bytes.length - 3; i--) {
    const b = bytes[i] as number;
    if ((b & 0xc0) === 0x80) continue;
    if (b < 0xc0) return 0;
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    const tail = bytes.length - i;
    return tail < length && firstInvalidUtf8(bytes.subarray(i)) === -1 ? tail : 0;
  }
  return 0;
}

function countLineFeeds(bytes: Uint8Array, end = bytes.length): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i >= 0 && i < end; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

/** UTF-8 validation chunk by chunk, with UnicodeDecoder's error positions and messages. */
class Utf8Checker {
  private pending: Uint8Array = EMPTY;
  private lines = 0;
  /** Bytes of the file before the current chunk. */
  private offset: number;

  constructor(start: number) {
    this.offset = start;
  }

  check(chunk: Uint8Array): void {
    const bytes = this.pending.length === 0 ? chunk : concat(this.pending, chunk);
    const complete = bytes.length - incompleteTail(bytes);
    const body = bytes.subarray(0, complete);
    if (!isUtf8(body)) {
      // Located in all the bytes: a character cut by the body's end may be what is invalid.
      const index = Math.max(firstInvalidUtf8(bytes), 0);
      throw new EncodingError(
        `${byteName(bytes[index])} is not valid UTF-8 here${LEGACY_HINT}`,
        'utf-8',
        this.lines + countLineFeeds(bytes, index) + 1,
        this.offset - this.pending.length + index,
      );
    }
    this.lines += countLineFeeds(chunk);
    this.offset += chunk.length;
    this.pending = bytes.slice(complete);
  }

  end(): void {
    if (this.pending.length === 0) return;
    throw new EncodingError(
      `${byteName(this.pending[0])} is not valid UTF-8 here (the file ends inside the character it begins)${LEGACY_HINT}`,
      'utf-8',
      this.lines + 1,
      this.offset - this.pending.length,
    );
  }
}

/** Where the decoder stands: bytes of the file before the current chunk, LFs in the text emitted. */
interface Position {
  offset: number;
  lines: number;
}

interface ChunkDecoder {
  /** The text of `bytes`, keeping a character cut at the end for the next call. */
  decode(bytes: Uint8Array): string;
  /** Flushes; throws when the file ends inside a character. */
  end(): string;
}

function chunkDecoder(encoding: TextEncoding, position: Position): ChunkDecoder {
  switch (encoding) {
    case 'utf-8':
      return new UnicodeDecoder('utf-8', position);
    case 'utf-16le':
    case 'utf-16be':
      return new UnicodeDecoder(encoding, position);
    case 'windows-1252': {
      // Every byte maps to a character (WHATWG maps the five undefined ones to C1 controls): nothing can fail.
      const decoder = new TextDecoder('windows-1252');
      return { decode: (bytes) => decoder.decode(bytes, { stream: true }), end: () => decoder.decode() };
    }
    case 'latin1':
      return { decode: latin1, end: () => '' };
  }
}

/**
 * UTF-8 or UTF-16 through TextDecoder with `fatal: true`, so an invalid byte throws instead of becoming
 * U+FFFD. TextDecoder does not say where, so the bytes of a character still open from earlier chunks
 * (`pending`, at most 3) are tracked to locate the error within them and the failing chunk.
 */
class UnicodeDecoder implements ChunkDecoder {
  // ignoreBOM: true keeps a U+FEFF the text itself starts with; the byte-order mark was already dropped.
  private readonly decoder: { decode(input?: Uint8Array, options?: { stream?: boolean }): string };
  private pending = EMPTY;
  /** Bytes decoded so far (UTF-16's code units are aligned to it). */
  private consumed = 0;

  constructor(
    private readonly encoding: 'utf-8' | 'utf-16le' | 'utf-16be',
    private readonly position: Position,
  ) {
    this.decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  }

  decode(bytes: Uint8Array): string {
    let text: string;
    try {
      text = this.decoder.decode(bytes, { stream: true });
    } catch (error) {
      throw this.locate(concat(this.pending, bytes), error);
    }
    this.consumed += bytes.byteLength;
    const last = lastBytes(this.pending, bytes, 3);
    this.pending = this.encoding === 'utf-8' ? utf8Pending(last) : utf16Pending(last, this.consumed, this.le);
    return text;
  }

  end(): string {
    try {
      return this.decoder.decode();
    } catch (error) {
      const at = this.position.offset - this.pending.byteLength;
      throw new EncodingError(
        this.encoding === 'utf-8'
          ? `${byteName(this.pending[0])} is not valid UTF-8 here (the file ends inside the character it begins)${LEGACY_HINT}`
          : 'the file ends inside a character (an odd number of bytes, or half of a surrogate pair)',
        this.encoding,
        this.position.lines + 1,
        at,
        { cause: error },
      );
    }
  }

  private get le(): boolean {
    return this.encoding === 'utf-16le';
  }

  /** The error for `bytes` (pending + the chunk that failed), at its first invalid byte. */
  private locate(bytes: Uint8Array, cause: unknown): EncodingError {
    const found = this.encoding === 'utf-8' ? firstInvalidUtf8(bytes) : firstInvalidUtf16(bytes, this.le);
    // Not found cannot happen (TextDecoder and the scanners follow the same rules); blame the chunk start.
    const index = Math.max(found, 0);
    const before = new TextDecoder(this.encoding, { ignoreBOM: true }).decode(bytes.subarray(0, index));
    const line = this.position.lines + countNewlines(before) + 1;
    const offset = this.position.offset - this.pending.byteLength + index;
    const reason =
      this.encoding === 'utf-8'
        ? `${byteName(bytes[index])} is not valid UTF-8 here${LEGACY_HINT}`
        : `an unpaired surrogate (code unit 0x${unit(bytes, index, this.le).toString(16).toUpperCase()})`;
    return new EncodingError(reason, this.encoding, line, offset, { cause });
  }
}

const LEGACY_HINT =
  '; if the file is in a legacy encoding, set "encoding" (e.g. "windows-1252") in the dataset config';

function byteName(byte: number | undefined): string {
  return `byte 0x${(byte ?? 0).toString(16).toUpperCase().padStart(2, '0')}`;
}

/**
 * Index of the first byte of `bytes` (which starts at a character boundary) that does not begin a valid
 * UTF-8 sequence or whose sequence breaks off, by the WHATWG rules TextDecoder follows (no overlong forms,
 * no surrogates, nothing above U+10FFFF); -1 when there is none. A sequence cut by the end of `bytes` is
 * not an error here: the next chunk may finish it.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let follow: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      follow = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
      follow = 2;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      follow = 3;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else {
      return i;
    }
    for (let k = 1; k <= follow; k++) {
      if (i + k >= bytes.length) return -1;
      const c = bytes[i + k] as number;
      if (c < (k === 1 ? low : 0x80) || c > (k === 1 ? high : 0xbf)) return i;
    }
    i += follow + 1;
  }
  return -1;
}

/** Byte index of the first unpaired surrogate in `bytes` (aligned to code units), or -1. */
export function firstInvalidUtf16(bytes: Uint8Array, le: boolean): number {
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const u = unit(bytes, i, le);
    if (u >= 0xdc00 && u <= 0xdfff) return i;
    if (u >= 0xd800 && u <= 0xdbff) {
      if (i + 3 >= bytes.length) return -1;
      const next = unit(bytes, i + 2, le);
      if (next < 0xdc00 || next > 0xdfff) return i;
      i += 2;
    }
  }
  return -1;
}

function unit(bytes: Uint8Array, i: number, le: boolean): number {
  const a = bytes[i] ?? 0;
  const b = bytes[i + 1] ?? 0;
  return le ? a | (b << 8) : (a << 8) | b;
}

/** The unfinished UTF-8 character at the end of `last` (the last ≤ 3 bytes of a valid stream), if any. */
function utf8Pending(last: Uint8Array): Uint8Array {
  for (let i = last.length - 1; i >= 0; i--) {
    const b = last[i] as number;
    if ((b & 0xc0) === 0x80) continue;
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return last.length - i < length ? last.slice(i) : EMPTY;
  }
  // Only continuation bytes: they end a character that began before them (the stream is valid).
  return EMPTY;
}

/** The unfinished UTF-16 character at the end: an odd byte, a high surrogate awaiting its pair, or both. */
function utf16Pending(last: Uint8Array, consumed: number, le: boolean): Uint8Array {
  const odd = consumed % 2;
  const unitsEnd = last.length - odd;
  if (unitsEnd >= 2) {
    const u = unit(last, unitsEnd - 2, le);
    if (u >= 0xd800 && u <= 0xdbff) return last.slice(unitsEnd - 2);
  }
  return odd === 1 ? last.slice(last.length - 1) : EMPTY;
}

/** The last `n` bytes of `a` followed by `b`. */
function lastBytes(a: Uint8Array, b: Uint8Array, n: number): Uint8Array {
  if (b.length >= n) return b.subarray(b.length - n);
  const out = new Uint8Array(Math.min(n, a.length + b.length));
  const fromA = out.length - b.length;
  out.set(a.subarray(a.length - fromA), 0);
  out.set(b, fromA);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** ISO-8859-1: byte n is U+00nn. */
function latin1(bytes: Uint8Array): string {
  let text = '';
  // In slices: a spread of a whole chunk could exceed the engine's argument limit.
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
