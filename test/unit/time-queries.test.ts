import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  countingSource,
  decodeRowCursor,
  type RowsQuery,
  type ScanFile,
  scanByTime,
} from '../../shared/app/datasets/rows.js';
import { fileStats } from '../../shared/domain/delta/stats.js';
import { batchFromRows, type CellValue, type TableSchema } from '../../shared/domain/table.js';
import { fileTimeRange, parseInstant } from '../../shared/domain/time-range.js';
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
  const result = await scanByTime([{ open: async () => file }], 'ts', schema, {
    limit: 1000,
    ...query,
    cursor: query.cursor === undefined ? undefined : decodeRowCursor(query.cursor),
  });
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
  it('answers last=5 newest first from the newest row group alone', async () => {
    // Prepare
    const bytes = await parquetOf(ordered, 100);

    // Act
    const result = await scan(bytes, { last: 5 });

    // Assess
    expect(result.rows.map((r) => r.value)).toEqual([999, 998, 997, 996, 995]);
    expect(result.rows[0]?.ts).toBe(new Date(T0 + 999 * MINUTE).toISOString());
    expect(result.scan).toEqual({ files: 1, filesRead: 1, rowGroups: 10, rowGroupsRead: 1 });
    expect(result.dataBytes).toBeLessThan(bytes.length / 5);
  });

  it('reads two row groups when the last N span them', async () => {
    // Act
    const result = await scan(await parquetOf(ordered, 100), { last: 150 });

    // Assess
    expect(result.rows.map((r) => r.value)).toEqual(Array.from({ length: 150 }, (_, i) => 999 - i));
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
    expect(result.scan).toEqual({ files: 1, filesRead: 1, rowGroups: 10, rowGroupsRead: 2 });
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
          expect(latest.rows.map((r) => r.value)).toEqual(
            naive(rows, () => true)
              .slice(-last)
              .reverse(),
          );
          expect(range.rows.map((r) => r.value)).toEqual(naive(rows, (t) => t >= start && t < end));
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** A table's data files: each part written with strata's writer, with its add action's statistics or none. */
async function filesOf(
  parts: readonly Record<string, CellValue>[][],
  groupSize: number,
  withStats: (part: number) => boolean = () => true,
) {
  const counter = { requests: 0, bytes: 0 };
  const files = await Promise.all(
    parts.map(async (rows, part): Promise<ScanFile> => {
      const bytes = await parquetOf(rows, groupSize);
      const stats = withStats(part) ? fileStats(await openParquet(rangeSource(bytes))) : undefined;
      return {
        ...fileTimeRange(stats, schema.columns[0] as (typeof schema.columns)[number]),
        open: () => openParquet(countingSource(rangeSource(bytes), counter).source),
      };
    }),
  );
  return { files, counter };
}

/** The definition over a table: rows with a timestamp, by (timestamp, file, position in the file). */
function naiveTable(parts: readonly Record<string, CellValue>[][], keep: (t: number) => boolean) {
  return parts
    .flatMap((rows, file) => rows.map((row, i) => ({ row, file, i })))
    .filter(({ row }) => typeof row.ts === 'number' && keep(row.ts))
    .sort((a, b) => (a.row.ts as number) - (b.row.ts as number) || a.file - b.file || a.i - b.i)
    .map(({ row }) => row.value);
}

async function pages(files: readonly ScanFile[], start: number, end: number, limit: number) {
  const values: CellValue[] = [];
  let cursor: string | undefined;
  do {
    const page = await scanByTime(files, 'ts', schema, {
      start,
      end,
      limit,
      cursor: cursor === undefined ? undefined : decodeRowCursor(cursor),
      deltaVersion: 7,
    });
    values.push(...page.rows.map((r) => r.value ?? null));
    cursor = page.nextCursor;
  } while (cursor);
  return values;
}

describe('time queries over the data files of a table', () => {
  /** Five files of 100 rows a minute apart, listed in path order, which is not their time order. */
  const order = [2, 0, 4, 1, 3];
  const parts = order.map((k) =>
    Array.from({ length: 100 }, (_, i) => ({ ts: T0 + (k * 100 + i) * MINUTE, value: k * 100 + i })),
  );

  it('opens only the newest file for last=N, by its statistics', async () => {
    // Prepare
    const { files } = await filesOf(parts, 50);

    // Act
    const result = await scanByTime(files, 'ts', schema, { last: 5, limit: 1000 });

    // Assess
    expect(result.rows.map((r) => r.value)).toEqual([499, 498, 497, 496, 495]);
    expect(result.scan).toEqual({ files: 5, filesRead: 1, rowGroups: 2, rowGroupsRead: 1 });
  });

  it('opens only the files a range overlaps, and in them only the overlapping row groups', async () => {
    // Prepare
    const { files } = await filesOf(parts, 50);

    // Act
    const result = await scanByTime(files, 'ts', schema, {
      start: T0 + 160 * MINUTE,
      end: T0 + 240 * MINUTE,
      limit: 1000,
    });

    // Assess
    expect(result.rows.map((r) => r.value)).toEqual(Array.from({ length: 80 }, (_, i) => 160 + i));
    expect(result.scan).toEqual({ files: 5, filesRead: 2, rowGroups: 4, rowGroupsRead: 2 });
  });

  it('reads a file without statistics, and never opens one whose statistics say it has no time', async () => {
    // Prepare: the oldest file without statistics; a sixth file of rows without a timestamp.
    const blank = [{ ts: null, value: -1 }];
    const { files } = await filesOf([...parts, blank], 50, (part) => part !== 1);

    // Act
    const result = await scanByTime(files, 'ts', schema, { last: 3, limit: 1000 });

    // Assess
    expect(files[5]?.empty).toBe(true);
    expect(result.rows.map((r) => r.value)).toEqual([499, 498, 497]);
    expect(result.scan.filesRead).toBe(2);
  });

  it("answers a file's missing columns with null: the table's columns, not the file's", async () => {
    // Prepare
    const { files } = await filesOf([parts[0] ?? []], 100);
    const table: TableSchema = {
      columns: [...schema.columns, { name: 'site', type: 'string', nullable: true }],
    };

    // Act
    const result = await scanByTime(files, 'ts', table, { last: 1, limit: 1000 });

    // Assess
    expect(result.rows).toEqual([{ ts: new Date(T0 + 299 * MINUTE).toISOString(), value: 299, site: null }]);
  });

  it('agrees with the definition over any split into files, with or without statistics, paged or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.option(fc.integer({ min: 0, max: 40 }), { freq: 10 }), { minLength: 1, maxLength: 60 }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 3, max: 25 }),
        fc.integer({ min: 1, max: 20 }),
        async (minutes, stated, last, from, span, groupSize, limit) => {
          // Prepare
          let n = 0;
          const split = minutes.map((part) =>
            part.map((m) => ({ ts: m === null ? null : T0 + m * MINUTE, value: n++ })),
          );
          const { files } = await filesOf(split, groupSize, (part) => stated[part] ?? true);
          const start = T0 + from * MINUTE;
          const end = start + span * MINUTE;

          // Act
          const latest = await scanByTime(files, 'ts', schema, { last, limit: 1000 });
          const oldestFirst = await scanByTime(files, 'ts', schema, { last, order: 'asc', limit: 1000 });
          const range = await scanByTime(files, 'ts', schema, { start, end, limit: 1000 });
          const paged = await pages(files, start, end, limit);

          // Assess
          expect(latest.rows.map((r) => r.value)).toEqual(
            naiveTable(split, () => true)
              .slice(-last)
              .reverse(),
          );
          expect(oldestFirst.rows.map((r) => r.value)).toEqual(naiveTable(split, () => true).slice(-last));
          const expected = naiveTable(split, (t) => t >= start && t < end);
          expect(range.rows.map((r) => r.value)).toEqual(expected);
          expect(paged).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('fileTimeRange', () => {
  const ts = { name: 'ts', type: 'timestamp', nullable: true } as const;
  const stats = (over: object) => ({ numRecords: 3, minValues: {}, maxValues: {}, nullCount: {}, ...over });

  it("reads a timestamp column's ISO bounds as epoch milliseconds", () => {
    expect(
      fileTimeRange(
        stats({ minValues: { ts: '2026-01-01T00:00:00.000Z' }, maxValues: { ts: '2026-01-01T00:01:00Z' } }),
        ts,
      ),
    ).toEqual({ empty: false, min: T0, max: T0 + MINUTE });
  });

  it('says a file without rows or with only nulls holds no time, and leaves missing bounds unknown', () => {
    expect(fileTimeRange(stats({ numRecords: 0 }), ts)).toEqual({ empty: true });
    expect(fileTimeRange(stats({ nullCount: { ts: 3 } }), ts)).toEqual({ empty: true });
    expect(fileTimeRange(stats({ minValues: { ts: '2026-01-01T00:00:00Z' } }), ts)).toEqual({ empty: false });
    expect(fileTimeRange(stats({ minValues: { ts: 5 }, maxValues: { ts: 9 } }), ts)).toEqual({
      empty: false,
    });
    expect(fileTimeRange(undefined, ts)).toEqual({ empty: false });
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
