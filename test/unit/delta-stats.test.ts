import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareStats,
  type FileStats,
  fileStats,
  parseStats,
  serializeStats,
} from '../../shared/domain/delta/stats.js';
import { batchFromRows, type CellValue, type TableSchema } from '../../shared/domain/table.js';
import { openParquet, writeParquet } from '../../shared/formats/parquet.js';

/** Writes rows with strata's Parquet writer and opens the footer, as the version stage will. */
async function footerOf(schema: TableSchema, rows: Record<string, CellValue>[], rowGroupSize: number) {
  const chunks: Uint8Array[] = [];
  async function* batches() {
    yield batchFromRows(schema, rows);
  }
  await writeParquet(schema, batches(), async (c) => void chunks.push(c), { rowGroupSize });
  const bytes = Buffer.concat(chunks);
  return openParquet({ size: bytes.byteLength, read: async (s, e) => new Uint8Array(bytes.subarray(s, e)) });
}

const schema: TableSchema = {
  columns: [
    { name: 'i', type: 'int', nullable: true },
    { name: 'f', type: 'float', nullable: true },
    { name: 'b', type: 'bool', nullable: true },
    { name: 's', type: 'string', nullable: true },
    { name: 't', type: 'timestamp', nullable: true },
  ],
};

const row = fc.record({
  i: fc.option(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), { nil: null }),
  f: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
  b: fc.option(fc.boolean(), { nil: null }),
  // Short strings: strata's writer cuts longer bounds to 64 bytes.
  s: fc.option(fc.string({ maxLength: 8, unit: 'binary' }), { nil: null }),
  t: fc.option(fc.integer({ min: Date.UTC(-50, 0, 1), max: Date.UTC(9999, 11, 31) }), { nil: null }),
});

const YEAR_0 = Date.parse('0000-01-01T00:00:00.000Z');

/** What the statistics must say, computed from the rows themselves. */
function expected(rows: Record<string, CellValue>[]): FileStats {
  const stats: FileStats = { numRecords: rows.length, minValues: {}, maxValues: {}, nullCount: {} };
  for (const { name, type } of schema.columns) {
    const values = rows.map((r) => r[name] ?? null).filter((v): v is number | boolean | string => v !== null);
    stats.nullCount[name] = rows.length - values.length;
    if (values.length === 0) continue;
    const sorted = [...values].sort(compareStats);
    const [min, max] = [sorted[0] as number | boolean | string, sorted.at(-1) as number | boolean | string];
    // An ISO string has a four-digit year: a column with instants before year 0 gets no bounds.
    if (type === 'timestamp' && (min as number) < YEAR_0) continue;
    const out = (v: number | boolean | string) =>
      type === 'timestamp' ? new Date(v as number).toISOString() : v;
    // -0 and 0 are one number; JSON writes both as 0. An instant at 0 is still an ISO string.
    const zero = (v: number | boolean | string) => (type !== 'timestamp' && v === 0 ? 0 : out(v));
    stats.minValues[name] = zero(min);
    stats.maxValues[name] = zero(max);
  }
  return stats;
}

describe('per-file statistics from a Parquet footer', () => {
  it('bound every value of the file, count its nulls and rows, over any number of row groups', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        async (rows, size) => {
          // Prepare
          const footer = await footerOf(schema, rows, size);

          // Act
          const stats = JSON.parse(serializeStats(fileStats(footer)));

          // Assess
          expect(stats).toEqual(expected(rows));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('serialize timestamps as ISO-8601 UTC strings with milliseconds', async () => {
    // Prepare
    const footer = await footerOf(
      schema,
      [{ t: Date.UTC(2024, 0, 3, 4, 5, 6, 7) }, { t: Date.UTC(1969, 11, 31, 23, 59, 59, 999) }],
      10,
    );

    // Act
    const stats = fileStats(footer);

    // Assess
    expect(stats.minValues.t).toBe('1969-12-31T23:59:59.999Z');
    expect(stats.maxValues.t).toBe('2024-01-03T04:05:06.007Z');
  });

  it('give no bounds to a column of nulls, or to one a row group has none for', () => {
    // Prepare
    const footer = {
      schema,
      numRows: 4,
      rowGroups: [
        { numRows: 2, columns: { i: { nullCount: 2 }, f: { min: 1, max: 2, nullCount: 0 } } },
        { numRows: 2, columns: { i: { nullCount: 2 }, f: { nullCount: 0 } } },
      ],
    };

    // Act
    const stats = fileStats(footer);

    // Assess
    expect(stats).toEqual({ numRecords: 4, minValues: {}, maxValues: {}, nullCount: { i: 4, f: 0 } });
  });

  it('cover only the first columns of a wide file, as Spark does by default', () => {
    // Prepare
    const wide: TableSchema = {
      columns: Array.from({ length: 40 }, (_, i) => ({
        name: `c${i}`,
        type: 'int' as const,
        nullable: true,
      })),
    };
    const columns = Object.fromEntries(wide.columns.map((c) => [c.name, { min: 1, max: 2, nullCount: 0 }]));
    const footer = { schema: wide, numRows: 1, rowGroups: [{ numRows: 1, columns }] };

    // Act
    const byDefault = fileStats(footer);
    const three = fileStats(footer, { indexedColumns: 3 });

    // Assess
    expect(Object.keys(byDefault.minValues)).toEqual(wide.columns.slice(0, 32).map((c) => c.name));
    expect(Object.keys(byDefault.nullCount)).toHaveLength(32);
    expect(Object.keys(three.maxValues)).toEqual(['c0', 'c1', 'c2']);
    expect(three.numRecords).toBe(1);
  });

  it('round-trip through their JSON string', () => {
    fc.assert(
      fc.property(
        fc.record({
          numRecords: fc.nat(),
          minValues: fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.boolean(), fc.string())),
          maxValues: fc.dictionary(
            fc.string(),
            fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string()),
          ),
          nullCount: fc.dictionary(fc.string(), fc.nat()),
        }),
        (stats) => {
          // Prepare: JSON has one zero
          const clean = JSON.parse(JSON.stringify(stats)) as FileStats;

          // Act
          const back = parseStats(serializeStats(clean));

          // Assess
          expect(back).toEqual(clean);
        },
      ),
    );
  });

  it("read other writers' stats, dropping what is not a flat bound", () => {
    // Act
    const stats = parseStats(
      '{"numRecords":2,"tightBounds":true,"minValues":{"a":1,"n":{"x":1}},"maxValues":{"a":2},"nullCount":{"a":0,"n":{"x":0}}}',
    );

    // Assess
    expect(stats).toEqual({ numRecords: 2, minValues: { a: 1 }, maxValues: { a: 2 }, nullCount: { a: 0 } });
    expect(parseStats('not json')).toBeUndefined();
    expect(parseStats('{"minValues":{}}')).toBeUndefined();
  });
});

describe('statistics order', () => {
  it('compares strings by code point, as their UTF-8 bytes compare', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        // Act
        const order = Math.sign(compareStats(a, b));

        // Assess
        expect(order).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
    );
  });
});
