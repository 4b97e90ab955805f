import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeText, decodeUtf8, TEXT_ENCODINGS } from '../../../shared/domain/parse/encoding.js';
import { EncodingError } from '../../../shared/errors.js';

async function* chunked(bytes: Uint8Array, cuts: number[]): AsyncIterable<Uint8Array> {
  let at = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    yield bytes.subarray(at, cut);
    at = cut;
  }
  yield bytes.subarray(at);
}

type Outcome =
  | { text: string; encoding: unknown }
  | { error: { message: string; line: number; offset: number } };

async function settle(read: () => Promise<{ text: string; encoding: unknown }>): Promise<Outcome> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof EncodingError)) throw error;
    return { error: { message: error.message, line: error.line, offset: error.offset } };
  }
}

/** Mostly valid UTF-8 with byte-order marks, line feeds and stray or cut bytes sprinkled in. */
const bytes = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        [0xef, 0xbb, 0xbf],
        [0xff, 0xfe],
        [0xfe, 0xff],
        [0x0a],
        [0x80],
        [0xc3],
        [0xe2, 0x82],
        [0xed, 0xa0, 0x80],
      ),
      fc.string({ unit: 'grapheme', maxLength: 4 }).map((s) => [...new TextEncoder().encode(s)]),
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 3 }),
    ),
    { maxLength: 20 },
  )
  .map((parts) => new Uint8Array(parts.flat()));

describe('UTF-8 bytes', () => {
  it('pass on the text decodeText reads, or fail with its error, line and offset, however the bytes are cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        bytes,
        fc.option(fc.constantFrom(...TEXT_ENCODINGS), { nil: undefined }),
        fc.array(fc.nat(), { maxLength: 5 }),
        async (input, encoding, cuts) => {
          // Prepare
          const expected = await settle(async () => {
            const decoded = decodeText(chunked(input, cuts), encoding);
            let text = '';
            for await (const piece of decoded.text) text += piece;
            return { text, encoding: decoded.encoding };
          });

          // Act
          const actual = await settle(async () => {
            const decoded = decodeUtf8(chunked(input, cuts), encoding);
            const parts: Uint8Array[] = [];
            for await (const chunk of decoded.bytes) parts.push(chunk);
            return { text: Buffer.concat(parts).toString('utf8'), encoding: decoded.encoding };
          });

          // Assess
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
