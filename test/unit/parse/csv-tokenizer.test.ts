import { CsvError } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CsvTokenizer,
  type CsvTokenizerOptions,
  type LineEnding,
  tokenizeCsv,
} from '../../../shared/domain/parse/csv-tokenizer.js';
import { ParseError } from '../../../shared/errors.js';

type Outcome = { records: string[][] } | { error: { reason: string; line: number | undefined } };

/** csv-parse as the parser configured it before the byte tokenizer, with its errors mapped the same way. */
function oracle(text: string, delimiter: string, quote: string, maxRecordChars: number): Outcome {
  try {
    const records = parse(text, {
      delimiter,
      quote,
      escape: quote,
      bom: false,
      relax_quotes: true,
      skip_empty_lines: true,
      max_record_size: maxRecordChars,
    }) as string[][];
    return { records };
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = typeof error.lines === 'number' ? error.lines : undefined;
    const counts = /expect (\d+), got (\d+)/.exec(error.message);
    const reason =
      error.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' && counts
        ? `ragged row: ${counts[2]} fields where the first row has ${counts[1]}`
        : error.message.replace(/ (on|at) line \d+$/, '');
    return { error: { reason, line } };
  }
}

async function* chunked(bytes: Uint8Array, cuts: number[]): AsyncIterable<Uint8Array> {
  let at = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    yield bytes.subarray(at, cut);
    at = cut;
  }
  yield bytes.subarray(at);
}

async function tokenized(
  bytes: Uint8Array,
  cuts: number[],
  options: CsvTokenizerOptions,
): Promise<Outcome & { nextOffset?: number; offsets?: number[]; lineEnding?: LineEnding }> {
  const records: string[][] = [];
  const offsets: number[] = [];
  try {
    const tokenizer = await tokenizeCsv(chunked(bytes, cuts), options, (r) => {
      records.push(Array.from({ length: r.fieldCount }, (_, i) => r.text(i)));
      offsets.push(r.recordOffset);
    });
    const lineEnding = tokenizer.lineEnding;
    return { records, nextOffset: tokenizer.nextOffset, offsets, ...(lineEnding && { lineEnding }) };
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    return { error: { reason: error.reason, line: error.line } };
  }
}

const PIECES = ['a', 'b', 'xy', ',', ';', '"', "'", '""', '\n', '\r', '\r\n', ' ', 'é', '😀', '\0', '1'];
const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((p) => p.join(''));
/** Texts that mostly read: rows of a fixed width, fields sometimes quoted (with escapes and newlines). */
const wellFormed = fc
  .record({
    width: fc.integer({ min: 1, max: 4 }),
    rows: fc.integer({ min: 0, max: 8 }),
    ending: fc.constantFrom('\n', '\r\n', '\r'),
    fields: fc.array(fc.array(fc.constantFrom('a', 'b,c', 'd"e', '\n', 'é', ' ', '😀'), { maxLength: 3 }), {
      minLength: 32,
      maxLength: 32,
    }),
    quoted: fc.array(fc.boolean(), { minLength: 32, maxLength: 32 }),
    extra: fc.constantFrom('', '\n', '\n\n', 'x'),
  })
  .map(({ width, rows, ending, fields, quoted, extra }) => {
    let out = '';
    let k = 0;
    for (let r = 0; r < rows; r++) {
      const cells: string[] = [];
      for (let c = 0; c < width; c++, k++) {
        const value = (fields[k % 32] ?? []).join('');
        cells.push(quoted[k % 32] ? `"${value.replaceAll('"', '""')}"` : value.replace(/[\n,"]/g, ''));
      }
      out += cells.join(',') + ending;
    }
    return out + extra;
  });

describe('CSV tokenizer', () => {
  it('reads the same records, or fails with the same error and line, as csv-parse, however the bytes are cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(text, wellFormed),
        fc.constantFrom(',', ';'),
        fc.constantFrom('"', "'"),
        fc.oneof(fc.constant(1_000_000), fc.integer({ min: 1, max: 30 })),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (input, delimiter, quote, maxRecordChars, cuts) => {
          // Prepare
          const bytes = new TextEncoder().encode(input);
          const expected = oracle(input, delimiter, quote, maxRecordChars);

          // Act
          const actual = await tokenized(bytes, cuts, { delimiter, quote, maxRecordChars });

          // Assess
          if ('error' in expected) expect(actual).toMatchObject({ error: expected.error });
          else expect(actual).toMatchObject({ records: expected.records });
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('retains every record’s spans over the bytes pushed, or gives them up past its limits, records unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(
        wellFormed,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.record({
          maxBytes: fc.integer({ min: 1, max: 400 }),
          maxFields: fc.integer({ min: 1, max: 400 }),
          expectedBytes: fc.integer({ min: 0, max: 400 }),
        }),
        async (input, cuts, retain) => {
          // Prepare
          const bytes = new TextEncoder().encode(input);
          const options = { delimiter: ',', quote: '"', maxRecordChars: 1e6 };
          const expected = await tokenized(bytes, cuts, options);
          if (!('records' in expected)) return;
          const seen: string[][] = [];
          let fields = 0;

          // Act
          const tokenizer = new CsvTokenizer({ ...options, retain }, (r) => {
            seen.push(Array.from({ length: r.fieldCount }, (_, i) => r.text(i)));
            fields += r.fieldCount;
          });
          for await (const chunk of chunked(bytes, cuts)) tokenizer.push(chunk);
          tokenizer.finish();
          const kept = tokenizer.retained;

          // Assess: the callback saw the records as ever; what is kept reads them again, when it is within
          // the limits, and nothing is kept past them.
          expect(seen).toEqual(expected.records);
          // (Spans are held in arrays of 64 at first, doubled as needed: the limit applies to the doubling.)
          if (bytes.length <= retain.maxBytes && fields <= 64) expect(kept).toBeDefined();
          if (bytes.length > retain.maxBytes || fields > Math.max(64, retain.maxFields)) {
            expect(kept).toBeUndefined();
          }
          if (kept) {
            const width = seen[0]?.length ?? 0;
            const again: string[][] = [];
            for (let at = 0; at < kept.fields; at += width) {
              again.push(
                Array.from({ length: width }, (_, i) =>
                  kept.bytes.toString('utf8', kept.starts[at + i], kept.ends[at + i]),
                ),
              );
            }
            expect(again).toEqual(seen);
            expect(kept.starts.length).toBeLessThanOrEqual(Math.max(64, retain.maxFields));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['denser', 'sparser'],
    ['sparser', 'denser'],
  ])(
    'keeps every span of an input of known size whose first records are %s in fields than the rest',
    async (first) => {
      // Prepare: 100 KB, more than the first buffer; the first records set the spans' size estimate.
      const short = (i: number) => `${i % 10},${i % 7},${i % 3}`;
      const long = (i: number) => `${'x'.repeat(120)}${i},${'y'.repeat(60)},${i % 3}`;
      const lines = Array.from({ length: 2_000 }, (_, i) =>
        i < 300 === (first === 'denser') ? short(i) : long(i),
      );
      const bytes = new TextEncoder().encode(`${lines.join('\n')}\n`);
      const retain = { maxBytes: 1 << 20, maxFields: 1 << 20, expectedBytes: bytes.length };

      // Act
      const tokenizer = new CsvTokenizer(
        { delimiter: ',', quote: '"', maxRecordChars: 1e6, retain },
        () => {},
      );
      for await (const chunk of chunked(bytes, [4_096, 50_000])) tokenizer.push(chunk);
      tokenizer.finish();
      const kept = tokenizer.retained;

      // Assess
      expect(kept?.fields).toBe(3 * lines.length);
      const again = Array.from({ length: lines.length }, (_, r) =>
        [0, 1, 2]
          .map((i) => kept?.bytes.toString('utf8', kept.starts[3 * r + i], kept.ends[3 * r + i]))
          .join(','),
      );
      expect(again).toEqual(lines);
    },
  );

  it('splits a file at any byte ranges into the records of the whole, each read once', async () => {
    await fc.assert(
      fc.asyncProperty(wellFormed, fc.array(fc.nat(), { maxLength: 5 }), async (input, cutsAt) => {
        // Prepare
        const bytes = new TextEncoder().encode(input);
        const whole = await tokenized(bytes, [], { delimiter: ',', quote: '"', maxRecordChars: 1e6 });
        if (!('records' in whole)) return;
        const ends = [...new Set(cutsAt.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);

        // Act
        const records: string[][] = [];
        const starts: number[] = [];
        let start = 0;
        for (const end of [...ends, bytes.length]) {
          if (end <= start && end !== bytes.length) continue;
          const range = await tokenized(bytes.subarray(start), [], {
            delimiter: ',',
            quote: '"',
            maxRecordChars: 1e6,
            // What the whole file decided is given to every range after the first.
            ...(start > 0 && whole.records[0] ? { width: whole.records[0].length } : {}),
            ...(start > 0 && whole.lineEnding ? { lineEnding: whole.lineEnding } : {}),
            end: end - start,
          });
          if (!('records' in range)) throw new Error('a range failed where the whole read');
          records.push(...range.records);
          start += range.nextOffset ?? 0;
          starts.push(start);
          if (start >= bytes.length) break;
        }

        // Assess
        expect(records).toEqual(whole.records);
        // Every range after the first starts where one of the whole file's records starts (or at its end).
        for (const s of starts) expect([...(whole.offsets ?? []), bytes.length]).toContain(s);
      }),
      { numRuns: 1000 },
    );
  });

  it('reports where each record starts and where the next range starts, past blank lines', async () => {
    // Prepare
    const bytes = new TextEncoder().encode('a,b\n"x\ny",2\n\n3,4\n5,6');

    // Act
    const first = await tokenized(bytes, [2, 9], { delimiter: ',', quote: '"', maxRecordChars: 1e6, end: 5 });
    const rest = await tokenized(bytes.subarray(first.nextOffset), [], {
      delimiter: ',',
      quote: '"',
      maxRecordChars: 1e6,
      width: 2,
      lineEnding: 'lf',
    });

    // Assess
    expect(first).toMatchObject({
      records: [
        ['a', 'b'],
        ['x\ny', '2'],
      ],
      offsets: [0, 4],
      nextOffset: 13,
    });
    expect(rest).toMatchObject({
      records: [
        ['3', '4'],
        ['5', '6'],
      ],
      offsets: [0, 4],
    });
  });
});
