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
/** Lenient numbers for type overrides: leading zeros and "+" allowed (the config asked for a number). */
const LENIENT_NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

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

/** The value of the two ASCII digits at bytes[i], or -1. */
function twoDigits(bytes: ArrayLike<number>, i: number): number {
  const a = (bytes[i] as number) - 48;
  const b = (bytes[i + 1] as number) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** The longest accepted form: 2026-01-31T12:00:00.123456789+02:00. */
const LONGEST_TIMESTAMP = 35;

/**
 * Epoch milliseconds of the ISO 8601 date or date-time in bytes[start, end) (ASCII), or NaN. The forms:
 * `YYYY-MM-DD`, optionally followed by `[Tt ]hh:mm`, optional `:ss`, optional `[.,]` and 1 to 9 digits of
 * fraction (after seconds only), optional `Z`/`z` or `[+-]hh`, `[+-]hhmm`, `[+-]hh:mm`. No offset means
 * UTC; digits beyond milliseconds are floored.
 */
export function scanTimestamp(bytes: ArrayLike<number>, start: number, end: number): number {
  const n = end - start;
  if (n < 10 || n > LONGEST_TIMESTAMP || bytes[start + 4] !== 45 || bytes[start + 7] !== 45)
    return Number.NaN;
  const hi = twoDigits(bytes, start);
  const lo = twoDigits(bytes, start + 2);
  const month = twoDigits(bytes, start + 5);
  const day = twoDigits(bytes, start + 8);
  if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1) return Number.NaN;
  const year = hi * 100 + lo;
  const maxDay = month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  if (day > maxDay) return Number.NaN;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let millis = 0;
  let offsetMinutes = 0;
  let i = start + 10;
  if (i < end) {
    const t = bytes[i];
    if (t !== 84 && t !== 116 && t !== 32) return Number.NaN; // T t space
    if (i + 6 > end || bytes[i + 3] !== 58) return Number.NaN;
    hour = twoDigits(bytes, i + 1);
    minute = twoDigits(bytes, i + 4);
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return Number.NaN;
    i += 6;
    if (i < end && bytes[i] === 58) {
      if (i + 3 > end) return Number.NaN;
      second = twoDigits(bytes, i + 1);
      if (second < 0 || second > 59) return Number.NaN;
      i += 3;
      if (i < end && (bytes[i] === 46 || bytes[i] === 44)) {
        i++;
        const from = i;
        while (i < end && (bytes[i] as number) >= 48 && (bytes[i] as number) <= 57) i++;
        const digits = i - from;
        if (digits < 1 || digits > 9) return Number.NaN;
        for (let k = 0; k < 3; k++)
          millis = millis * 10 + (k < digits ? (bytes[from + k] as number) - 48 : 0);
      }
    }
    if (i < end) {
      const z = bytes[i];
      if (z === 90 || z === 122) {
        i++;
      } else if (z === 43 || z === 45) {
        if (i + 3 > end) return Number.NaN;
        const oh = twoDigits(bytes, i + 1);
        if (oh < 0) return Number.NaN;
        i += 3;
        let om = 0;
        if (i < end) {
          if (bytes[i] === 58) i++;
          if (i + 2 > end) return Number.NaN;
          om = twoDigits(bytes, i);
          if (om < 0) return Number.NaN;
          i += 2;
        }
        if (oh > 23 || om > 59) return Number.NaN;
        offsetMinutes = (z === 45 ? -1 : 1) * (oh * 60 + om);
      } else {
        return Number.NaN;
      }
    }
    if (i !== end) return Number.NaN;
  }
  const days = daysFromCivil(year, month, day);
  return ((days * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000 + millis;
}

const SCRATCH = new Uint8Array(LONGEST_TIMESTAMP);

/** Epoch milliseconds of an ISO 8601 date or date-time (see scanTimestamp), or undefined. */
export function parseTimestamp(text: string): number | undefined {
  const n = text.length;
  // Cheap reject: most tokens are not timestamps.
  if (n < 10 || n > LONGEST_TIMESTAMP || text.charCodeAt(4) !== 45 /* - */) return undefined;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return undefined;
    SCRATCH[i] = c;
  }
  const t = scanTimestamp(SCRATCH, 0, n);
  return Number.isNaN(t) ? undefined : t;
}

// ---------------------------------------------------------------------------------------------------------
// Tokens as bytes: the CSV path classifies and converts fields where they lie in the file's bytes, without a
// string per field. The string functions below run the same code over a copy of the token's char codes.

const NOT_NUMBER = 0;
const INT_FORM = 1;
const FLOAT_FORM = 2;
/** Digits up to which a decimal mantissa is exact in a double (and every integer is safe). */
const EXACT_DIGITS = 15;
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** What the last scanNumber read (module state instead of an object per call: this runs per field). */
let numNegative = false;
let numMantissa = 0;
/** Significant digits of the mantissa (leading zeros not counted). */
let numDigits = 0;
/** The value is numMantissa × 10^numExponent. */
let numExponent = 0;

/**
 * Reads bytes[start, end) as `-?(0|[1-9][0-9]*)` (INT_FORM) or the float form
 * `-?((0|[1-9][0-9]*)(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?` (FLOAT_FORM), or neither.
 */
function scanNumber(b: ArrayLike<number>, start: number, end: number): number {
  let i = start;
  numNegative = b[i] === 45;
  if (numNegative) i++;
  let mantissa = 0;
  let digits = 0;
  let intDigits = 0;
  if (b[i] === 48) {
    i++;
    intDigits = 1;
  } else {
    while (i < end) {
      const d = (b[i] as number) - 48;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
      digits++;
      intDigits++;
      i++;
    }
  }
  let form = INT_FORM;
  let fraction = 0;
  if (i < end && b[i] === 46) {
    form = FLOAT_FORM;
    i++;
    while (i < end) {
      const d = (b[i] as number) - 48;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
      if (digits > 0 || d !== 0) digits++;
      fraction++;
      i++;
    }
  }
  if (intDigits === 0 && fraction === 0) return NOT_NUMBER;
  let exponent = 0;
  if (i < end && (b[i] === 101 || b[i] === 69)) {
    form = FLOAT_FORM;
    i++;
    const negative = b[i] === 45;
    if (negative || b[i] === 43) i++;
    const from = i;
    while (i < end) {
      const d = (b[i] as number) - 48;
      if (d < 0 || d > 9) break;
      // Past 10^6 the value is 0 or infinite anyway; the slow path decides which.
      if (exponent < 1e6) exponent = exponent * 10 + d;
      i++;
    }
    if (i === from) return NOT_NUMBER;
    if (negative) exponent = -exponent;
  }
  if (i !== end) return NOT_NUMBER;
  numMantissa = mantissa;
  numDigits = digits;
  numExponent = exponent - fraction;
  return form;
}

/**
 * The value scanNumber read when a double computes it exactly as Number() would (Clinger's fast path: an
 * exact mantissa times or over an exact power of ten rounds once), else NaN.
 */
function fastNumber(): number {
  if (numDigits > EXACT_DIGITS || numExponent < -22 || numExponent > 22) return Number.NaN;
  const v =
    numExponent >= 0
      ? numMantissa * (POW10[numExponent] as number)
      : numMantissa / (POW10[-numExponent] as number);
  return numNegative ? -v : v;
}

function ascii(b: ArrayLike<number>, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(b[i] as number);
  return text;
}

/** 1: a NULL_TOKENS token, 2: a MISSING_TOKENS token, 0: neither. */
function nullKind(b: ArrayLike<number>, start: number, end: number): number {
  switch (end - start) {
    case 0:
      return 1;
    case 2: {
      const c0 = b[start];
      const c1 = b[start + 1];
      if (c0 === 92 && c1 === 78) return 1; // \N
      if (c0 === 78 && c1 === 65) return 2; // NA
      return 0;
    }
    case 3: {
      const c0 = b[start];
      const c1 = b[start + 1];
      const c2 = b[start + 2];
      if (c1 === 47) return (c0 === 78 && c2 === 65) || (c0 === 110 && c2 === 97) ? 2 : 0; // N/A n/a
      if (c1 === 97) return (c0 === 78 && c2 === 78) || (c0 === 110 && c2 === 110) ? 2 : 0; // NaN nan
      return 0;
    }
    case 4: {
      const c0 = b[start];
      const c1 = b[start + 1];
      const c2 = b[start + 2];
      const c3 = b[start + 3];
      if (c0 === 110 || c0 === 78) {
        // null NULL Null, None none
        if (c1 === 117 && c2 === 108 && c3 === 108) return 1;
        if (c0 === 78 && c1 === 85 && c2 === 76 && c3 === 76) return 1;
        if (c1 === 111 && c2 === 110 && c3 === 101) return 2;
        return 0;
      }
      return c0 === 35 && c1 === 78 && c2 === 47 && c3 === 65 ? 2 : 0; // #N/A
    }
    default:
      return 0;
  }
}

/** true / false in any case, else undefined. */
function boolOf(b: ArrayLike<number>, start: number, end: number): boolean | undefined {
  const n = end - start;
  const c0 = (b[start] as number) | 0x20;
  if (n === 4 && c0 === 116) {
    return ((b[start + 1] as number) | 0x20) === 114 &&
      ((b[start + 2] as number) | 0x20) === 117 &&
      ((b[start + 3] as number) | 0x20) === 101
      ? true
      : undefined;
  }
  if (n === 5 && c0 === 102) {
    return ((b[start + 1] as number) | 0x20) === 97 &&
      ((b[start + 2] as number) | 0x20) === 108 &&
      ((b[start + 3] as number) | 0x20) === 115 &&
      ((b[start + 4] as number) | 0x20) === 101
      ? false
      : undefined;
  }
  return undefined;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

/**
 * The value of the token valueKind last classified as int, float or timestamp: what convertBytes makes of
 * it as that type (module state instead of an object per call: this runs per field).
 */
let kindValue = 0;

/** The kind of a token that is neither a null nor a missing token; sets kindValue for the typed kinds. */
function valueKind(b: ArrayLike<number>, start: number, end: number): Kind {
  const c = b[start] as number;
  // Every number starts with a digit, '-' or '.'.
  if ((c >= 48 && c <= 57) || c === 45 || c === 46) {
    // Four digits then '-' can only be a timestamp, never a number.
    if (
      end - start > 4 &&
      b[start + 4] === 45 &&
      isDigit(c) &&
      isDigit(b[start + 1]) &&
      isDigit(b[start + 2]) &&
      isDigit(b[start + 3])
    ) {
      kindValue = scanTimestamp(b, start, end);
      return Number.isNaN(kindValue) ? 'string' : 'timestamp';
    }
    const form = scanNumber(b, start, end);
    if (form === INT_FORM) {
      kindValue =
        numDigits <= EXACT_DIGITS ? (numNegative ? -numMantissa : numMantissa) : Number(ascii(b, start, end));
      return Number.isSafeInteger(kindValue) ? 'int' : 'string';
    }
    if (form === FLOAT_FORM) {
      kindValue = fastNumber();
      if (Number.isNaN(kindValue)) kindValue = Number(ascii(b, start, end));
      return Number.isFinite(kindValue) ? 'float' : 'string';
    }
    return 'string';
  }
  if ((c === 116 || c === 102 || c === 84 || c === 70) && boolOf(b, start, end) !== undefined) return 'bool';
  return 'string';
}

/** What the token in bytes[start, end) (UTF-8) says about its column; see classifyToken. */
export function classifyBytes(b: ArrayLike<number>, start: number, end: number): Kind | 'missing' {
  const nk = nullKind(b, start, end);
  if (nk === 1) return 'null';
  if (nk === 2) return 'missing';
  return valueKind(b, start, end);
}

let scratch = new Uint8Array(64);

/** The token's char codes in `scratch`, or false when it is not ASCII (then no typed kind can match). */
function toScratch(token: string): boolean {
  const n = token.length;
  if (n > scratch.length) scratch = new Uint8Array(Math.max(n, scratch.length * 2));
  for (let i = 0; i < n; i++) {
    const c = token.charCodeAt(i);
    if (c > 0x7f) return false;
    scratch[i] = c;
  }
  return true;
}

/** What one text token says about its column. 'missing' is a MISSING_TOKENS token. */
export function classifyToken(token: string): Kind | 'missing' {
  // Null and missing tokens, numbers, booleans and timestamps are all ASCII.
  if (!toScratch(token)) return 'string';
  return classifyBytes(scratch, 0, token.length);
}

const utf8 = new TextDecoder();

/**
 * The token in bytes[start, end) (UTF-8) as a value of `type`: exactly convertToken of its text. The usual
 * forms are read from the bytes; anything else (lenient numbers under an override, epoch timestamps, yes/no,
 * numbers a double cannot read exactly on the fast path) goes through the text rules.
 */
export function convertBytes(b: Uint8Array, start: number, end: number, type: ColumnType): Converted {
  const nk = nullKind(b, start, end);
  if (nk === 1 || (nk === 2 && type !== 'string')) return null;
  switch (type) {
    case 'string':
      return utf8.decode(b.subarray(start, end));
    case 'int':
      if (scanNumber(b, start, end) === INT_FORM && numDigits <= EXACT_DIGITS) {
        return numNegative ? -numMantissa : numMantissa;
      }
      break;
    case 'float':
      if (scanNumber(b, start, end) !== NOT_NUMBER) {
        const v = fastNumber();
        if (!Number.isNaN(v)) return v;
      }
      break;
    case 'bool': {
      const v = boolOf(b, start, end);
      if (v !== undefined) return v;
      break;
    }
    case 'timestamp': {
      const t = scanTimestamp(b, start, end);
      if (!Number.isNaN(t)) return t;
      break;
    }
  }
  return fromText(utf8.decode(b.subarray(start, end)), type);
}

/** Whether bytes[start, end) is a NULL_TOKENS token (null in every column). */
export function isNullBytes(b: ArrayLike<number>, start: number, end: number): boolean {
  return nullKind(b, start, end) === 1;
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

/** A ColumnInference's state as JSON (for per-range inference combined into the whole file's). */
export interface ColumnInferenceState {
  kind: Kind;
  nulls: number;
  missing: number;
  observed: number;
  /** [min, max] of the values, while the kind is int or float (see ColumnInference.range). */
  numbers?: [number, number];
  /** [min, max] of the values, while the kind is timestamp. */
  instants?: [number, number];
}

/**
 * Constant-memory summary of one column's values, fed one value at a time during the first pass. Every
 * count is order-independent and the kind is a lattice join, so the summaries of any split of the values,
 * merged, equal the summary of all of them.
 */
export class ColumnInference {
  kind: Kind = 'null';
  /** NULL_TOKENS / JSON nulls seen. */
  nulls = 0;
  /** MISSING_TOKENS seen (null unless the column ends up a string column). */
  missing = 0;
  /** Values observed (a JSON record without the key observes nothing). */
  observed = 0;
  /**
   * The range of the int and float values, and of the timestamp values, seen while the column could still
   * be typed: the column's range once converted to the type it is inferred as (see range()).
   */
  private low = Number.POSITIVE_INFINITY;
  private high = Number.NEGATIVE_INFINITY;
  private earliest = Number.POSITIVE_INFINITY;
  private latest = Number.NEGATIVE_INFINITY;

  static fromJSON(state: ColumnInferenceState): ColumnInference {
    return new ColumnInference().merge(state);
  }

  /** The ranges only while the kind can use them: so any split of the values, merged, gives the same. */
  toJSON(): ColumnInferenceState {
    const state: ColumnInferenceState = {
      kind: this.kind,
      nulls: this.nulls,
      missing: this.missing,
      observed: this.observed,
    };
    if ((this.kind === 'int' || this.kind === 'float') && this.low <= this.high) {
      // `+ 0` turns -0 into 0: a state crosses as JSON, which has no -0, and must merge to the same.
      state.numbers = [this.low + 0, this.high + 0];
    }
    if (this.kind === 'timestamp' && this.earliest <= this.latest)
      state.instants = [this.earliest, this.latest];
    return state;
  }

  /** Adds what `other` observed (of other records of the same column). */
  merge(other: ColumnInferenceState): this {
    this.kind = joinKinds(this.kind, other.kind);
    this.nulls += other.nulls;
    this.missing += other.missing;
    this.observed += other.observed;
    if (other.numbers) {
      this.low = Math.min(this.low, other.numbers[0]);
      this.high = Math.max(this.high, other.numbers[1]);
    }
    if (other.instants) {
      this.earliest = Math.min(this.earliest, other.instants[0]);
      this.latest = Math.max(this.latest, other.instants[1]);
    }
    return this;
  }

  observeToken(token: string): void {
    if (!toScratch(token)) {
      this.observed++;
      if (this.kind !== 'string') this.kind = joinKinds(this.kind, 'string');
      return;
    }
    this.observeBytes(scratch, 0, token.length);
  }

  /**
   * observeToken of the UTF-8 token in bytes[start, end). Answers the token's number when it is an int, a
   * float or a timestamp — what convertBytes makes of it as the type the column is inferred as, if that is
   * one of these — else NaN.
   */
  observeBytes(b: ArrayLike<number>, start: number, end: number): number {
    this.observed++;
    const nk = nullKind(b, start, end);
    if (nk === 1) {
      this.nulls++;
    } else if (nk === 2) {
      // Counted in a string column too: a type override may still make them nulls.
      this.missing++;
    } else if (this.kind !== 'string') {
      // The top of the lattice needs no more looks at values.
      const k = valueKind(b, start, end);
      if (k !== this.kind) this.kind = joinKinds(this.kind, k);
      if (k === 'int' || k === 'float' || k === 'timestamp') {
        this.widen(k, kindValue);
        return kindValue;
      }
    }
    return Number.NaN;
  }

  private widen(kind: 'int' | 'float' | 'timestamp', value: number): void {
    if (kind === 'timestamp') {
      if (value < this.earliest) this.earliest = value;
      if (value > this.latest) this.latest = value;
    } else {
      if (value < this.low) this.low = value;
      if (value > this.high) this.high = value;
    }
  }

  /**
   * The range of the column's values as `type` when it is the inferred numeric type (every value a text
   * token of that kind, converted as pass 2 converts it); else undefined. Values in records that later
   * fail or are dropped count too, so it may be wider than the written column's: a hint, not a fact.
   */
  range(type: ColumnType): { min: number; max: number } | undefined {
    // Ints read as floats keep their values.
    const kind = this.type();
    if (type !== kind && !(type === 'float' && kind === 'int')) return undefined;
    const [min, max] =
      type === 'int' || type === 'float'
        ? [this.low, this.high]
        : type === 'timestamp'
          ? [this.earliest, this.latest]
          : [Number.NaN, Number.NaN];
    return min <= max ? { min, max } : undefined;
  }

  observeJson(value: JsonCell): void {
    this.observed++;
    const k = classifyJson(value);
    if (k === 'null') {
      this.nulls++;
      return;
    }
    if (this.kind !== 'string') {
      if (typeof value === 'number') this.widen('float', value);
      else if (k === 'timestamp') this.widen(k, parseTimestamp(value as string) as number);
    }
    if (k !== this.kind) this.kind = joinKinds(this.kind, k);
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
