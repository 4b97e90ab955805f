import fc from 'fast-check';

/**
 * CSV cell texts around what a parse decides on: numbers, nulls, booleans, timestamps, delimiters, quotes
 * and escaped quotes, line feeds inside a field, non-ASCII text, a repeated code. '€' is 0x80 in
 * Windows-1252, a character Latin-1 cannot hold (files in Latin-1 get 'ÿ' instead).
 */
export const csvCell = fc.constantFrom(
  '1',
  '-2',
  '3.5',
  '',
  'NA',
  'true',
  '2026-01-31',
  '2026-01-31T10:00Z',
  'x',
  'a,b',
  'q"q',
  '""',
  'l\nl',
  'é',
  '€',
  'user_01',
);
