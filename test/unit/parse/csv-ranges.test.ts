import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tokenizeCsv } from '../../../shared/domain/parse/csv-tokenizer.js';
import { ColumnInference, type ColumnInferenceState } from '../../../shared/domain/parse/infer.js';
import { MAX_RECORD_CHARS } from '../../../shared/domain/parse/jsonl.js';
import { parseFile } from '../../../shared/domain/parse/parse-file.js';
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
