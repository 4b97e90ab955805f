import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StringDictionary } from '../../../shared/domain/parse/string-dictionary.js';

const encoder = new TextEncoder();

/** The text of bytes[start, end) through the dictionary, and its code (-1 when not numbered). */
function lookup(
  dictionary: StringDictionary,
  bytes: Uint8Array,
  start: number,
  end: number,
): { text: string; code: number } {
  const found = dictionary.find(bytes, start, end);
  if (found >= 0) return { text: dictionary.strings[found] as string, code: found };
  const text = new TextDecoder().decode(bytes.subarray(start, end));
  return { text, code: dictionary.add(text) };
}

describe('string dictionary', () => {
  it('answers the text of the bytes asked, and one code per distinct value, however values repeat', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.constantFrom('a', 'b', 'user_1', 'user_2', 'é', ''), fc.string({ maxLength: 40 })),
          { maxLength: 300 },
        ),
        (values) => {
          // Prepare
          const dictionary = new StringDictionary();
          const encoded = values.map((v) => encoder.encode(`,${v},`));

          // Act
          const answers = encoded.map((bytes) => lookup(dictionary, bytes, 1, bytes.length - 1));

          // Assess: the texts; a code names its text; equal values share a code, others differ.
          expect(answers.map((a) => a.text)).toEqual(values);
          const codeOf = new Map<string, number>();
          answers.forEach(({ text, code }, i) => {
            if ((encoded[i]?.length ?? 0) - 2 > 32) return;
            expect(code).toBeGreaterThanOrEqual(0);
            expect(dictionary.strings[code]).toBe(text);
            expect(codeOf.get(text) ?? code).toBe(code);
            codeOf.set(text, code);
          });
          expect(new Set(dictionary.strings).size).toBe(dictionary.strings.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('numbers values in first-seen order, a repeated one decoded once, past its table growing', () => {
    // Prepare: 5,000 distinct values (the table grows several times), each seen twice.
    const dictionary = new StringDictionary();
    const values = Array.from({ length: 5_000 }, (_, i) => `user_${i}`);
    let decoded = 0;
    const get = (value: string) => {
      const bytes = encoder.encode(value);
      const found = dictionary.find(bytes, 0, bytes.length);
      if (found >= 0) return found;
      decoded++;
      return dictionary.add(value);
    };

    // Act
    const first = values.map(get);
    const second = values.map(get);

    // Assess
    expect(first).toEqual(values.map((_, i) => i));
    expect(second).toEqual(first);
    expect(decoded).toBe(values.length);
    expect(dictionary.strings).toEqual(values);
  });

  it('gives no code to a value longer than 32 bytes', () => {
    // Prepare
    const dictionary = new StringDictionary();
    const long = encoder.encode('x'.repeat(33));

    // Act
    const first = lookup(dictionary, long, 0, long.length);
    const again = dictionary.find(long, 0, long.length);

    // Assess
    expect(first).toEqual({ text: 'x'.repeat(33), code: -1 });
    expect(again).toBe(-1);
  });

  it('numbers 32,768 values at most, and keeps answering those', () => {
    // Prepare: each value asked three times, so that the dictionary judges itself worth keeping.
    const dictionary = new StringDictionary();
    for (let i = 0; i < 32_768; i++)
      for (let k = 0; k < 3; k++) lookup(dictionary, encoder.encode(`v${i}`), 0, `v${i}`.length);

    // Act
    const newcomer = lookup(dictionary, encoder.encode('newcomer'), 0, 8);
    const old = encoder.encode('v123');

    // Assess
    expect(newcomer).toEqual({ text: 'newcomer', code: -1 });
    expect(dictionary.strings).toHaveLength(32_768);
    expect(dictionary.find(old, 0, old.length)).toBe(123);
  });

  it.each([
    [2, false],
    [3, true],
  ])(
    'judges its first 20,000 lookups, the last one a hit: %i repeats in 5 keep it numbering: %s',
    (repeatsInFive, keeps) => {
      // Prepare: a repeated value among unique ones; lookup 20,000 (i = 19,999) is the repeated value.
      const dictionary = new StringDictionary();
      const value = (i: number) => (i % 5 >= 5 - repeatsInFive ? 'repeated' : `unique_${i}`);
      for (let i = 0; i < 20_000; i++) {
        const bytes = encoder.encode(value(i));
        lookup(dictionary, bytes, 0, bytes.length);
      }

      // Act
      const again = encoder.encode('repeated');
      const code = dictionary.find(again, 0, again.length);

      // Assess
      expect(code >= 0).toBe(keeps);
    },
  );
});
