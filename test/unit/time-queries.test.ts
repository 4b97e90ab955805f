import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countingSource, type RowsQuery, scanByTime } from '../../shared/app/datasets/rows.js';
import { batchFromRows, type CellValue, type TableSchema } from '../../shared/domain/table.js';
import { parseInstant } from '../../shared/domain/time-range.js';
import { openParquet, writeParquet } from '../../shared/formats/parquet.js';
import { asBatches, collect, rangeSource } from './parse/sources.js';

const schema: TableSchema = {
  columns: [
    { name: 'ts', type: 'timestamp', nullable: true },
    { name: 'value', type: 'float', nullable: true },
  ],
};
const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

async function parquetOf(rows: Record<string, CellValue>[], rowGroupSize: number) {
  const written = await collect((sink) =>
    writeParquet(schema, asBatches([batchFromRows(schema, rows)]), sink, { rowGroupSize }),
  );
  return written.bytes;
}

/** 1000 rows a minute apart, in time order: ten row groups of 100. */
const ordered = Array.from({ length: 1000 }, (_, i) => ({ ts: T0 + i * MINUTE, value: i }));

async function scan(bytes: Uint8Array, query: Partial<RowsQuery>) {
  const { source, counter } = countingSource(rangeSource(bytes));
  const file = await openParquet(source);
  const footerBytes = counter.bytes;
  const result = await scanByTime(file, 'ts', { limit: 1000, ...query });
  return { ...result, dataBytes: counter.bytes - footerBytes, size: bytes.length };
}

/** The definition: every row with a timestamp, ordered by (timestamp, position in the file). */
function naive(rows: Record<string, CellValue>[], keep: (t: number) => boolean) {
  return rows
    .map((row, i) => ({ row, i }))
    .filter(({ row }) => typeof row.ts === 'number' && keep(row.ts))
    .sort((a, b) => (a.row.ts as number) - (b.row.ts as number) || a.i - b.i)
    .map(({ row }) => row.value);
}

describe('time queries over a Parquet snapshot', () => {
  it('answers last=5 from the newest row group alone', async () => {
    // Prepare
    const bytes = await parquetOf(ordered, 100);

    // Act
    const result = await scan(bytes, { last: 5 });

    // Assess
    expect(result.rows.map((r) => r.value)).toEqual([995, 996, 997, 998, 999]);
    expect(result.rows[4]?.ts).toBe(new Date(T0 + 999 * MINUTE).toISOString());
    expect(result.scan).toEqual({ rowGroups: 10, rowGroupsRead: 1 });
    expect(result.dataBytes).toBeLessThan(bytes.length / 5);
  });

  it('reads two row groups when the last N span them', async () => {
    // Act
    const result = await scan(await parquetOf(ordered, 100), { last: 150 });

    // Assess
    expect(result.rows.map((r) => r.value)).toEqual(Array.from({ length: 150 }, (_, i) => 850 + i));
    expect(result.scan.rowGroupsRead).toBe(2);
  });

  it('reads only the row groups a range overlaps: start inclusive, end exclusive', async () => {
    // Act
    const result = await scan(await parquetOf(ordered, 100), {
      start: T0 + 250 * MINUTE,
      end: T0 + 350 * MINUTE,
    });

    // Assess
    expect(result.rows.map((r) => r.value)).toEqual(Array.from({ length: 100 }, (_, i) => 250 + i));
    expect(result.scan).toEqual({ rowGroups: 10, rowGroupsRead: 2 });
    expect(result.nextCursor).toBeUndefined();
  });

  it('pages through a range with cursors, ties included, without a row twice or missing', async () => {
    // Prepare: every timestamp three times.
    const tied = Array.from({ length: 600 }, (_, i) => ({ ts: T0 + Math.floor(i / 3) * MINUTE, value: i }));
    const bytes = await parquetOf(tied, 64);
    const query = { start: T0 + 10 * MINUTE, end: T0 + 150 * MINUTE, limit: 25 };

    // Act
    const values: CellValue[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await scan(bytes, { ...query, ...(cursor && { cursor }) });
      values.push(...page.rows.map((r) => r.value ?? null));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);

    // Assess
    expect(values).toEqual(naive(tied, (t) => t >= query.start && t < query.end));
    expect(pages).toBe(Math.ceil(values.length / 25));
  });

  it('agrees with the definition on unordered data with ties and missing timestamps', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.integer({ min: 0, max: 50 }), { freq: 10 }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 5, max: 60 }),
        async (minutes, last, from, span, groupSize) => {
          // Prepare
          const rows = minutes.map((m, i) => ({ ts: m === null ? null : T0 + m * MINUTE, value: i }));
          const bytes = await parquetOf(rows, groupSize);
          const start = T0 + from * MINUTE;
          const end = start + span * MINUTE;

          // Act
          const latest = await scan(bytes, { last });
          const range = await scan(bytes, { start, end, limit: 1000 });

          // Assess
          expect(latest.rows.map((r) => r.value)).toEqual(naive(rows, () => true).slice(-last));
          expect(range.rows.map((r) => r.value)).toEqual(naive(rows, (t) => t >= start && t < end));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('parseInstant', () => {
  it('reads ISO 8601 with and without a zone as UTC, and epoch seconds or milliseconds', () => {
    expect(parseInstant('2026-01-01T00:00:00Z', 'start')).toBe(T0);
    expect(parseInstant('2026-01-01T01:00:00+01:00', 'start')).toBe(T0);
    expect(parseInstant('2026-01-01T00:00:00', 'start')).toBe(T0);
    expect(parseInstant('2026-01-01', 'start')).toBe(T0);
    expect(parseInstant(String(T0 / 1000), 'start')).toBe(T0);
    expect(parseInstant(String(T0), 'start')).toBe(T0);
  });

  it('refuses text that is not an instant', () => {
    expect(() => parseInstant('yesterday', 'start')).toThrow(/ISO 8601/);
    expect(() => parseInstant('2026-13-45', 'end')).toThrow(/end must be/);
  });
});
