import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ColumnInference,
  type ColumnInferenceState,
  classifyBytes,
  classifyToken,
  convertBytes,
  convertToken,
  FAILED,
  parseTimestamp,
} from '../../../shared/domain/parse/infer.js';
import { COLUMN_TYPES } from '../../../shared/domain/table.js';
import * as reference from './infer-reference.js';

const digit = fc.constantFrom('0', '1', '2', '3', '5', '9');
const digits = (min: number, max: number) =>
  fc.array(digit, { minLength: min, maxLength: max }).map((d) => d.join(''));
/** Texts near the accepted forms: numbers, dates and date-times, booleans, null tokens, with random slips. */
const numberLike = fc
  .array(
    fc.constantFrom('0', '1', '7', '9', '-', '+', '.', 'e', 'E', '00', '123456789', '9007199254740993'),
    {
      maxLength: 8,
    },
  )
  .map((p) => p.join(''));
const timestampLike = fc
  .tuple(
    digits(4, 4),
    fc.constantFrom('-', '/'),
    fc.constantFrom('01', '02', '12', '13', '00', '1'),
    fc.constantFrom('-'),
    fc.constantFrom('01', '28', '29', '30', '31', '32', '1'),
    fc.option(
      fc.tuple(
        fc.constantFrom('T', 't', ' ', '_'),
        fc.constantFrom('00', '23', '24', '9'),
        fc.constantFrom(':'),
        fc.constantFrom('00', '59', '60'),
        fc.option(fc.tuple(fc.constantFrom(':', ''), fc.constantFrom('00', '59', '60', '5'))),
        fc.option(fc.tuple(fc.constantFrom('.', ',', ''), digits(0, 11))),
        fc.option(
          fc.constantFrom(
            'Z',
            'z',
            '+02:00',
            '-0130',
            '+05',
            '+2',
            '+24:00',
            '-00:60',
            '+05:3',
            '+05:',
            'X',
            '+0530',
          ),
        ),
      ),
    ),
  )
  .map(([y, s1, m, s2, d, time]) => {
    if (!time) return `${y}${s1}${m}${s2}${d}`;
    const [t, hh, c, mm, ss, frac, zone] = time;
    const seconds = ss ? `${ss[0]}${ss[1]}` : '';
    const fraction = frac && ss ? `${frac[0]}${frac[1]}` : '';
    return `${y}${s1}${m}${s2}${d}${t}${hh}${c}${mm}${seconds}${fraction}${zone ?? ''}`;
  });
const token = fc.oneof(
  numberLike,
  timestampLike,
  fc.constantFrom(
    ...reference.NULL_TOKENS,
    ...reference.MISSING_TOKENS,
    'true',
    'FALSE',
    'TrUe',
    'truex',
    'yes',
    'No',
    '1',
    '0',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);

/** The reference's FAILED is its own symbol; compare outcomes, -0 apart from 0. */
function outcome(v: unknown): unknown {
  if (v === FAILED || v === reference.REFERENCE_FAILED) return 'FAILED';
  return Object.is(v, -0) ? '-0' : v;
}

describe('token scanners', () => {
  it('classify every token as the regular expressions did, from its text and from its bytes', () => {
    fc.assert(
      fc.property(token, (t) => {
        const expected = reference.classifyToken(t);
        expect(classifyToken(t)).toBe(expected);
        const bytes = new TextEncoder().encode(`,${t},`);
        expect(classifyBytes(bytes, 1, bytes.length - 1)).toBe(expected);
      }),
      { numRuns: 20_000 },
    );
  });

  it('read the same timestamps as the regular expression, to the millisecond', () => {
    fc.assert(
      fc.property(timestampLike, (t) => {
        expect(parseTimestamp(t)).toBe(reference.parseTimestamp(t));
      }),
      { numRuns: 20_000 },
    );
  });

  it('convert every token to every type as the text rules did, from its bytes', () => {
    fc.assert(
      fc.property(token, fc.constantFrom(...COLUMN_TYPES), (t, type) => {
        const expected = outcome(reference.convertToken(t, type));
        expect(outcome(convertToken(t, type))).toBe(expected);
        const bytes = new TextEncoder().encode(`"${t}"`);
        expect(outcome(convertBytes(bytes, 1, bytes.length - 1, type))).toBe(expected);
      }),
      { numRuns: 20_000 },
    );
  });

  it('convert decimal floats of every size exactly as Number() does', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer({ min: 1, max: 17 }),
        (x, precision) => {
          const text = x.toPrecision(precision).replace('+', '');
          const bytes = new TextEncoder().encode(text);
          expect(outcome(convertBytes(bytes, 0, bytes.length, 'float'))).toBe(
            outcome(reference.convertToken(text, 'float')),
          );
        },
      ),
      { numRuns: 20_000 },
    );
  });
});

describe('column inference state', () => {
  it('merges the states of any split of the values into the state of all of them', () => {
    fc.assert(
      fc.property(
        fc.array(token, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (tokens, cuts) => {
          // Prepare
          const whole = new ColumnInference();
          for (const t of tokens) whole.observeToken(t);
          const bounds = [
            0,
            ...cuts.map((c) => c % (tokens.length + 1)).sort((a, b) => a - b),
            tokens.length,
          ];

          // Act
          const parts: ColumnInferenceState[] = [];
          for (let k = 0; k + 1 < bounds.length; k++) {
            const part = new ColumnInference();
            for (const t of tokens.slice(bounds[k], bounds[k + 1])) part.observeToken(t);
            parts.push(JSON.parse(JSON.stringify(part)) as ColumnInferenceState);
          }
          const merged = parts.reduce<ColumnInference>((acc, p) => acc.merge(p), new ColumnInference());

          // Assess
          expect(merged.toJSON()).toEqual(whole.toJSON());
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('keeps the range of a typed column through its state, merged, as its converted values span it', () => {
    // Prepare
    const ints = ['7', '-3', 'NA', '12'];
    const floats = ['2.5', '-0.5'];
    const instants = ['2026-01-02T00:00:00Z', '2025-12-31', ''];
    const observe = (tokens: string[]) => {
      const inference = new ColumnInference();
      for (const t of tokens) inference.observeToken(t);
      return inference;
    };

    // Act
    const merged = ColumnInference.fromJSON(observe(ints).toJSON()).merge(
      JSON.parse(JSON.stringify(observe(floats))) as ColumnInferenceState,
    );
    const timestamps = ColumnInference.fromJSON(JSON.parse(JSON.stringify(observe(instants))));

    // Assess
    expect(observe(ints).range('int')).toEqual({ min: -3, max: 12 });
    expect(observe(ints).range('float')).toEqual({ min: -3, max: 12 });
    expect(observe(ints).range('timestamp')).toBeUndefined();
    expect(merged.type()).toBe('float');
    expect(merged.range('float')).toEqual({ min: -3, max: 12 });
    expect(merged.range('int')).toBeUndefined();
    expect(timestamps.range('timestamp')).toEqual({
      min: Date.UTC(2025, 11, 31),
      max: Date.UTC(2026, 0, 2),
    });
    expect(observe(['1', 'x']).toJSON()).not.toHaveProperty('numbers');
  });

  it('counts missing tokens after a column became a string column, so an override can null them', () => {
    // Prepare
    const column = new ColumnInference();

    // Act
    for (const t of ['007', 'NA', '12']) column.observeToken(t);

    // Assess
    expect(column.type()).toBe('string');
    expect(column.nullable('string', 3)).toBe(false);
    expect(column.nullable('int', 3)).toBe(true);
  });
});
