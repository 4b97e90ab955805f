/**
 * Type inference and conversion for the text formats. A column's type is the join of the kinds of its
 * values on this lattice:
 *
 *   null  <  bool, int, timestamp  <  string;   int < float;   any two that have no order join to string
 *
 * so `1` and `1.5` make a float column, while `true` and `1`, or `2026-01-01` and `5`, make a string
 * column (there is no faithful number for "true", and epoch numbers stay numbers unless a type override
 * says otherwise). `nullable` means the column held a null (or, for JSON, a record lacked the key).
 *
 * Text tokens (CSV fields):
 * - int: `-?(0|[1-9][0-9]*)` within ±(2^53 - 1). Leading zeros ("007"), a leading "+" (phone numbers),
 *   thousands separators ("1,234") and surrounding spaces keep a token a string; larger integers are
 *   strings too (identifiers more often than quantities).
 * - float: the same integer part with a fraction and/or exponent (".5" and "5." allowed), finite.
 * - bool: true / false, any case.
 * - timestamp: ISO 8601 / RFC 3339 dates and date-times (`2026-01-31`, `2026-01-31T12:00`,
 *   `2026-01-31 12:00:00.123456+02:00`, `...Z`); no offset means UTC; digits beyond milliseconds are
 *   floored. Epoch numbers are not timestamps.
 * - null: NULL_TOKENS always mean missing; MISSING_TOKENS ("NA", "NaN", "N/A", ...) mean missing only in a
 *   column that is not a string column, so a country column keeps Namibia ("NA") and a numeric column from
 *   R or pandas keeps its type. A column with no other values is a string column holding those tokens.
 * - A column with no values at all (empty, or only nulls) is a nullable string column.
 *
 * JSON values: null, booleans and numbers have their own kinds (an integral number within ±(2^53 - 1) is an
 * int; a larger integer literal arrives here already as text and is a string); strings are strings unless
 * they are ISO timestamps ("42" in quotes stays a string); objects and arrays arrive as JSON text.
 */
import type { CellValue, ColumnType } from '../table.js';

/** Tokens that mean "missing" in every column (empty field, SQL/JSON null, MySQL's \N). */
export const NULL_TOKENS: readonly string[] = ['', 'null', 'NULL', 'Null', '\\N'];
/** Tokens that mean "missing" except in a string column. */
export const MISSING_TOKENS: readonly string[] = ['NA', 'N/A', 'n/a', '#N/A', 'NaN', 'nan', 'None', 'none'];

const NULL_SET = new Set(NULL_TOKENS);
const MISSING_SET = new Set(MISSING_TOKENS);

export type Kind = 'null' | ColumnType;

const INT = /^-?(?:0|[1-9]\d*)$/;
const FLOAT = /^-?(?:(?:0|[1-9]\d*)(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const BOOL = /^(?:true|false)$/i;
/** Lenient numbers for type overrides: leading zeros and "+" allowed (the config asked for a number). */
const LENIENT_NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const TIMESTAMP = new RegExp(
  '^(\\d{4})-(\\d{2})-(\\d{2})' + // date
    '(?:[Tt ](\\d{2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d{1,9}))?)?' + // time; seconds and fraction optional
    '([Zz]|[-+]\\d{2}(?::?\\d{2})?)?)?$', // offset
);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil; no Date quirks). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Epoch milliseconds of an ISO 8601 date or date-time, or undefined when the text is not one. */
export function parseTimestamp(text: string): number | undefined {
  // Cheap reject before the regex: most tokens are not timestamps.
  if (text.length < 10 || text.charCodeAt(4) !== 45 /* - */) return undefined;
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return undefined;
  const maxDay = month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  if (day > maxDay) return undefined;
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const days = daysFromCivil(year, month, day);
  return ((days * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000 + millis;
}

/** What one text token says about its column. 'missing' is a MISSING_TOKENS token. */
export function classifyToken(token: string): Kind | 'missing' {
  if (NULL_SET.has(token)) return 'null';
  if (MISSING_SET.has(token)) return 'missing';
  const c = token.charCodeAt(0);
  // Every number starts with a digit, '-' or '.'; skip the regexes for everything else.
  if ((c >= 48 && c <= 57) || c === 45 || c === 46) {
    // Four digits then '-' can only be a timestamp, never a number.
    if (token.charCodeAt(4) === 45 && /^\d{4}/.test(token)) {
      return parseTimestamp(token) === undefined ? 'string' : 'timestamp';
    }
    if (INT.test(token)) return Number.isSafeInteger(Number(token)) ? 'int' : 'string';
    if (FLOAT.test(token)) return Number.isFinite(Number(token)) ? 'float' : 'string';
    return 'string';
  }
  if ((c === 116 || c === 102 || c === 84 || c === 70) && BOOL.test(token)) return 'bool';
  return 'string';
}

/** A JSON field value after the reader's normalization: nested values and huge integers are text. */
export type JsonCell = string | number | boolean | null;

export function classifyJson(value: JsonCell): Kind {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isSafeInteger(value) ? 'int' : 'float';
    default:
      return parseTimestamp(value) === undefined ? 'string' : 'timestamp';
  }
}

export function joinKinds(a: Kind, b: Kind): Kind {
  if (a === b || b === 'null') return a;
  if (a === 'null') return b;
  if ((a === 'int' && b === 'float') || (a === 'float' && b === 'int')) return 'float';
  return 'string';
}

/** Constant-memory summary of one column's values, fed one value at a time during the first pass. */
export class ColumnInference {
  kind: Kind = 'null';
  /** NULL_TOKENS / JSON nulls seen. */
  nulls = 0;
  /** MISSING_TOKENS seen (null unless the column ends up a string column). */
  missing = 0;
  /** Values observed (a JSON record without the key observes nothing). */
  observed = 0;

  observeToken(token: string): void {
    this.observed++;
    if (this.kind === 'string') {
      // The top of the lattice: only nulls still matter (missing tokens are values in a string column).
      if (NULL_SET.has(token)) this.nulls++;
      return;
    }
    const k = classifyToken(token);
    if (k === 'null') this.nulls++;
    else if (k === 'missing') this.missing++;
    else if (k !== this.kind) this.kind = joinKinds(this.kind, k);
  }

  observeJson(value: JsonCell): void {
    this.observed++;
    const k = classifyJson(value);
    if (k === 'null') this.nulls++;
    else if (k !== this.kind) this.kind = joinKinds(this.kind, k);
  }

  /** The inferred type: a column with no typed values is a string column. */
  type(): ColumnType {
    return this.kind === 'null' ? 'string' : this.kind;
  }

  /** Whether the column holds a null once converted to `type` (after `records` records). */
  nullable(type: ColumnType, records: number): boolean {
    if (this.nulls > 0 || this.observed < records) return true;
    return type !== 'string' && this.missing > 0;
  }
}

/** Marks a value that cannot be converted to its column's type (the record fails). */
export const FAILED = Symbol('conversion failed');
export type Converted = CellValue | typeof FAILED;

function toInt(text: string): Converted {
  if (!LENIENT_NUMBER.test(text)) return FAILED;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : FAILED;
}

function toFloat(text: string): Converted {
  if (!LENIENT_NUMBER.test(text)) return FAILED;
  const n = Number(text);
  return Number.isFinite(n) ? n : FAILED;
}

function toBool(text: string): Converted {
  switch (text.toLowerCase()) {
    case 'true':
    case 'yes':
    case '1':
      return true;
    case 'false':
    case 'no':
    case '0':
      return false;
    default:
      return FAILED;
  }
}

function toTimestamp(text: string): Converted {
  const t = parseTimestamp(text);
  if (t !== undefined) return t;
  // Under an override an integer is epoch milliseconds.
  if (INT.test(text)) return toInt(text);
  return FAILED;
}

function fromText(text: string, type: ColumnType): Converted {
  switch (type) {
    case 'string':
      return text;
    case 'int':
      return toInt(text);
    case 'float':
      return toFloat(text);
    case 'bool':
      return toBool(text);
    case 'timestamp':
      return toTimestamp(text);
  }
}

/**
 * A CSV token as a value of `type` (the inferred type, which always succeeds, or an override, which may
 * fail). Null tokens are null; missing tokens are null unless `type` is string.
 */
export function convertToken(token: string, type: ColumnType): Converted {
  if (NULL_SET.has(token)) return null;
  if (type !== 'string' && MISSING_SET.has(token)) return null;
  return fromText(token, type);
}

/** A JSON field value as a value of `type`. Strings convert like CSV tokens when the type is not string. */
export function convertJson(value: JsonCell, type: ColumnType): Converted {
  if (value === null) return null;
  if (typeof value === 'string') {
    if (type === 'string') return value;
    if (NULL_SET.has(value) || MISSING_SET.has(value)) return null;
    return fromText(value, type);
  }
  return convertCell(value, type);
}

/**
 * A typed value (from Parquet) as a value of `type`, for type overrides: numbers widen or must be whole,
 * strings parse as text, timestamps and numbers convert as epoch milliseconds, anything to string is text
 * (timestamps as ISO 8601).
 */
export function convertCell(value: CellValue, type: ColumnType, from?: ColumnType): Converted {
  if (value === null) return null;
  if (typeof value === 'string') return type === 'string' ? value : convertJson(value, type);
  if (typeof value === 'boolean') {
    if (type === 'bool') return value;
    if (type === 'string') return String(value);
    if (type === 'int' || type === 'float') return value ? 1 : 0;
    return FAILED;
  }
  switch (type) {
    case 'string':
      return from === 'timestamp' && Number.isFinite(value) ? new Date(value).toISOString() : String(value);
    case 'int':
    case 'timestamp':
      return Number.isSafeInteger(value) ? value : FAILED;
    case 'float':
      return Number.isNaN(value) ? null : value;
    case 'bool':
      return value === 1 ? true : value === 0 ? false : FAILED;
  }
}
