/**
 * The regular-expression implementation of token classification and conversion the byte scanners replaced,
 * kept as the oracle of their differential tests.
 */
import type { CellValue, ColumnType } from '../../../shared/domain/table.js';

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

/** Marks a value that cannot be converted to its column's type (the record fails). */
const FAILED = Symbol('conversion failed');
/** The reference's failure marker (its own symbol). */
export const REFERENCE_FAILED = FAILED;
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
