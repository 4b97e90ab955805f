import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ParseOptions, parseFile } from '../../../shared/domain/parse/parse-file.js';
import { type ReadBatch, rowsOf } from '../../../shared/domain/table.js';
import { csvCell } from './csv-cells.js';
import { opener } from './sources.js';

/** CSV files with or without a header, quoting and escaped quotes where needed, blank lines, a BOM. */
const csvFile = fc
  .record({
    header: fc.boolean(),
    width: fc.integer({ min: 1, max: 4 }),
    rows: fc.array(fc.array(csvCell, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 40 }),
    ending: fc.constantFrom('\n', '\r\n', '\r'),
    bom: fc.boolean(),
    blanks: fc.array(fc.nat(40), { maxLength: 3 }),
    trailing: fc.boolean(),
  })
  .map(({ header, width, rows, ending, bom, blanks, trailing }) => {
    const quoted = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
    const lines = [
      ...(header ? [Array.from({ length: width }, (_, i) => `col_${i}`).join(',')] : []),
      ...rows.map((r) => r.slice(0, width).map(quoted).join(',')),
    ];
    for (const b of blanks) lines.splice(1 + (b % lines.length), 0, '');
    return `${bom ? '\uFEFF' : ''}${lines.join(ending)}${trailing ? ending : ''}`;
  });
/** What a dataset may ask of a parse: a dedup key, an override some values fail, an error budget. */
const parseOptions: fc.Arbitrary<ParseOptions> = fc.record(
  {
    dedupKeys: fc.constant<string[]>(['col_0']),
    typeOverrides: fc.constantFrom<ParseOptions['typeOverrides']>({ col_1: 'int' }, { col_0: 'float' }),
    maxErrorRate: fc.constant(1),
    batchSize: fc.integer({ min: 1, max: 7 }),
  },
  { requiredKeys: ['maxErrorRate', 'batchSize'] },
);

type Outcome =
  | { ok: true; schema: unknown; rows: unknown[]; metrics: unknown; opens: number; miscoded: number }
  | { ok: false; name: string; message: string };

/** Cells whose code does not name them (a code names a text; a null has none). */
function miscodedCells(batch: ReadBatch): number {
  let wrong = 0;
  batch.codes?.forEach((coded, c) => {
    const cells = batch.columns[c] as readonly unknown[];
    for (let r = 0; coded && r < batch.numRows; r++) {
      const code = coded.codes[r] as number;
      if (code >= 0 && coded.strings[code] !== cells[r]) wrong++;
      if (cells[r] === null && code !== -1) wrong++;
    }
  });
  return wrong;
}

async function parsed(bytes: Uint8Array, chunk: number, options: ParseOptions): Promise<Outcome> {
  let opens = 0;
  const open = () => {
    opens++;
    return opener(bytes, chunk)();
  };
  let miscoded = 0;
  try {
    const file = await parseFile({ format: 'csv', open }, options);
    const rows: unknown[] = [];
    for await (const batch of file.batches) {
      rows.push(...rowsOf(batch));
      miscoded += miscodedCells(batch);
    }
    const { durationMs: _, ...metrics } = file.metrics();
    return { ok: true, schema: file.schema, rows, metrics, opens, miscoded };
  } catch (error) {
    const { name, message } = error as Error;
    return { ok: false, name, message };
  }
}

describe('a CSV file held through its first pass', () => {
  it('gives the rows, schema, counts and errors of a second read, whether held whole, given up mid-way or sized wrong', async () => {
    await fc.assert(
      fc.asyncProperty(
        csvFile,
        parseOptions,
        fc.integer({ min: 1, max: 64 }),
        fc.nat(),
        async (text, options, chunk, cut) => {
          // Prepare
          const bytes = new TextEncoder().encode(text);
          const strip = ({ opens: _, ...rest }: Outcome & { opens?: number }) => rest;

          // Act
          const readTwice = await parsed(bytes, chunk, { ...options, replayBytes: 0 });
          const held = await parsed(bytes, chunk, { ...options, inputBytes: bytes.length });
          const undersized = await parsed(bytes, chunk, { ...options, inputBytes: cut % bytes.length });
          const replayBytes = 1 + (cut % Math.max(1, bytes.length - 1));
          const givenUp = await parsed(bytes, chunk, { ...options, replayBytes });

          // Assess
          expect(strip(held)).toEqual(strip(readTwice));
          expect(strip(undersized)).toEqual(strip(readTwice));
          expect(strip(givenUp)).toEqual(strip(readTwice));
          if (readTwice.ok && held.ok && givenUp.ok) {
            expect(readTwice.miscoded).toBe(0);
            expect(readTwice.opens).toBe(2);
            expect(held.opens).toBe(1);
            // What is held is the text after a byte-order mark.
            const textBytes = bytes.length - (text.startsWith('\uFEFF') ? 3 : 0);
            expect(givenUp.opens).toBe(replayBytes < textBytes ? 2 : 1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives, with the first pass’s numbers kept, the values a second read converts', async () => {
    // Cells of numeric columns as files have them: ints (big, negative, -0), floats, ints in a float
    // column, timestamps, nulls and missing tokens, and a text cell that may come late.
    const number = fc.oneof(
      fc.integer().map(String),
      fc.constantFrom('-0', '0', '9007199254740991', '123456789012345678', '1e3', '.5', '-2.25', '0.1'),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    );
    const instant = fc
      .date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString());
    const cell = (value: fc.Arbitrary<string>) =>
      fc.oneof({ weight: 8, arbitrary: value }, fc.constantFrom('', 'NA', 'null'));
    const file = fc
      .record({
        rows: fc.array(fc.tuple(cell(number), cell(instant), cell(fc.integer().map(String))), {
          minLength: 51,
          maxLength: 200,
        }),
        // A text cell in the third column at some row (after the header's sample, or never).
        textAt: fc.option(fc.nat(199)),
      })
      .map(({ rows, textAt }) => {
        const lines = rows.map(([a, b, c], r) => `${a},${b},${r === textAt ? 'text' : c}`);
        return `a,b,c\n${lines.join('\n')}\n`;
      });
    await fc.assert(
      fc.asyncProperty(
        file,
        fc.constantFrom<ParseOptions>(
          {},
          { typeOverrides: { a: 'float' } },
          { typeOverrides: { a: 'int' } },
          { typeOverrides: { b: 'int' } },
          { typeOverrides: { c: 'float' } },
        ),
        async (text, overrides) => {
          // Prepare
          const bytes = new TextEncoder().encode(text);
          const options = { ...overrides, maxErrorRate: 1, batchSize: 17 };

          // Act
          const held = await parsed(bytes, 1024, { ...options, inputBytes: bytes.length });
          const readTwice = await parsed(bytes, 1024, { ...options, replayBytes: 0 });

          // Assess: the same rows, -0 and all (toEqual tells -0 from 0).
          expect({ ...held, opens: 2 }).toEqual(readTwice);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives a Windows-1252 file’s rows as a second read of it does', async () => {
    // Prepare: 0x80 is € in Windows-1252; a quoted field holds an escaped quote and a line feed.
    const text = 'name,price\n"caf\xe9 ""x""",1\n"line\nbreak",2\n\x80uro,3\n';
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    const options = { encoding: 'windows-1252', maxErrorRate: 0 } as const;

    // Act
    const held = await parsed(bytes, 5, options);
    const readTwice = await parsed(bytes, 5, { ...options, replayBytes: 0 });

    // Assess
    expect(held).toMatchObject({
      ok: true,
      opens: 1,
      rows: [
        { name: 'café "x"', price: 1 },
        { name: 'line\nbreak', price: 2 },
        { name: '€uro', price: 3 },
      ],
    });
    expect({ ...held, opens: 2 }).toEqual(readTwice);
  });
});
