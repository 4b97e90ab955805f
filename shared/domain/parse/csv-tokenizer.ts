/**
 * CSV records straight from UTF-8 bytes (or a single-byte encoding's): a resumable state machine fed chunk by chunk (`push`, then
 * `finish`), handing each record to a synchronous callback as field spans over its own buffer, so that no
 * string is made for a field nobody asks the text of, and nothing is awaited per record.
 *
 * The dialect is csv-parse's as the parser configured it before (csv-parse stays the oracle of a
 * differential test): RFC 4180 quoting with the quote doubled as its escape; relaxed quotes (a quote inside
 * an unquoted field is a literal, and a closing quote followed by anything but a delimiter, a line ending,
 * a NUL or the end makes the field's raw text literal from its opening quote on); blank lines skipped; the
 * line ending is the first CR LF, LF or CR met outside quotes, and only that one ends records afterwards;
 * every record has the first one's field count; a record longer than `maxRecordChars` is refused. The
 * errors are the ParseErrors parseErrorOf made of csv-parse's, with the same line numbers (csv-parse's
 * count: every CR and LF byte met, the LF of a CR LF record ending excepted).
 *
 * Byte ranges (for a file split into chunks): given bytes from a record start and the range's `end`, the
 * records that start before `end` are the range's; the one straddling `end` is read to its end, and
 * `nextOffset` is where the next record starts (the end of the input after the last). A record starts at
 * a line start (the input's start, or right after a line ending outside quotes) whose line is not blank;
 * blank lines are skipped wherever they are. Everything decided for the whole file (delimiter, quote,
 * line ending, field count) is passed in for a range that is not the first.
 */
import { ParseError } from '../../errors.js';
import { type SingleByteEncoding, singleByteText } from './encoding.js';

export type LineEnding = 'lf' | 'crlf' | 'cr';

/** A record as the callback sees it: valid only during the call (the buffer is reused afterwards). */
export interface CsvFields {
  /** The bytes the spans index into. */
  readonly bytes: Uint8Array;
  /** Field i is bytes[starts[firstField + i], ends[firstField + i]). */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Where the record's spans start in `starts` and `ends` (0 unless the tokenizer retains). */
  readonly firstField: number;
  /** Fields of this record (the file's width). */
  readonly fieldCount: number;
  /** Byte offset of the record's first byte from the start of the input. */
  readonly recordOffset: number;
  /** The text of field `i`. */
  text(i: number): string;
}

export interface CsvTokenizerOptions {
  /** One ASCII character each. */
  delimiter: string;
  quote: string;
  /** Undefined: the first line ending met outside quotes. */
  lineEnding?: LineEnding;
  /** The field count every record must have; undefined: the first record's. */
  width?: number;
  /** A record whose text grows beyond this many UTF-16 units is refused (csv-parse's count). */
  maxRecordChars: number;
  /** Line number of the input's first byte, for error positions (default 1). */
  firstLine?: number;
  /** Stop before the first record starting at or after this many bytes from the input's start. */
  end?: number;
  /**
   * The input is in this single-byte encoding instead of UTF-8: its bytes are tokenized as they are (the
   * bytes a tokenizer looks for are ASCII in both), and only field text is decoded by it.
   */
  singleByte?: SingleByteEncoding;
  /**
   * Keep every byte pushed and every record's field spans (`retained`), so that a second reading of the
   * records needs no second tokenizing; given up (`release`) once the bytes would pass `maxBytes` or the
   * spans `maxFields` (8 bytes each). `expectedBytes`: the input's size when known, held in one buffer
   * from the start.
   */
  retain?: { maxBytes: number; maxFields: number; expectedBytes?: number };
}

const LF = 10;
const CR = 13;
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const RD_NONE = 0;
const RD_LF = 1;
const RD_CRLF = 2;
const RD_CR = 3;
const LINE_ENDINGS: readonly (LineEnding | undefined)[] = [undefined, 'lf', 'crlf', 'cr'];

function asciiByte(char: string, what: string): number {
  if (char.length !== 1 || char.charCodeAt(0) > 0x7f || char === '\n' || char === '\r') {
    throw new ParseError(`the CSV ${what} must be one ASCII character other than CR and LF, got "${char}"`);
  }
  return char.charCodeAt(0);
}

/**
 * UTF-16 length of the text in bytes[start, end): in UTF-8 one unit per character, two above U+FFFF; in a
 * single-byte encoding one per byte.
 */
function utf16Length(bytes: Uint8Array, start: number, end: number, singleByte: boolean): number {
  if (singleByte) return end - start;
  let n = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i] as number;
    if ((b & 0xc0) !== 0x80) n += b >= 0xf0 ? 2 : 1;
  }
  return n;
}

/**
 * Buffer's own decoder behind toString('utf8', start, end), without its argument checks: a third faster
 * on the short fields of a CSV file, where the per-call overhead is most of the cost.
 */
interface Utf8Slicing {
  utf8Slice(start: number, end: number): string;
}

/** The text of a field's bytes[start, end): UTF-8, or the single-byte encoding the input is in. */
export function fieldText(
  bytes: Buffer,
  start: number,
  end: number,
  singleByte: SingleByteEncoding | undefined,
): string {
  if (singleByte) return singleByteText(singleByte, bytes, start, end);
  return (bytes as unknown as Utf8Slicing).utf8Slice(start, end);
}

export class CsvTokenizer implements CsvFields {
  private readonly delimiter: number;
  private readonly quote: number;
  private readonly maxChars: number;
  private readonly rangeEnd: number;
  private readonly singleByte: SingleByteEncoding | undefined;
  private readonly onRecord: (record: CsvFields) => void;
  /** 1 for the bytes that end or may end an unquoted field's plain run: the delimiter, CR and LF. */
  private readonly special = new Uint8Array(256);
  /** The same inside a quoted field: the quote, CR and LF (counted as lines). */
  private readonly quotedSpecial = new Uint8Array(256);

  private buf: Buffer = Buffer.allocUnsafe(64 * 1024);
  private len = 0;
  /** Bytes of the input before buf[0]. */
  private consumed = 0;
  private pos = 0;
  /** Where the current field's next byte is written (≤ pos: escapes shrink the text in place). */
  private w = 0;
  private fieldStart = 0;
  private openQuote = 0;
  private state = FIELD_START;
  private wasQuoting = false;
  private rd: number;
  private recordStart = 0;
  /** Upper bound of the UTF-16 length of the record's finished fields (bytes until counted exactly). */
  private recordChars = 0;
  private lines: number;
  private width: number;
  private stopped = false;
  private retaining: boolean;
  private readonly maxRetainedBytes: number;
  private readonly maxRetainedFields: number;
  /** retain.expectedBytes when the whole input is held in one buffer from the start, else 0. */
  private readonly expectedBytes: number;

  startsBuf = new Int32Array(64);
  endsBuf = new Int32Array(64);
  /** Index of the current record's first span: past the spans of every record before it while retaining. */
  firstField = 0;
  fieldCount = 0;
  records = 0;

  constructor(options: CsvTokenizerOptions, onRecord: (record: CsvFields) => void) {
    this.delimiter = asciiByte(options.delimiter, 'delimiter');
    this.quote = asciiByte(options.quote, 'quote');
    this.maxChars = options.maxRecordChars;
    this.rangeEnd = options.end ?? Number.POSITIVE_INFINITY;
    this.singleByte = options.singleByte;
    this.rd = options.lineEnding === undefined ? RD_NONE : LINE_ENDINGS.indexOf(options.lineEnding);
    this.width = options.width ?? -1;
    this.lines = options.firstLine ?? 1;
    this.onRecord = onRecord;
    const retain = options.retain;
    this.retaining = retain !== undefined;
    this.maxRetainedBytes = retain?.maxBytes ?? 0;
    this.maxRetainedFields = retain?.maxFields ?? 0;
    const expected = retain?.expectedBytes;
    this.expectedBytes = 0;
    if (expected !== undefined && expected > this.buf.length && expected <= this.maxRetainedBytes) {
      this.buf = Buffer.allocUnsafe(expected);
      this.expectedBytes = expected;
    }
    this.special[this.delimiter] = 1;
    this.special[LF] = 1;
    this.special[CR] = 1;
    this.quotedSpecial[this.quote] = 1;
    this.quotedSpecial[LF] = 1;
    this.quotedSpecial[CR] = 1;
  }

  get bytes(): Uint8Array {
    return this.buf;
  }
  get starts(): Int32Array {
    return this.startsBuf;
  }
  get ends(): Int32Array {
    return this.endsBuf;
  }
  get recordOffset(): number {
    return this.consumed + this.recordStart;
  }

  text(i: number): string {
    const start = this.startsBuf[this.firstField + i] as number;
    const end = this.endsBuf[this.firstField + i] as number;
    return fieldText(this.buf, start, end, this.singleByte);
  }

  /** The line ending in force (undefined while none has been met). */
  get lineEnding(): LineEnding | undefined {
    return LINE_ENDINGS[this.rd];
  }

  /** The field count records must have (undefined before the first record). */
  get fieldWidth(): number | undefined {
    return this.width < 0 ? undefined : this.width;
  }

  /** Whether the range's end was reached: the rest of the input is not this range's. */
  get done(): boolean {
    return this.stopped;
  }

  /**
   * Where the record after this range's last one starts, from the input's start (the end of the input
   * when the range reaches it). Known once `done`, or after `finish`.
   */
  get nextOffset(): number {
    return this.consumed + (this.stopped ? this.pos : this.len);
  }

  /** Reads the records `chunk` completes. Returns false once the range's end is reached. */
  push(chunk: Uint8Array): boolean {
    if (this.stopped) return false;
    if (this.retaining && this.len + chunk.length > this.maxRetainedBytes) {
      this.release();
      this.compact();
    }
    if (this.len + chunk.length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + chunk.length));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
    this.run(false);
    if (!this.stopped && !this.retaining) this.compact();
    return !this.stopped;
  }

  /**
   * While retaining (the `retain` option): every byte pushed, and the spans of every field of the records
   * read, record after record (field text already unescaped in place); undefined once released.
   */
  get retained(): { bytes: Buffer; starts: Int32Array; ends: Int32Array; fields: number } | undefined {
    if (!this.retaining) return undefined;
    const bytes = this.buf.subarray(0, this.len);
    return { bytes, starts: this.startsBuf, ends: this.endsBuf, fields: this.firstField };
  }

  /** Stops retaining: the records read are dropped (their bytes from the next push on). */
  release(): void {
    if (!this.retaining) return;
    this.retaining = false;
    const first = this.firstField;
    const n = this.fieldCount;
    const size = Math.max(64, n);
    const starts = new Int32Array(size);
    starts.set(this.startsBuf.subarray(first, first + n));
    const ends = new Int32Array(size);
    ends.set(this.endsBuf.subarray(first, first + n));
    this.startsBuf = starts;
    this.endsBuf = ends;
    this.firstField = 0;
  }

  /** The end of the input: reads the last record; a quote still open is a ParseError. */
  finish(): void {
    if (this.stopped) return;
    this.run(true);
    if (this.stopped) return;
    const last = this.buf[this.len - 1];
    // csv-parse counts the last byte's line ending only after its end-of-input checks.
    const line = this.lines - (last === LF || last === CR ? 1 : 0);
    if (this.state === QUOTED) {
      throw new ParseError('Quote Not Closed: the parsing is finished with an opening quote', { line });
    }
    if (this.fieldCount > 0 || this.wasQuoting || (this.state === UNQUOTED && this.w > this.fieldStart)) {
      if (this.state === FIELD_START) {
        // The file ends right after a delimiter: the last field is empty.
        this.fieldStart = this.pos;
        this.w = this.pos;
      }
      this.endField();
      this.endRecord(line);
    }
  }

  private compact(): void {
    const shift = this.recordStart;
    if (shift === 0) return;
    this.buf.copyWithin(0, shift, this.len);
    this.len -= shift;
    this.pos -= shift;
    this.w -= shift;
    this.fieldStart -= shift;
    this.openQuote -= shift;
    for (let i = 0; i < this.fieldCount; i++) {
      (this.startsBuf[i] as number) -= shift;
      (this.endsBuf[i] as number) -= shift;
    }
    this.consumed += shift;
    this.recordStart = 0;
  }

  private endField(): void {
    const n = this.fieldCount;
    let at = this.firstField + n;
    if (at === this.startsBuf.length && this.retaining && 2 * at > this.maxRetainedFields) {
      this.release();
      at = n;
    }
    if (at === this.startsBuf.length) {
      let size = at * 2;
      // Held whole: sized for the input at the fields per byte read so far, a quarter over. Pages past
      // what is written are never touched, so the margin costs no memory, and the spans skip the copies
      // and fresh pages of doubling their way up (a tenth of the first pass of a 1M-row file).
      if (this.retaining && this.expectedBytes > 0 && this.w > 0) {
        const estimate = Math.ceil(((1.25 * at) / this.w) * this.expectedBytes);
        size = Math.max(size, Math.min(estimate, this.maxRetainedFields));
      }
      const starts = new Int32Array(size);
      starts.set(this.startsBuf);
      this.startsBuf = starts;
      const ends = new Int32Array(size);
      ends.set(this.endsBuf);
      this.endsBuf = ends;
    }
    this.startsBuf[at] = this.fieldStart;
    this.endsBuf[at] = this.w;
    this.fieldCount = n + 1;
    this.recordChars += this.w - this.fieldStart;
    this.wasQuoting = false;
  }

  private endRecord(line: number): void {
    if (this.width < 0) {
      this.width = this.fieldCount;
    } else if (this.fieldCount !== this.width) {
      throw new ParseError(`ragged row: ${this.fieldCount} fields where the first row has ${this.width}`, {
        line,
      });
    }
    this.records++;
    this.onRecord(this);
    if (this.retaining) this.firstField += this.fieldCount;
    this.fieldCount = 0;
    this.recordChars = 0;
  }

  /**
   * csv-parse refuses to append a byte once the record's finished fields (in UTF-16 units) plus the
   * current field's bytes exceed the limit. Checked first against the byte count of the finished fields,
   * an upper bound; only a record near the limit has its fields counted exactly.
   */
  private tooLong(w: number, fieldStart: number): boolean {
    let exact = 0;
    for (let i = this.firstField; i < this.firstField + this.fieldCount; i++) {
      exact += utf16Length(
        this.buf,
        this.startsBuf[i] as number,
        this.endsBuf[i] as number,
        this.singleByte !== undefined,
      );
    }
    this.recordChars = exact;
    return exact + (w - fieldStart) > this.maxChars;
  }

  private recordTooLong(): ParseError {
    return new ParseError(
      `Max Record Size: record exceed the maximum number of tolerated bytes of ${this.maxChars}`,
      { line: this.lines },
    );
  }

  /** Whether the line at `pos` (a line start) is blank: 1 yes, 0 no, -1 when the next byte must say. */
  private blankLineAt(pos: number, final: boolean): number {
    const c = this.buf[pos];
    if (c !== LF && c !== CR) return 0;
    switch (this.rd) {
      case RD_NONE:
        return 1;
      case RD_LF:
        return c === LF ? 1 : 0;
      case RD_CR:
        return c === CR ? 1 : 0;
      default:
        if (c !== CR) return 0;
        if (pos + 1 >= this.len) return final ? 0 : -1;
        return this.buf[pos + 1] === LF ? 1 : 0;
    }
  }

  private run(final: boolean): void {
    const buf = this.buf;
    const len = this.len;
    const delimiter = this.delimiter;
    const quote = this.quote;
    const max = this.maxChars;
    let pos = this.pos;
    let w = this.w;
    let fieldStart = this.fieldStart;
    let state = this.state;
    try {
      outer: for (;;) {
        if (state === FIELD_START) {
          if (this.fieldCount === 0) {
            this.recordStart = pos;
            if (this.consumed + pos >= this.rangeEnd) {
              // A blank line is no record: it is skipped, and the next range starts at a record.
              if (pos >= len) break;
              const blank = this.blankLineAt(pos, final);
              if (blank < 0) break;
              if (blank === 0) {
                this.stopped = true;
                break;
              }
            }
          }
          if (pos >= len) break;
          if (buf[pos] === quote) {
            this.openQuote = pos;
            pos++;
            fieldStart = pos;
            w = pos;
            state = QUOTED;
            continue;
          }
          fieldStart = pos;
          w = pos;
          this.wasQuoting = false;
          state = UNQUOTED;
        }
        if (state === UNQUOTED) {
          let limit = max - this.recordChars;
          const special = this.special;
          while (pos < len) {
            if (w === pos) {
              // Nothing moved yet (no escape earlier in the field): skip the field's plain bytes with one
              // table look each, up to where the length check is due.
              const stop = Math.min(len, fieldStart + limit + 1);
              while (pos < stop && special[buf[pos] as number] === 0) pos++;
              w = pos;
              if (pos >= len) break;
            }
            const c = buf[pos] as number;
            if (c === delimiter) {
              this.w = w;
              this.fieldStart = fieldStart;
              this.endField();
              pos++;
              state = FIELD_START;
              continue outer;
            }
            if (c === LF || c === CR) {
              let rd = this.rd;
              if (rd === RD_NONE) {
                if (c === LF) {
                  rd = RD_LF;
                } else {
                  if (pos + 1 >= len && !final) break outer;
                  rd = pos + 1 < len && buf[pos + 1] === LF ? RD_CRLF : RD_CR;
                }
                this.rd = rd;
              }
              let rdLength = 0;
              if (rd === RD_LF) rdLength = c === LF ? 1 : 0;
              else if (rd === RD_CR) rdLength = c === CR ? 1 : 0;
              else if (c === CR) {
                if (pos + 1 >= len && !final) break outer;
                rdLength = pos + 1 < len && buf[pos + 1] === LF ? 2 : 0;
              }
              if (rdLength !== 0) {
                if (this.fieldCount === 0 && w === fieldStart && !this.wasQuoting) {
                  // A blank line.
                  this.lines++;
                  pos += rdLength;
                  state = FIELD_START;
                  continue outer;
                }
                this.w = w;
                this.fieldStart = fieldStart;
                this.endField();
                const line = this.lines;
                this.lines++;
                pos += rdLength;
                state = FIELD_START;
                this.pos = pos;
                this.endRecord(line);
                continue outer;
              }
              // A literal line ending: its line is counted after the length check, as csv-parse does.
              if (w - fieldStart > limit) {
                this.pos = pos;
                if (this.tooLong(w, fieldStart)) throw this.recordTooLong();
                limit = max - this.recordChars;
              }
              this.lines++;
              if (w !== pos) buf[w] = c;
              w++;
              pos++;
              continue;
            }
            if (w - fieldStart > limit) {
              this.pos = pos;
              if (this.tooLong(w, fieldStart)) throw this.recordTooLong();
              limit = max - this.recordChars;
            }
            if (w !== pos) buf[w] = c;
            w++;
            pos++;
          }
          break;
        }
        // QUOTED
        let limit = max - this.recordChars;
        const quoted = this.quotedSpecial;
        while (pos < len) {
          if (w === pos) {
            const stop = Math.min(len, fieldStart + limit + 1);
            while (pos < stop && quoted[buf[pos] as number] === 0) pos++;
            w = pos;
            if (pos >= len) break;
          }
          const c = buf[pos] as number;
          if (c === quote) {
            const next = pos + 1 < len ? (buf[pos + 1] as number) : -1;
            if (next === -1 && !final) break outer;
            if (next === quote) {
              // An escaped quote: the second one is the field's.
              if (w - fieldStart > limit) {
                this.pos = pos + 1;
                if (this.tooLong(w, fieldStart)) throw this.recordTooLong();
                limit = max - this.recordChars;
              }
              buf[w++] = quote;
              pos += 2;
              continue;
            }
            let closes = next === -1 || next === 0 || next === delimiter;
            if (!closes && (next === LF || next === CR)) {
              const rd = this.rd;
              if (rd === RD_NONE) {
                if (next === CR) {
                  if (pos + 2 >= len && !final) break outer;
                  this.rd = pos + 2 < len && buf[pos + 2] === LF ? RD_CRLF : RD_CR;
                } else {
                  this.rd = RD_LF;
                }
                closes = true;
              } else if (rd === RD_LF) {
                closes = next === LF;
              } else if (rd === RD_CR) {
                closes = next === CR;
              } else if (next === CR) {
                if (pos + 2 >= len && !final) break outer;
                closes = pos + 2 < len && buf[pos + 2] === LF;
              }
            }
            pos++;
            this.wasQuoting = true;
            state = UNQUOTED;
            if (closes) continue outer;
            // Relaxed: the field is its raw text from the opening quote on (escapes already undone).
            fieldStart = this.openQuote;
            if (w - fieldStart > limit) {
              this.pos = pos - 1;
              if (this.tooLong(w, fieldStart)) throw this.recordTooLong();
            }
            buf[w++] = quote;
            continue outer;
          }
          if (w - fieldStart > limit) {
            this.pos = pos;
            if (this.tooLong(w, fieldStart)) throw this.recordTooLong();
            limit = max - this.recordChars;
          }
          if (c === LF || c === CR) this.lines++;
          if (w !== pos) buf[w] = c;
          w++;
          pos++;
        }
        break;
      }
    } finally {
      this.pos = pos;
      this.w = w;
      this.fieldStart = fieldStart;
      this.state = state;
    }
  }
}

/**
 * Reads every record of `source` (UTF-8 bytes) through a tokenizer, awaiting only between chunks. Stops
 * pulling the source once the range's end is reached. Returns the tokenizer (for nextOffset, the line
 * ending met, the width).
 */
export async function tokenizeCsv(
  source: AsyncIterable<Uint8Array>,
  options: CsvTokenizerOptions,
  onRecord: (record: CsvFields) => void,
): Promise<CsvTokenizer> {
  const tokenizer = new CsvTokenizer(options, onRecord);
  for await (const chunk of source) {
    if (!tokenizer.push(chunk)) return tokenizer;
  }
  tokenizer.finish();
  return tokenizer;
}
