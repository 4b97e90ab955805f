/**
 * What the SQL sources (PostgreSQL, MySQL) share: tie-safe batch cutting over a cursor, and the checks on
 * table names and queries that go into SQL text.
 */
import { SourceError } from '../errors.js';

/** Alias of the incremental column's text form, appended as the last result column (never yielded). */
export const WATERMARK_ALIAS = '__strata_watermark';

/** Rows read per round trip while completing a tie past a full batch. */
const TIE_CHUNK = 100;

/**
 * Cuts a stream of rows (ordered by `key` when given) into batches of at least `batchSize` rows, cutting
 * only between different keys: a full batch is extended until the key changes. `read(max)` returns up to
 * `max` rows and fewer only at the end. Rows read past the cut wait for the next batch, so memory stays
 * within about `batchSize` + one tie + `TIE_CHUNK` rows. Without `key` every batch is `batchSize` rows.
 */
export async function* cutBatches<Row>(
  read: (max: number) => Promise<Row[]>,
  batchSize: number,
  key?: (row: Row) => string,
): AsyncGenerator<Row[], void, undefined> {
  const tieChunk = Math.max(1, Math.min(TIE_CHUNK, batchSize));
  let held: Row[] = [];
  let exhausted = false;
  while (true) {
    const batch = held;
    held = [];
    while (batch.length < batchSize && !exhausted) {
      const want = batchSize - batch.length;
      const rows = await read(want);
      if (rows.length < want) exhausted = true;
      for (const row of rows) batch.push(row);
    }
    if (batch.length === 0) return;
    const last = batch[batch.length - 1];
    if (key !== undefined && last !== undefined) {
      const lastKey = key(last);
      extend: while (!exhausted) {
        const rows = await read(tieChunk);
        if (rows.length < tieChunk) exhausted = true;
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i] as Row;
          if (!sameIncrement(key(row), lastKey)) {
            held = rows.slice(i);
            break extend;
          }
          batch.push(row);
        }
      }
    }
    yield batch;
    if (exhausted && held.length === 0) return;
  }
}

const NUMERIC_TEXT = /^-?\d+(?:\.\d+)?$/;

/**
 * Whether two incremental values (text forms) are equal as the database orders them. Numerics with a
 * different scale (`1.0`, `1.00`) are equal in SQL; treating values as equal when unsure only makes a
 * batch longer, never cuts a tie.
 */
export function sameIncrement(a: string, b: string): boolean {
  if (a === b) return true;
  return NUMERIC_TEXT.test(a) && NUMERIC_TEXT.test(b) && Number(a) === Number(b);
}

/** Query text from the config, with trailing semicolons dropped: it is wrapped as a subquery. */
export function sourceQueryText(query: string): string {
  const text = query.replace(/[\s;]+$/, '');
  if (text.trim() === '') throw new SourceError('the connector query is empty');
  return text;
}

/**
 * Splits `a.b` / `"a.b"."c"` (PostgreSQL) or `` `a`.b `` (MySQL) into exact name parts. Bare parts are
 * taken verbatim (not case-folded): the name must be spelled as the catalog stores it.
 */
export function splitQualifiedName(name: string, quote: '"' | '`', maxParts: number): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i <= name.length) {
    let part = '';
    if (name[i] === quote) {
      i++;
      let closed = false;
      while (i < name.length) {
        const ch = name[i] as string;
        if (ch === quote) {
          if (name[i + 1] === quote) {
            part += quote;
            i += 2;
            continue;
          }
          i++;
          closed = true;
          break;
        }
        part += ch;
        i++;
      }
      if (!closed) throw new SourceError(`table name ${JSON.stringify(name)} has an unclosed quote`);
      if (i < name.length && name[i] !== '.') {
        throw new SourceError(`table name ${JSON.stringify(name)}: expected "." after a quoted part`);
      }
    } else {
      const end = name.indexOf('.', i);
      part = name.slice(i, end === -1 ? name.length : end);
      if (part.includes(quote)) {
        throw new SourceError(`table name ${JSON.stringify(name)}: a quote inside an unquoted part`);
      }
      i = end === -1 ? name.length : end;
    }
    parts.push(part);
    i++; // skip the dot (or step past the end)
  }
  if (parts.length > maxParts) {
    throw new SourceError(`table name ${JSON.stringify(name)} has more than ${maxParts} dotted parts`);
  }
  return parts;
}

/** Rejects names a database would refuse or silently truncate; returns the name. */
export function checkIdentifier(name: string, maxBytes: number, what: string): string {
  if (name.length === 0) throw new SourceError(`${what} has an empty name`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is rejected
  if (/[\u0000-\u001f]/.test(name)) throw new SourceError(`${what} contains a control character`);
  if (Buffer.byteLength(name, 'utf8') > maxBytes) {
    throw new SourceError(`${what} ${JSON.stringify(name)} is longer than ${maxBytes} bytes`);
  }
  return name;
}

/** A 64-bit integer's text as a number when exact, else its text (toJsonCell and the Parquet writer keep text exact). */
export function parseInt8(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}
