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
import { csvCell } from './csv-cells.js';
import { opener } from './sources.js';

/** CSV files with a header, a BOM sometimes, quoting where needed, blank lines here and there. */
const csvFile = fc
  .record({
    width: fc.integer({ min: 1, max: 4 }),
    rows: fc.array(fc.array(csvCell, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 25 }),
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

/** Windows-1252's characters for 0x80–0x9F (a streaming decode: see singleByteText). */
const WINDOWS_1252_HIGH = new TextDecoder('windows-1252').decode(
  Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i),
  { stream: true },
);

/** `text` in `encoding` (a single-byte file has no byte-order mark: one would make it UTF-8). */
function encode(text: string, encoding: 'utf-8' | 'latin1' | 'windows-1252'): Uint8Array {
  if (encoding === 'utf-8') return new TextEncoder().encode(text);
  const chars = [...text.replace(/^\uFEFF/, '')].map((c) => (encoding === 'latin1' && c === '€' ? 'ÿ' : c));
  return Uint8Array.from(chars, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x80 || (code >= 0xa0 && code <= 0xff)) return code;
    const high = WINDOWS_1252_HIGH.indexOf(c);
    if (encoding === 'windows-1252' && high >= 0) return 0x80 + high;
    throw new Error(`${c} is not in ${encoding}`);
  });
}

describe('CSV ranges through the parser', () => {
  it.each(['utf-8', 'latin1', 'windows-1252'] as const)(
    'infer and read in ranges give the single parse’s schema and rows, in order (%s)',
    async (encoding) => {
      await fc.assert(
        fc.asyncProperty(csvFile, fc.array(fc.nat(), { maxLength: 8 }), async (text, cuts) => {
          // Prepare
          const bytes = encode(text, encoding);
          const options = {
            csv: { header: true, delimiter: ',', quote: '"' },
            allowEmptyBatches: true,
            batchSize: 3,
            ...(encoding !== 'utf-8' && { encoding }),
          };
          const whole = await parseFile({ format: 'csv', open: opener(bytes, 5) }, options);
          const wholeRows: unknown[] = [];
          for await (const batch of whole.batches) wholeRows.push(...rowsOf(batch));
          const layout = whole.csvLayout;
          if (!layout || layout.dataStart === undefined) throw new Error('the file has a data start');
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
          if (encoding !== 'utf-8') {
            // Read in its own bytes, a single-byte file gives what the same text in UTF-8 gives.
            const utf8 = new TextEncoder().encode(new TextDecoder(encoding).decode(bytes, { stream: true }));
            const asUtf8 = await parseFile(
              { format: 'csv', open: opener(utf8) },
              { ...options, encoding: 'utf-8' },
            );
            const utf8Rows: unknown[] = [];
            for await (const batch of asUtf8.batches) utf8Rows.push(...rowsOf(batch));
            expect(whole.schema).toEqual(asUtf8.schema);
            expect(wholeRows).toEqual(utf8Rows);
          }
        }),
        { numRuns: 200 },
      );
    },
  );

  it('refuses ranges of a UTF-16 file, whose re-encoded offsets are not the file’s', async () => {
    // Prepare: "a\né\n" in UTF-16LE with its byte-order mark.
    const bytes = new Uint8Array([0xff, 0xfe, 0x61, 0, 0x0a, 0, 0xe9, 0, 0x0a, 0]);
    const whole = await parseFile({ format: 'csv', open: opener(bytes) });
    const layout = whole.csvLayout;
    if (!layout) throw new Error('a CSV parse reports its layout');

    // Act
    const act = inferCsvRange({ open: opener(bytes), start: 0, end: bytes.length, layout });

    // Assess
    expect(whole.encoding).toEqual({ name: 'utf-16le', bom: true });
    expect(layout.dataStart).toBeUndefined();
    await expect(act).rejects.toThrow(/single-byte/);
  });

  it('reads a Windows-1252 range’s text in Windows-1252, its offsets the file’s own', async () => {
    // Prepare: 0x80 is € and 0xE9 é; each is one byte of the file.
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('name,price\n'),
      0x63,
      0x61,
      0x66,
      0xe9,
      0x2c,
      0x80,
      0x35,
      0x0a,
      0x74,
      0x68,
      0xe9,
      0x2c,
      0x80,
      0x36,
      0x0a,
    ]);
    const whole = await parseFile({ format: 'csv', open: opener(bytes) }, { encoding: 'windows-1252' });
    const layout = whole.csvLayout;
    if (!layout) throw new Error('a CSV parse reports its layout');
    const second = 11 + 8;

    // Act
    const read = readCsvRange(
      { open: opener(bytes.subarray(second)), start: second, end: bytes.length, layout },
      whole.schema,
    );
    const rows: unknown[] = [];
    for await (const batch of read.batches) rows.push(...rowsOf(batch));

    // Assess
    expect(layout).toMatchObject({ dataStart: 11, singleByte: 'windows-1252' });
    expect(rows).toEqual([{ name: 'thé', price: '€6' }]);
    expect(read.nextOffset()).toBe(bytes.length);
  });
});
