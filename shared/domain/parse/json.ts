/**
 * A JSON document whose top level is an array of objects, read as a stream of text (encoding.ts decodes
 * the bytes): a small scanner finds where each top-level element starts and ends (tracking strings,
 * escapes and nesting depth) and hands the element's text to JSON.parse, so memory holds one element, not
 * the document. The scanner checks the array's own syntax (brackets, commas, nothing after the closing
 * bracket); a syntax error there is a ParseError, since nothing after it can be trusted. An element that is
 * not a valid JSON object is a failed record, like a bad JSONL line. A document of nothing but whitespace
 * is an EmptyFileError.
 */
import { EmptyFileError, ParseError } from '../../errors.js';
import { parseJsonRecord } from './json-values.js';
import { type JsonSourceRecord, MAX_RECORD_CHARS } from './jsonl.js';

/**
 * `before`: after '[' (first) or ',' (later), expecting an element (or ']' right after '[');
 * `after`: after a complete object/array element, expecting ',' or ']'.
 */
type State = 'start' | 'before' | 'element' | 'after' | 'end';

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function describe(c: number): string {
  return JSON.stringify(String.fromCharCode(c));
}

export async function* readJsonArray(source: AsyncIterable<string>): AsyncIterable<JsonSourceRecord> {
  let state: State = 'start';
  let first = true;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let line = 1;
  let record = 0;
  let elementLine = 1;
  /** Text of the current element from earlier chunks. */
  let pending = '';

  function element(text: string): JsonSourceRecord {
    record++;
    return { record, line: elementLine, result: parseJsonRecord(text) };
  }

  function* scan(text: string): Iterable<JsonSourceRecord> {
    let start = 0; // where the current element's text starts in `text`
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) line++;
      switch (state) {
        case 'start':
          if (isSpace(c)) break;
          if (c !== 91 /* [ */)
            throw new ParseError('expected a JSON array of objects at the top level', { line });
          state = 'before';
          break;
        case 'before':
          if (isSpace(c)) break;
          if (c === 93 /* ] */) {
            if (!first) throw new ParseError('a comma before "]" (trailing comma)', { line });
            state = 'end';
            break;
          }
          if (c === 44 /* , */) throw new ParseError('an empty element (",,")', { line });
          state = 'element';
          first = false;
          start = i;
          elementLine = line;
          pending = '';
          depth = 0;
          inString = false;
          escaped = false;
          i--; // let 'element' look at this character again
          break;
        case 'element':
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
              if (c === 125) throw new ParseError('unbalanced "}"', { line, record: record + 1 });
              yield element(pending + text.slice(start, i));
              state = 'end';
              break;
            }
            depth--;
            if (depth === 0) {
              yield element(pending + text.slice(start, i + 1));
              state = 'after';
            }
          } else if (c === 44 /* , */ && depth === 0) {
            yield element(pending + text.slice(start, i));
            state = 'before';
          }
          break;
        case 'after':
          if (isSpace(c)) break;
          if (c === 44) state = 'before';
          else if (c === 93) state = 'end';
          else throw new ParseError(`expected "," or "]" after an element, found ${describe(c)}`, { line });
          break;
        case 'end':
          if (!isSpace(c)) throw new ParseError(`unexpected ${describe(c)} after the closing "]"`, { line });
          break;
      }
    }
    if (state === 'element') {
      pending += text.slice(start);
      if (pending.length > MAX_RECORD_CHARS) {
        throw new ParseError(`element longer than ${MAX_RECORD_CHARS} characters`, { line: elementLine });
      }
    }
  }

  for await (const text of source) yield* scan(text);
  if (state === 'start') throw new EmptyFileError('empty document: expected a JSON array of objects');
  if (state !== 'end') throw new ParseError('the JSON array is not closed', { line });
}
