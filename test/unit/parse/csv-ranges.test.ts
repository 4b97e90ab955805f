import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tokenizeCsv } from '../../../shared/domain/parse/csv-tokenizer.js';
import { ColumnInference, type ColumnInferenceState } from '../../../shared/domain/parse/infer.js';
import { MAX_RECORD_CHARS } from '../../../shared/domain/parse/jsonl.js';
import {
  type CsvRangeInference,
  inferCsvRange,
  parseFile,
  readCsvRange,
} from '../../../shared/domain/parse/parse-file.js';
import { rowsOf } from '../../../shared/domain/table.js';
import { opener } from './sources.js';

const cell = fc.constantFrom(
  '1',
  '-2',
  '3.5',
  '',
  'NA',
  'true',
  '2026-01-31',
  '2026-01-31T10:00Z',
  'x',
  'a,b',
  'q"q',
  'l\nl',
  'é',
);
/** CSV files with a header, a BOM sometimes, quoting where needed, blank lines here and there. */
const csvFile = fc
  .record({
    width: fc.integer({ min: 1, max: 4 }),
    rows: fc.array(fc.array(cell, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 25 }),
    ending: fc.constantFrom('\n', '\r\n'),
    bom: fc.boolean(),
    blanks: fc.array(fc.nat(30), { maxLength: 3 }),
  })
  .map(({ width, rows, ending, bom, blanks }) => {
    const quoted = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
    const lines = [
      Array.from({ length: width }, (_, i) => `col_${i}`).join(','),
      ...rows.map((r) => r.slice(0, width).map(quoted).join(',')),
    ];
    for (const b of blanks) lines.splice(1 + (b % lines.length), 0, '');
    return `${bom ? '\uFEFF' : ''}${lines.join(ending)}${ending}`;
  });

describe('CSV byte ranges', () => {
  it('read with the whole parse’s layout, any split of the data gives its records, counts and schema', async () => {
    await fc.assert(
      fc.asyncProperty(csvFile, fc.array(fc.nat(), { maxLength: 8 }), async (text, cuts) => {
        // Prepare
        const bytes = new TextEncoder().encode(text);
        const whole = await parseFile(
          { format: 'csv', open: opener(bytes) },
          { csv: { header: true, delimiter: ',', quote: '"' }, allowEmptyBatches: true },
        );
        const layout = whole.csvLayout;
        if (!layout || layout.dataStart === undefined) throw new Error('a UTF-8 file has a data start');
        const dataStart = layout.dataStart;
        const ends = [...new Set(cuts.map((c) => dataStart + (c % (bytes.length - dataStart + 1))))]
          .sort((a, b) => a - b)
          .concat(bytes.length);

        // Act
        const states: ColumnInferenceState[][] = [];
        let records = 0;
        let start = dataStart;
        for (const end of ends) {
          if (end < start) continue;
          const inference = Array.from({ length: layout.width }, () => new ColumnInference());
          const range = await tokenizeCsv(
            opener(bytes.subarray(start), 7)(),
            {
              delimiter: layout.delimiter,
              quote: layout.quote,
              width: layout.width,
              maxRecordChars: MAX_RECORD_CHARS,
              end: end - start,
              ...(layout.lineEnding && { lineEnding: layout.lineEnding }),
            },
            (r) => {
              records++;
              for (let i = 0; i < r.fieldCount; i++)
                inference[i]?.observeBytes(r.bytes, r.starts[i] ?? 0, r.ends[i] ?? 0);
            },
          );
          // Each range's state crosses a process boundary as JSON.
          states.push(JSON.parse(JSON.stringify(inference)) as ColumnInferenceState[]);
          start += range.nextOffset;
        }
        const merged = Array.from({ length: layout.width }, (_, i) =>
          states.reduce((acc, s) => acc.merge(s[i] as ColumnInferenceState), new ColumnInference()),
        );

        // Assess
        expect(records).toBe(whole.metrics().recordsRead);
        expect(
          merged.map((m) => {
            const type = m.type();
            return { type, nullable: m.nullable(type, records) };
          }),
        ).toEqual(whole.schema.columns.map((c) => ({ type: c.type, nullable: c.nullable })));
      }),
      { numRuns: 500 },
    );
  });
});

describe('CSV ranges through the parser', () => {
  it('infer and read in ranges give the single parse’s schema and rows, in order', async () => {
    await fc.assert(
      fc.asyncProperty(csvFile, fc.array(fc.nat(), { maxLength: 8 }), async (text, cuts) => {
        // Prepare
        const bytes = new TextEncoder().encode(text);
        const options = {
          csv: { header: true, delimiter: ',', quote: '"' },
          allowEmptyBatches: true,
          batchSize: 3,
        };
        const whole = await parseFile({ format: 'csv', open: opener(bytes) }, options);
        const wholeRows: unknown[] = [];
        for await (const batch of whole.batches) wholeRows.push(...rowsOf(batch));
        const layout = whole.csvLayout;
        if (!layout || layout.dataStart === undefined) throw new Error('a UTF-8 file has a data start');
        const dataStart = layout.dataStart;
        const ends = [...new Set(cuts.map((c) => dataStart + (c % (bytes.length - dataStart + 1))))]
          .sort((a, b) => a - b)
          .concat(bytes.length);
        const rangeAt = (start: number, end: number) => ({
          open: opener(bytes.subarray(start), 5),
          start,
          end,
          layout,
        });

        // Act: pass 1 per range (as chunks would, in parallel), merge, then pass 2 per range.
        const starts: number[] = [];
        const inferred: (CsvRangeInference & { end: number })[] = [];
        let start = dataStart;
        for (const end of ends) {
          if (end < start) continue;
          const part = await inferCsvRange(rangeAt(start, end));
          starts.push(start);
          inferred.push({ ...part, end });
          start = part.nextOffset;
        }
        const merged = Array.from({ length: layout.width }, (_, i) =>
          inferred.reduce(
            (acc, p) => acc.merge(p.inference[i] as ColumnInferenceState),
            new ColumnInference(),
          ),
        );
        const records = inferred.reduce((n, p) => n + p.records, 0);
        const schema = {
          columns: merged.map((m, i) => {
            const type = m.type();
            return { name: whole.schema.columns[i]?.name ?? '', type, nullable: m.nullable(type, records) };
          }),
        };
        const rows: unknown[] = [];
        for (const [k, part] of inferred.entries()) {
          const read = readCsvRange(rangeAt(starts[k] ?? 0, part.end), schema, { batchSize: 2 });
          for await (const batch of read.batches) rows.push(...rowsOf(batch));
          expect(read.nextOffset()).toBe(part.nextOffset);
        }

        // Assess
        expect(schema).toEqual(whole.schema);
        expect(rows).toEqual(wholeRows);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses ranges of a file that is not UTF-8', async () => {
    // Prepare
    const bytes = new Uint8Array([0x61, 0x0a, 0xe9, 0x0a]);
    const whole = await parseFile({ format: 'csv', open: opener(bytes) }, { encoding: 'latin1' });
    const layout = whole.csvLayout;
    if (!layout) throw new Error('a CSV parse reports its layout');

    // Act
    const act = inferCsvRange({ open: opener(bytes), start: 0, end: 4, layout });

    // Assess
    expect(layout.dataStart).toBeUndefined();
    await expect(act).rejects.toThrow(/UTF-8/);
  });
});
