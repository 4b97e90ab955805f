/**
 * JSON Lines: one JSON object per line, read as a stream of text (memory holds one line; encoding.ts
 * decodes the bytes and drops a byte-order mark). Blank lines are skipped but counted, so line numbers
 * match an editor's; a CRLF line ending is accepted. A line that is not a JSON object is a failed record
 * (not a fatal error): the caller's error-rate budget decides.
 */
import { ParseError } from '../../errors.js';
import { type JsonRecordResult, parseJsonRecord } from './json-values.js';

export interface JsonSourceRecord {
  /** 1-based position among the records (non-blank lines, or array elements). */
  record: number;
  /** 1-based line where the record starts. */
  line: number;
  result: JsonRecordResult;
}

/** A record longer than this is refused rather than buffered: memory must not follow the input. */
export const MAX_RECORD_CHARS = 64 * 1024 * 1024;

export async function* readJsonLines(source: AsyncIterable<string>): AsyncIterable<JsonSourceRecord> {
  let rest = '';
  let line = 0;
  let record = 0;
  function* lines(text: string, final: boolean): Iterable<JsonSourceRecord> {
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (end < 0 && !final) break;
      const stop = end < 0 ? text.length : end;
      line++;
      const raw = text.slice(start, stop > start && text.charCodeAt(stop - 1) === 13 ? stop - 1 : stop);
      if (raw.trim() !== '') {
        record++;
        yield { record, line, result: parseJsonRecord(raw) };
      }
      if (end < 0) break;
      start = end + 1;
    }
    rest = final ? '' : text.slice(start);
    if (rest.length > MAX_RECORD_CHARS) {
      throw new ParseError(`line longer than ${MAX_RECORD_CHARS} characters`, { line: line + 1 });
    }
  }
  for await (const piece of source) {
    if (piece.includes('\n')) {
      yield* lines(rest + piece, false);
    } else {
      // Still inside one long line: append without rescanning what is buffered.
      rest += piece;
      if (rest.length > MAX_RECORD_CHARS) {
        throw new ParseError(`line longer than ${MAX_RECORD_CHARS} characters`, { line: line + 1 });
      }
    }
  }
  yield* lines(rest, true);
}

export interface JsonLinesOptions {
  /** Stop before the first line starting at or after this many bytes from the input's start (a range). */
  end?: number;
  /** Line and record numbers of the input's first line (default 1; a range's are its own unless given). */
  firstLine?: number;
  firstRecord?: number;
}

const LF = 10;
const CR = 13;

/**
 * readJsonLines over UTF-8 bytes (checked by decodeUtf8): lines are cut at LF bytes (JSON text escapes
 * line breaks, so every LF ends a line) and only each line is decoded, once. Records come out per input
 * chunk, as arrays, so nothing is awaited per record. Same records, numbers and errors as readJsonLines.
 *
 * Byte ranges: reading from a line start, the range owns the lines that start before `end` (the last one
 * read past it, blank lines included), and `nextOffset` is the first line start at or after `end` (the
 * end of the input after the last line).
 */
export class JsonLineSplitter {
  private buf: Buffer = Buffer.allocUnsafe(64 * 1024);
  private len = 0;
  /** Bytes of the input before buf[0]. */
  private consumed = 0;
  private lineStart = 0;
  private line: number;
  private record: number;
  private readonly firstLine: number;
  private readonly end: number;
  private stopped = false;

  constructor(options: JsonLinesOptions = {}) {
    this.firstLine = options.firstLine ?? 1;
    this.line = this.firstLine - 1;
    this.record = (options.firstRecord ?? 1) - 1;
    this.end = options.end ?? Number.POSITIVE_INFINITY;
  }

  /** Whether the range's end was reached. */
  get done(): boolean {
    return this.stopped;
  }

  /** Lines read so far, blank ones included (a range's: the lines it owns, once it is done or finished). */
  get linesRead(): number {
    return this.line - (this.firstLine - 1);
  }

  /** Where the line after the range's last starts (the end of the input when the range reaches it). */
  get nextOffset(): number {
    return this.consumed + (this.stopped ? this.lineStart : this.len);
  }

  /** The records of the lines `chunk` completes. */
  push(chunk: Uint8Array): JsonSourceRecord[] {
    if (this.stopped) return [];
    if (this.len + chunk.length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + chunk.length));
      this.buf.copy(grown, 0, this.lineStart, this.len);
      this.consumed += this.lineStart;
      this.len -= this.lineStart;
      this.lineStart = 0;
      this.buf = grown;
    } else if (this.lineStart > 0 && this.len + chunk.length > this.buf.length / 2) {
      this.buf.copyWithin(0, this.lineStart, this.len);
      this.consumed += this.lineStart;
      this.len -= this.lineStart;
      this.lineStart = 0;
    }
    const scanFrom = this.len;
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
    const out: JsonSourceRecord[] = [];
    this.lines(scanFrom, false, out);
    if (!this.stopped) this.checkPending();
    return out;
  }

  /** The last line's record, if any. */
  finish(): JsonSourceRecord[] {
    const out: JsonSourceRecord[] = [];
    if (!this.stopped) this.lines(this.len, true, out);
    return out;
  }

  private lines(scanFrom: number, final: boolean, out: JsonSourceRecord[]): void {
    // A view of the bytes held: indexOf must not search (or find) stale bytes past them.
    const buf = this.buf.subarray(0, this.len);
    let from = scanFrom;
    for (;;) {
      if (this.consumed + this.lineStart >= this.end && (this.lineStart < this.len || !final)) {
        if (this.lineStart < this.len) this.stopped = true;
        return;
      }
      const lf = buf.indexOf(LF, from);
      if (lf < 0 && !final) return;
      const stop = lf < 0 ? this.len : lf;
      if (stop === this.len && this.lineStart === this.len && final) return;
      this.line++;
      const cut = stop > this.lineStart && buf[stop - 1] === CR ? stop - 1 : stop;
      const raw = buf.toString('utf8', this.lineStart, cut);
      if (raw.trim() !== '') {
        this.record++;
        out.push({ record: this.record, line: this.line, result: parseJsonRecord(raw) });
      }
      this.lineStart = stop === this.len ? this.len : stop + 1;
      from = this.lineStart;
      if (stop === this.len) return;
    }
  }

  /** A line still open may not outgrow the limit (in UTF-16 units, as readJsonLines counts it). */
  private checkPending(): void {
    const bytes = this.len - this.lineStart;
    if (bytes <= MAX_RECORD_CHARS) return;
    if (this.buf.toString('utf8', this.lineStart, this.len).length > MAX_RECORD_CHARS) {
      throw new ParseError(`line longer than ${MAX_RECORD_CHARS} characters`, { line: this.line + 1 });
    }
  }
}

/** The records of UTF-8 JSON Lines bytes, an array per input chunk (see JsonLineSplitter). */
export async function* readJsonLineBytes(
  source: AsyncIterable<Uint8Array>,
  options: JsonLinesOptions = {},
): AsyncIterable<JsonSourceRecord[]> {
  const splitter = new JsonLineSplitter(options);
  for await (const chunk of source) {
    const records = splitter.push(chunk);
    if (records.length > 0) yield records;
    if (splitter.done) return;
  }
  const rest = splitter.finish();
  if (rest.length > 0) yield rest;
}
