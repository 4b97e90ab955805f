import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ColumnInference,
  classifyJson,
  classifyToken,
  convertCell,
  convertJson,
  convertToken,
  FAILED,
  joinKinds,
  MISSING_TOKENS,
  NULL_TOKENS,
  parseTimestamp,
} from '../../../shared/domain/parse/infer.js';

function inferTokens(tokens: string[]) {
  const column = new ColumnInference();
  for (const t of tokens) column.observeToken(t);
  const type = column.type();
  return { type, nullable: column.nullable(type, tokens.length) };
}

describe('type inference', () => {
  it.each([
    ['42', 'int'],
    ['-7', 'int'],
    ['0', 'int'],
    ['3.14', 'float'],
    ['-0.5', 'float'],
    ['.5', 'float'],
    ['1e-7', 'float'],
    ['6.02E23', 'float'],
    ['true', 'bool'],
    ['FALSE', 'bool'],
    ['2026-03-01', 'timestamp'],
    ['2026-03-01T10:15:00Z', 'timestamp'],
    ['2026-03-01 10:15:00.123456+02:00', 'timestamp'],
    ['hello', 'string'],
  ])('classifies %s as %s', (token, kind) => {
    expect(classifyToken(token)).toBe(kind);
  });

  it.each([
    ['007', 'a leading zero (an identifier)'],
    ['+4915112345678', 'a leading plus (a phone number)'],
    ['1,234', 'a thousands separator'],
    [' 42', 'surrounding space'],
    ['9007199254740993', 'an integer beyond 2^53'],
    ['1e400', 'a number that overflows'],
    ['2026-02-30', 'a date that does not exist'],
    ['2026-03-01T24:00', 'an hour out of range'],
    ['yes', 'yes/no (only true/false infer as bool)'],
  ])('keeps %s a string: %s', (token) => {
    expect(classifyToken(token)).toBe('string');
  });

  it('joins kinds on the lattice: int and float widen, unrelated kinds become string', () => {
    expect(joinKinds('int', 'float')).toBe('float');
    expect(joinKinds('null', 'bool')).toBe('bool');
    expect(joinKinds('bool', 'int')).toBe('string');
    expect(joinKinds('timestamp', 'int')).toBe('string');
    expect(joinKinds('float', 'string')).toBe('string');
  });

  it('treats null tokens as missing everywhere and NA-like tokens as missing outside string columns', () => {
    // Act
    const numbers = inferTokens(['1.5', 'NA', '2', 'NaN']);
    const countries = inferTokens(['DE', 'NA', 'FR']);
    const withEmpty = inferTokens(['DE', '', 'FR']);
    const onlyNa = inferTokens(['NA', 'NA']);
    const onlyEmpty = inferTokens(['', 'null', 'NULL', '\\N']);

    // Assess
    expect(numbers).toEqual({ type: 'float', nullable: true });
    expect(convertToken('NA', 'float')).toBeNull();
    expect(countries).toEqual({ type: 'string', nullable: false });
    expect(convertToken('NA', 'string')).toBe('NA');
    expect(withEmpty).toEqual({ type: 'string', nullable: true });
    expect(onlyNa).toEqual({ type: 'string', nullable: false });
    expect(onlyEmpty).toEqual({ type: 'string', nullable: true });
    expect(NULL_TOKENS).toContain('');
    expect(MISSING_TOKENS).toContain('NaN');
  });

  it('classifies JSON values by their JSON type; strings stay strings unless they are ISO timestamps', () => {
    expect(classifyJson(42)).toBe('int');
    expect(classifyJson(4.5)).toBe('float');
    expect(classifyJson(true)).toBe('bool');
    expect(classifyJson(null)).toBe('null');
    expect(classifyJson('42')).toBe('string');
    expect(classifyJson('2026-01-01T00:00:00Z')).toBe('timestamp');
  });

  it('reads ISO 8601 timestamps as UTC epoch ms, honouring offsets, flooring extra digits', () => {
    expect(parseTimestamp('2026-03-01')).toBe(Date.UTC(2026, 2, 1));
    expect(parseTimestamp('2026-03-01T10:15')).toBe(Date.UTC(2026, 2, 1, 10, 15));
    expect(parseTimestamp('2026-03-01T10:15:00+02:00')).toBe(Date.UTC(2026, 2, 1, 8, 15));
    expect(parseTimestamp('2026-03-01T10:15:00-0130')).toBe(Date.UTC(2026, 2, 1, 11, 45));
    expect(parseTimestamp('2024-02-29 23:59:59.9999')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    expect(parseTimestamp('1969-12-31T23:59:59.9995Z')).toBe(-1);
    expect(parseTimestamp('0001-01-01T00:00:00Z')).toBe(-62_135_596_800_000);
    expect(parseTimestamp('2023-02-29')).toBeUndefined();
    expect(parseTimestamp('2026-03-01T10:15:00+2')).toBeUndefined();
  });

  it('converts under a type override leniently, and fails values that do not fit', () => {
    expect(convertToken('007', 'int')).toBe(7);
    expect(convertToken('+3', 'float')).toBe(3);
    expect(convertToken('yes', 'bool')).toBe(true);
    expect(convertToken('1767225600000', 'timestamp')).toBe(1_767_225_600_000);
    expect(convertToken('1.5', 'int')).toBe(FAILED);
    expect(convertToken('1,234', 'float')).toBe(FAILED);
    expect(convertToken('maybe', 'bool')).toBe(FAILED);
    expect(convertJson(12, 'string')).toBe('12');
    expect(convertJson('12', 'int')).toBe(12);
    expect(convertJson(true, 'timestamp')).toBe(FAILED);
    expect(convertCell(Date.UTC(2026, 0, 1), 'string', 'timestamp')).toBe('2026-01-01T00:00:00.000Z');
    expect(convertCell(2.5, 'int')).toBe(FAILED);
  });

  it('round-trips formatted values: a column of formatted T infers T and converts back to the values', () => {
    const cases = fc.oneof(
      fc.record({
        type: fc.constant('int' as const),
        values: fc.array(fc.maxSafeInteger(), { minLength: 1 }),
      }),
      fc.record({
        type: fc.constant('float' as const),
        values: fc.array(
          fc.double({ noNaN: true, noDefaultInfinity: true }).filter((v) => !Number.isInteger(v)),
          { minLength: 1 },
        ),
      }),
      fc.record({ type: fc.constant('bool' as const), values: fc.array(fc.boolean(), { minLength: 1 }) }),
      fc.record({
        type: fc.constant('timestamp' as const),
        values: fc.array(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), {
          minLength: 1,
        }),
      }),
    );
    fc.assert(
      fc.property(cases, ({ type, values }) => {
        const tokens = values.map((v) =>
          type === 'timestamp' ? new Date(v as number).toISOString() : String(v).replace(/^-0$/, '0'),
        );
        const inferred = inferTokens(tokens);
        expect(inferred).toEqual({ type, nullable: false });
        expect(tokens.map((t) => convertToken(t, type))).toEqual(
          values.map((v) => (Object.is(v, -0) ? 0 : v)),
        );
      }),
    );
  });

  it('keeps any string token as itself in a string column, except the null tokens', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(convertToken(s, 'string')).toBe(NULL_TOKENS.includes(s) ? null : s);
      }),
    );
  });
});
