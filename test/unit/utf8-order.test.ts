import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareUtf8 } from '../../shared/formats/parquet-write.js';

// Code units around the places where UTF-16 order and code point order part: surrogates (paired and
// lone, high and low) against U+E000..U+FFFF, and plain BMP text.
const unit = fc.constantFrom(
  'a',
  'z',
  '\u00e9',
  '\ud7ff',
  '\ue000',
  '\uffff',
  '\ud83d',
  '\ude00',
  '\udbff',
  '\udfff',
);
const text = fc.array(unit, { maxLength: 8 }).map((units) => units.join(''));

describe('UTF-8 order of strings', () => {
  it('orders any two strings as their UTF-8 bytes (lone surrogates as U+FFFD, as written)', () => {
    fc.assert(
      fc.property(text, text, (left, right) => {
        // Act
        const ours = Math.sign(compareUtf8(left, right));

        // Assess
        expect(ours).toBe(Math.sign(Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'))));
      }),
      { numRuns: 5000 },
    );
  });
});
