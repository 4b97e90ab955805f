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
