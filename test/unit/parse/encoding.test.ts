import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeText,
  firstInvalidUtf8,
  TEXT_ENCODINGS,
  type TextEncoding,
} from '../../../shared/domain/parse/encoding.js';
import { parseFile, type TextFormat } from '../../../shared/domain/parse/parse-file.js';
import { type CellValue, rowsOf } from '../../../shared/domain/table.js';
import { EncodingError } from '../../../shared/errors.js';
import { opener } from './sources.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

function bytes(...parts: (string | number[])[]): Uint8Array {
  return new Uint8Array(
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? utf8(p) : Uint8Array.from(p)))),
  );
}

function utf16(text: string, le: boolean, bom = true): Uint8Array {
  const units = Buffer.from(text, 'utf16le');
  if (!le) units.swap16();
  return new Uint8Array(Buffer.concat([Buffer.from(bom ? (le ? [0xff, 0xfe] : [0xfe, 0xff]) : []), units]));
}

/** Splits `data` at `cuts` (positions, any order, duplicates allowed). */
async function* split(data: Uint8Array, cuts: readonly number[]): AsyncIterable<Uint8Array> {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  let start = 0;
  for (const p of [...points, data.length]) {
    yield data.subarray(start, p);
    start = p;
  }
}

async function textOf(source: AsyncIterable<Uint8Array>, encoding?: TextEncoding) {
  const decoded = decodeText(source, encoding);
  let text = '';
  for await (const piece of decoded.text) text += piece;
  return { text, encoding: decoded.encoding };
}

async function parse(
  format: TextFormat,
  data: Uint8Array,
  options: { encoding?: TextEncoding; chunkSize?: number } = {},
) {
  const parsed = await parseFile(
    { format, open: opener(data, options.chunkSize) },
    options.encoding ? { encoding: options.encoding } : {},
  );
  const rows: Record<string, CellValue>[] = [];
  for await (const batch of parsed.batches) rows.push(...rowsOf(batch));
  return { parsed, rows };
}

/** The same two records in each text format. */
const DOCUMENTS: Record<TextFormat, string> = {
  csv: 'city,n\ncafé Zürich 😀,1\nnaïve,2\n',
  jsonl: '{"city":"café Zürich 😀","n":1}\n{"city":"naïve","n":2}\n',
  json: '[{"city":"café Zürich 😀","n":1},\n {"city":"naïve","n":2}]\n',
};
const ROWS = [
  { city: 'café Zürich 😀', n: 1 },
  { city: 'naïve', n: 2 },
];
const FORMATS = Object.keys(DOCUMENTS) as TextFormat[];

/** Any Unicode text (no lone surrogates: they are not text), weighted towards 1-, 2-, 3- and 4-byte UTF-8. */
const unicodeText = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 0x7f }),
      fc.integer({ min: 0x80, max: 0x7ff }),
      fc.integer({ min: 0x800, max: 0xd7ff }),
      fc.integer({ min: 0xe000, max: 0xffff }),
      fc.integer({ min: 0x10000, max: 0x10ffff }),
    ),
    { maxLength: 60 },
  )
  .map((codePoints) => String.fromCodePoint(...codePoints));

describe('text encodings', () => {
  it.each(FORMATS)('reads valid UTF-8 without a byte-order mark as UTF-8 (%s)', async (format) => {
    // Act
    const { parsed, rows } = await parse(format, utf8(DOCUMENTS[format]), { chunkSize: 3 });

    // Assess
    expect(rows).toEqual(ROWS);
    expect(parsed.encoding).toEqual({ name: 'utf-8', bom: false });
  });

  it.each(FORMATS)('drops a UTF-8 byte-order mark and records it (%s)', async (format) => {
    // Act
    const { parsed, rows } = await parse(format, bytes([0xef, 0xbb, 0xbf], DOCUMENTS[format]), {
      chunkSize: 1,
    });

    // Assess
    expect(parsed.schema.columns.map((c) => c.name)).toEqual(['city', 'n']);
    expect(rows).toEqual(ROWS);
    expect(parsed.encoding).toEqual({ name: 'utf-8', bom: true });
  });

  it.each(
    FORMATS.flatMap((format) => [
      [format, 'utf-16le'],
      [format, 'utf-16be'],
    ]),
  )('decodes %s in %s by its byte-order mark', async (format, name) => {
    // Prepare
    const data = utf16(DOCUMENTS[format as TextFormat], name === 'utf-16le');

    // Act
    const { parsed, rows } = await parse(format as TextFormat, data, { chunkSize: 3 });

    // Assess
    expect(rows).toEqual(ROWS);
    expect(parsed.encoding).toEqual({ name, bom: true });
  });

  it.each(FORMATS)(
    'refuses invalid UTF-8 instead of replacing it, naming the line and byte offset (%s)',
    async (format) => {
      // Prepare: the first "é" as Windows-1252 writes it (0xE9).
      const [before, after] = DOCUMENTS[format].split('é');
      const data = bytes(before as string, [0xe9], after as string);
      const offset = utf8(before as string).length;
      const line = (before as string).split('\n').length;

      // Act
      const results = await Promise.allSettled(
        [1, 2, 5, 64 * 1024].map((chunkSize) => parse(format, data, { chunkSize })),
      );

      // Assess
      for (const result of results) {
        expect(result.status).toBe('rejected');
        const error = (result as PromiseRejectedResult).reason;
        expect(error).toBeInstanceOf(EncodingError);
        expect(error).toMatchObject({ name: 'EncodingError', encoding: 'utf-8', line, offset });
        expect(error.message).toContain(`line ${line}, byte offset ${offset}`);
        expect(error.message).toContain('byte 0xE9');
        expect(error.message).toContain('"encoding"');
      }
    },
  );

  it('refuses an invalid byte at the very end of the file (a cut character)', async () => {
    // Act
    const act = parse('csv', bytes('name\ncaf', [0xe9]));

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'EncodingError', line: 2, offset: 8 });
  });

  it.each([
    ['windows-1252', 'café', '€ 5'],
    ['latin1', 'café', '\u0080 5'],
  ] as const)('decodes %s only when the dataset config names it', async (encoding, word, price) => {
    // Prepare: 0xE9 is é in both; 0x80 is € in Windows-1252 and a C1 control in ISO-8859-1.
    const data = bytes('name,price\ncaf', [0xe9], ',', [0x80], ' 5\n');

    // Act
    const { parsed, rows } = await parse('csv', data, { encoding, chunkSize: 2 });

    // Assess
    expect(rows).toEqual([{ name: word, price }]);
    expect(parsed.encoding).toEqual({ name: encoding, bom: false });
  });

  it('refuses a byte-order mark that contradicts the configured encoding', async () => {
    // Act
    const act = parse('csv', bytes([0xef, 0xbb, 0xbf], 'a,b\n1,2\n'), { encoding: 'windows-1252' });

    // Assess
    await expect(act).rejects.toThrow(EncodingError);
    await expect(act).rejects.toMatchObject({
      line: 1,
      offset: 0,
      message: expect.stringMatching(/utf-8 byte-order mark/),
    });
  });

  it('forces a configured UTF-16 encoding on a file without a byte-order mark', async () => {
    // Act
    const { rows, parsed } = await parse('jsonl', utf16(DOCUMENTS.jsonl, true, false), {
      encoding: 'utf-16le',
    });

    // Assess
    expect(rows).toEqual(ROWS);
    expect(parsed.encoding).toEqual({ name: 'utf-16le', bom: false });
  });

  it('refuses an unpaired surrogate or an odd byte count in UTF-16, with its offset', async () => {
    // Prepare: BOM, "a\n", a lone high surrogate, "b".
    const lone = bytes([0xff, 0xfe], [0x61, 0x00, 0x0a, 0x00, 0x00, 0xd8, 0x62, 0x00]);
    const odd = bytes([0xff, 0xfe], [0x61, 0x00, 0x62]);

    // Act
    const loneText = textOf(opener(lone, 1)());
    const oddText = textOf(opener(odd, 1)());

    // Assess
    await expect(loneText).rejects.toMatchObject({ name: 'EncodingError', line: 2, offset: 6 });
    await expect(oddText).rejects.toMatchObject({ name: 'EncodingError', line: 1, offset: 4 });
  });

  it('keeps a U+FEFF that follows the byte-order mark: it is the text, not the mark', async () => {
    // Act
    const { text } = await textOf(opener(bytes([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], 'a'))());

    // Assess
    expect(text).toBe('\uFEFFa');
  });

  it('decodes any Unicode text identically however its bytes are chunked', async () => {
    const encodings = fc.constantFrom<'utf-8' | 'utf-16le' | 'utf-16be'>('utf-8', 'utf-16le', 'utf-16be');
    await fc.assert(
      fc.asyncProperty(
        unicodeText,
        fc.array(fc.nat(), { maxLength: 12 }),
        encodings,
        async (text, cuts, encoding) => {
          // A leading U+FEFF would read as a byte-order mark; "a" keeps it text.
          const body = `a${text}`;
          const data = encoding === 'utf-8' ? utf8(body) : utf16(body, encoding === 'utf-16le');
          const decoded = await textOf(split(data, cuts));
          expect(decoded.text).toBe(body);
          expect(decoded.encoding).toEqual({ name: encoding, bom: encoding !== 'utf-8' });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds the same first invalid byte however the bytes are chunked, after a valid prefix', async () => {
    // Bytes near the UTF-8 boundaries make invalid sequences likely.
    const byte = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(0x0a, 0x80, 0xbf, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xa0, 0x9f),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(byte, { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (raw, cuts) => {
          const data = Uint8Array.from([0x61, ...raw]);
          const outcome = (error: unknown) => {
            const { name, message, line, offset } = error as EncodingError;
            return { name, message, line, offset };
          };
          const whole = await textOf(split(data, [])).catch(outcome);
          const chunked = await textOf(split(data, cuts)).catch(outcome);
          expect(chunked).toEqual(whole);
          if ('offset' in whole) {
            const prefix = data.subarray(0, whole.offset);
            const valid = new TextDecoder('utf-8', { fatal: true }).decode(prefix);
            expect(whole.line).toBe(valid.split('\n').length);
            expect(() => new TextDecoder('utf-8', { fatal: true }).decode(data)).toThrow();
          } else {
            expect((whole as { text: string }).text).toBe(
              new TextDecoder('utf-8', { fatal: true }).decode(data),
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('locates invalid UTF-8 by the rules TextDecoder applies (overlong forms, surrogates, > U+10FFFF)', () => {
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0xc0, 0x80]))).toBe(1); // overlong NUL
    expect(firstInvalidUtf8(Uint8Array.from([0xe0, 0x80, 0x80]))).toBe(0); // overlong
    expect(firstInvalidUtf8(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe(0); // UTF-16 surrogate
    expect(firstInvalidUtf8(Uint8Array.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // beyond U+10FFFF
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0xe2, 0x82]))).toBe(-1); // cut: the next chunk may finish it
    expect(firstInvalidUtf8(utf8('€😀é'))).toBe(-1);
  });

  it('lists the encodings a dataset config may name', () => {
    expect(TEXT_ENCODINGS).toEqual(['utf-8', 'utf-16le', 'utf-16be', 'latin1', 'windows-1252']);
  });
});
