/**
 * A JSON array re-cut, while streamed, into JSON Lines pieces of about a target size, so that a big
 * document can be processed like JSON Lines, one chunk per piece. It reads the bytes (UTF-8; a leading
 * byte-order mark is dropped) with the same scanner rules as json.ts (strings, escapes, nesting depth, the
 * array's own syntax) and emits each top-level element on a line of its own, byte for byte but for line
 * breaks: a CR or LF outside strings is whitespace and becomes a space, so the element parses to the same
 * value; a raw CR or LF inside a string (which JSON forbids: valid text escapes them) becomes the control
 * byte 0x1F, so the element still fails to parse, at the same position, for the same reason. Bytes are
 * swapped one for one, so positions in parse errors stay where they were.
 *
 * A piece is closed before the element that would take it past the target, so a piece is at most the
 * target unless it holds one element bigger than it. Memory holds one piece.
 *
 * Syntax errors are json.ts's ParseErrors (same reasons and line numbers), here with the byte offset too.
 */
import { EmptyFileError, ParseError } from '../../errors.js';
import { MAX_RECORD_CHARS } from '../parse/jsonl.js';
import { chunkId } from './plan.js';

/** A ParseError of the array's syntax that also says at which byte of the file it was found. */
export class JsonSplitError extends ParseError {
  constructor(
    reason: string,
    where: { line: number; record?: number },
    readonly byteOffset: number,
  ) {
    super(reason, where);
  }
}

export interface JsonPiece {
  index: number;
  id: string;
  /** 1-based number of the piece's first element in the array (its first record in the file). */
  firstRecord: number;
  records: number;
  /** 1-based line of the file where each element starts, in order. */
  lines: number[];
  /** The piece's JSON Lines text, one element per line, each ending in LF. */
  bytes: Uint8Array;
}

const LF = 10;
const CR = 13;
const SPACE = 32;
const UNIT_SEPARATOR = 0x1f;
const BOM = Uint8Array.of(0xef, 0xbb, 0xbf);

type State = 'start' | 'before' | 'element' | 'after' | 'end';

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function describe(c: number): string {
  return JSON.stringify(String.fromCharCode(c));
}

/** The element bytes gathered so far, across input chunks. */
class Gathered {
  private parts: Uint8Array[] = [];
  length = 0;
  push(part: Uint8Array): void {
    if (part.length === 0) return;
    this.parts.push(part);
    this.length += part.length;
  }
  take(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    this.parts = [];
    this.length = 0;
    return out;
  }
}

/**
 * Splits the JSON array read from `source` into pieces of about `targetBytes` (see the file's comment).
 * An empty array gives no pieces; a document of only whitespace is an EmptyFileError.
 */
export async function* splitJsonArray(
  source: AsyncIterable<Uint8Array>,
  options: { targetBytes: number },
): AsyncIterable<JsonPiece> {
  let state: State = 'start';
  let first = true;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let line = 1;
  let offset = 0; // file offset of the byte being read
  let record = 0;
  let elementLine = 1;
  let elementUnits = 0; // UTF-16 code units of the element, as json.ts measures MAX_RECORD_CHARS
  const element = new Gathered();
  const piece = new Gathered();
  let pieceIndex = 0;
  let pieceFirst = 1;
  let pieceLines: number[] = [];

  const fail = (reason: string, where: { line: number; record?: number }): JsonSplitError =>
    new JsonSplitError(reason, where, offset);

  function closePiece(): JsonPiece {
    const out: JsonPiece = {
      index: pieceIndex,
      id: chunkId(pieceIndex),
      firstRecord: pieceFirst,
      records: pieceLines.length,
      lines: pieceLines,
      bytes: piece.take(),
    };
    pieceIndex++;
    pieceFirst += out.records;
    pieceLines = [];
    return out;
  }

  /** Ends the current element: its bytes become a line, after closing the piece if it would overflow. */
  function* finish(): Iterable<JsonPiece> {
    record++;
    const text = element.take();
    const size = text.length + 1;
    if (piece.length > 0 && piece.length + size > options.targetBytes) yield closePiece();
    piece.push(text);
    piece.push(Uint8Array.of(LF));
    pieceLines.push(elementLine);
  }

  function* scan(bytes: Uint8Array): Iterable<JsonPiece> {
    // Where the current element's bytes start in `bytes` (0 when it began in an earlier chunk), -1 outside one.
    let start = state === 'element' ? 0 : -1;
    // Line breaks are swapped in a copy, made on the first one, so that the input stays untouched.
    let copy: Uint8Array | undefined;
    const flush = (end: number): void => {
      if (start >= 0) element.push((copy ?? bytes).subarray(start, end));
      start = -1;
    };
    for (let i = 0; i < bytes.length; i++, offset++) {
      const c = bytes[i] as number;
      if (c === LF) line++;
      switch (state) {
        case 'start':
          if (isSpace(c)) break;
          if (c !== 91 /* [ */) throw fail('expected a JSON array of objects at the top level', { line });
          state = 'before';
          break;
        case 'before':
          if (isSpace(c)) break;
          if (c === 93 /* ] */) {
            if (!first) throw fail('a comma before "]" (trailing comma)', { line });
            state = 'end';
            break;
          }
          if (c === 44 /* , */) throw fail('an empty element (",,")', { line });
          state = 'element';
          first = false;
          start = i;
          elementLine = line;
          elementUnits = 0;
          depth = 0;
          inString = false;
          escaped = false;
          i--; // let 'element' look at this byte again
          offset--;
          break;
        case 'element': {
          if (c === LF || c === CR) {
            copy ??= bytes.slice();
            copy[i] = inString ? UNIT_SEPARATOR : SPACE;
          }
          // UTF-8 lead bytes: one code unit each, two for a 4-byte sequence (a surrogate pair).
          if ((c & 0xc0) !== 0x80) elementUnits += c >= 0xf0 ? 2 : 1;
          if (inString) {
            if (escaped) escaped = false;
            else if (c === 92 /* \ */) escaped = true;
            else if (c === 34 /* " */) inString = false;
            break;
          }
          if (c === 34) {
            inString = true;
          } else if (c === 123 /* { */ || c === 91 /* [ */) {
            depth++;
          } else if (c === 125 /* } */ || c === 93 /* ] */) {
            if (depth === 0) {
              // A ']' at depth 0 closes the array and ends a scalar element.
              if (c === 125) throw fail('unbalanced "}"', { line, record: record + 1 });
              flush(i);
              yield* finish();
              state = 'end';
              break;
            }
            depth--;
            if (depth === 0) {
              flush(i + 1);
              yield* finish();
              state = 'after';
            }
          } else if (c === 44 /* , */ && depth === 0) {
            flush(i);
            yield* finish();
            state = 'before';
          }
          break;
        }
        case 'after':
          if (isSpace(c)) break;
          if (c === 44) state = 'before';
          else if (c === 93) state = 'end';
          else throw fail(`expected "," or "]" after an element, found ${describe(c)}`, { line });
          break;
        case 'end':
          if (!isSpace(c)) throw fail(`unexpected ${describe(c)} after the closing "]"`, { line });
          break;
      }
    }
    if (state === 'element') {
      flush(bytes.length);
      if (elementUnits > MAX_RECORD_CHARS) {
        throw fail(`element longer than ${MAX_RECORD_CHARS} characters`, { line: elementLine });
      }
    }
  }

  // Held back until it is clear whether the document starts with a UTF-8 byte-order mark.
  let head: Uint8Array | undefined = new Uint8Array(0);
  for await (const chunk of source) {
    let bytes = chunk;
    if (head !== undefined) {
      const joined: Uint8Array = new Uint8Array(head.length + chunk.length);
      joined.set(head);
      joined.set(chunk, head.length);
      if (joined.length < BOM.length && BOM.subarray(0, joined.length).every((b, i) => joined[i] === b)) {
        head = joined;
        continue;
      }
      head = undefined;
      const marked = BOM.every((b, i) => joined[i] === b);
      offset = marked ? BOM.length : 0;
      bytes = marked ? joined.subarray(BOM.length) : joined;
    }
    if (bytes.length > 0) yield* scan(bytes);
  }
  if (head !== undefined && head.length > 0) yield* scan(head);
  if (state === 'start') throw new EmptyFileError('empty document: expected a JSON array of objects');
  if (state !== 'end') throw fail('the JSON array is not closed', { line });
  if (piece.length > 0) yield closePiece();
}
