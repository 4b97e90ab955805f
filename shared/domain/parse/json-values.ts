/**
 * One JSON record (a JSONL line, an element of a JSON array) as ordered fields of JsonCell: nested
 * objects and arrays become their JSON text, and integer literals beyond ±(2^53 - 1) keep their digits as
 * text instead of being rounded by JSON.parse (they infer as strings, like large integers in a CSV).
 */
import type { JsonCell } from './infer.js';

export type JsonRecordResult = { ok: true; fields: [string, JsonCell][] } | { ok: false; reason: string };

// Protected literals become strings starting with U+0000 U+0001, which real text practically never does
// (JSON text can only carry them escaped).
const MARK = '\u0000\u0001int:';
const MARKED_IN_JSON = /"\\u0000\\u0001int:(-?\d+)"/g;
const TOKENS = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/g;

function isUnsafeInteger(v: number): boolean {
  return Number.isInteger(v) && !Number.isSafeInteger(v);
}

function hasUnsafeInteger(value: unknown): boolean {
  if (typeof value === 'number') return isUnsafeInteger(value);
  if (value === null || typeof value !== 'object') return false;
  for (const v of Array.isArray(value) ? value : Object.values(value)) {
    if (hasUnsafeInteger(v)) return true;
  }
  return false;
}

/** Wraps every integer literal that JSON.parse would round in a marked string. */
function protectBigIntegers(text: string): string {
  return text.replace(TOKENS, (token) => {
    if (token.startsWith('"') || /[.eE]/.test(token) || Number.isSafeInteger(Number(token))) return token;
    return `"\\u0000\\u0001int:${token}"`;
  });
}

function cell(value: unknown, marked: boolean): JsonCell {
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'string') return marked && value.startsWith(MARK) ? value.slice(MARK.length) : value;
  const text = JSON.stringify(value);
  return marked ? text.replace(MARKED_IN_JSON, '$1') : text;
}

export function parseJsonRecord(text: string): JsonRecordResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `invalid JSON (${(error as Error).message})` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      reason: `expected a JSON object, got ${Array.isArray(value) ? 'an array' : String(value)}`,
    };
  }
  let marked = false;
  if (hasUnsafeInteger(value)) {
    // Rare: parse again with the big literals protected, so their digits survive.
    value = JSON.parse(protectBigIntegers(text)) as object;
    marked = true;
  }
  const fields: [string, JsonCell][] = [];
  for (const [key, v] of Object.entries(value as object)) fields.push([key, cell(v, marked)]);
  return { ok: true, fields };
}
