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
});
