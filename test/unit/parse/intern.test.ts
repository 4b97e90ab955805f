import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StringInterner } from '../../../shared/domain/parse/intern.js';

function lookup(interner: StringInterner, bytes: Uint8Array, start: number, end: number): string {
  const cached = interner.find(bytes, start, end);
  if (cached !== undefined) return cached;
  const text = new TextDecoder().decode(bytes.subarray(start, end));
  interner.remember(text);
  return text;
}

describe('string interner', () => {
  it('always answers the text of the bytes asked, however values repeat and collide', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.constantFrom('a', 'b', 'user_1', 'user_2', 'é', ''), fc.string({ maxLength: 40 })),
          {
            maxLength: 300,
          },
        ),
        (values) => {
          // Prepare
          const interner = new StringInterner();
          const encoded = values.map((v) => new TextEncoder().encode(`,${v},`));

          // Act
          const answers = encoded.map((bytes) => lookup(interner, bytes, 1, bytes.length - 1));

          // Assess
          expect(answers).toEqual(values);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives a repeated value the same string, decoded once', () => {
    // Prepare
    const interner = new StringInterner();
    const bytes = new TextEncoder().encode('books,books');
    let decoded = 0;
    const get = (start: number, end: number): string => {
      const cached = interner.find(bytes, start, end);
      if (cached !== undefined) return cached;
      decoded++;
      const text = new TextDecoder().decode(bytes.subarray(start, end));
      interner.remember(text);
      return text;
    };

    // Act
    const first = get(0, 5);
    const second = get(6, 11);

    // Assess
    expect(second).toBe(first);
    expect(decoded).toBe(1);
  });

  it.each([
    [2, false],
    [3, true],
  ])(
    'judges its first 20,000 lookups, the last one a hit: %i repeats in 5 keep it caching: %s',
    (repeatsInFive, keeps) => {
      // Prepare: a repeated value among unique ones; lookup 20,000 (i = 19,999) is the repeated value.
      const interner = new StringInterner();
      const encoder = new TextEncoder();
      const value = (i: number) => (i % 5 >= 5 - repeatsInFive ? 'repeated' : `unique_${i}`);
      for (let i = 0; i < 20_000; i++) {
        const bytes = encoder.encode(value(i));
        lookup(interner, bytes, 0, bytes.length);
      }

      // Act
      const again = encoder.encode('repeated');
      const cached = interner.find(again, 0, again.length);

      // Assess
      expect(cached !== undefined).toBe(keeps);
    },
  );
});
