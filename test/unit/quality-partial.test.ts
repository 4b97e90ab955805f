import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createProfiler, type DatasetProfile } from '../../shared/domain/profile/index.js';
import {
  createQualityAssessor,
  createQualityMerge,
  DistinctRows,
  decodeQualityPartial,
  encodeQualityPartial,
  mergeQuality,
  mergesAsOnePass,
  type QualityOptions,
  type QualityPartial,
} from '../../shared/domain/quality/index.js';
import type { CellValue, RecordBatch, TableSchema } from '../../shared/domain/table.js';

const cell = <T>(values: fc.Arbitrary<T>, nulls = 1) =>
  fc.oneof({ weight: nulls, arbitrary: fc.constant(null) }, { weight: 8, arbitrary: values });

// Few distinct values, so that runs, constant columns and duplicate rows all occur.
const level = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(1, 2, 2.5, 40) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1000) },
);
const valuesArb = fc.record({
  level: cell(level),
  count: cell(fc.integer({ min: 0, max: 2 }), 0),
  tag: cell(fc.constantFrom('a', 'b')),
  on: cell(fc.boolean()),
});

function schemaWith(time: boolean): TableSchema {
  return {
    columns: [
      ...(time ? [{ name: 'ts', type: 'timestamp' as const, nullable: true }] : []),
      { name: 'level', type: 'float', nullable: true },
      { name: 'count', type: 'int', nullable: true },
      { name: 'tag', type: 'string', nullable: true },
      { name: 'on', type: 'bool', nullable: true },
    ],
  };
}

function batchesOf(schema: TableSchema, rows: CellValue[][], size: number): RecordBatch[] {
  const batches: RecordBatch[] = [];
  for (let at = 0; at < rows.length; at += size) {
    const slice = rows.slice(at, at + size);
    batches.push({
      schema,
      numRows: slice.length,
      columns: schema.columns.map((_, c) => slice.map((row) => row[c] ?? null)),
    });
  }
  return batches;
}

function profileOf(schema: TableSchema, rows: CellValue[][]): DatasetProfile {
  const profiler = createProfiler(schema);
  for (const batch of batchesOf(schema, rows, 50)) profiler.add(batch);
  return profiler.result();
}

function chunkPartial(
  schema: TableSchema,
  profile: DatasetProfile,
  options: QualityOptions,
  rows: CellValue[][],
  batchSize: number,
): QualityPartial {
  const assessor = createQualityAssessor(schema, profile, { ...options, mergeable: true });
  for (const batch of batchesOf(schema, rows, batchSize)) assessor.add(batch);
  // Through bytes, as a chunk function stores its state for the merge step.
  return decodeQualityPartial(encodeQualityPartial(assessor.partial()));
}

function splitAt(rows: CellValue[][], cuts: number[]): CellValue[][][] {
  const bounds = [...new Set(cuts.map((c) => c % (rows.length + 1)))].sort((a, b) => a - b);
  const edges = [0, ...bounds, rows.length];
  return edges.slice(1).map((end, i) => rows.slice(edges[i], end));
}

describe('quality merged across chunks', () => {
  it('equals one pass over the file without a time column, for any data and any split points', () => {
    fc.assert(
      fc.property(
        fc.array(valuesArb, { maxLength: 150 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 20 }),
        (records, cuts, batchSize) => {
          // Prepare
          const schema = schemaWith(false);
          const rows = records.map((r) => [r.level, r.count, r.tag, r.on]);
          const profile = profileOf(schema, rows);
          const options: QualityOptions = { minRun: 3 };
          const single = createQualityAssessor(schema, profile, options);
          for (const batch of batchesOf(schema, rows, 13)) single.add(batch);

          // Act
          const parts = splitAt(rows, cuts).map((chunk) =>
            chunkPartial(schema, profile, options, chunk, batchSize),
          );
          const merged = mergeQuality(schema, profile, options, parts);

          // Assess
          expect(merged).toEqual(single.result());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('equals a pass past its buffer cap when there is a time column, in order or not', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(valuesArb, cell(fc.integer({ min: 0, max: 5 }), 1)), {
          minLength: 1,
          maxLength: 120,
        }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 10 }),
        fc.boolean(),
        (records, cuts, ordered) => {
          // Prepare: times either ascending (equal ones included, missing ones last) or as drawn.
          const schema = schemaWith(true);
          const steps = records.map(([, step]) => step);
          if (ordered) steps.sort((a, b) => (a === null ? 1 : b === null ? -1 : a - b));
          const rows = records.map(([r], i) => {
            const step = steps[i];
            const time = step === null || step === undefined ? null : 1_700_000_000_000 + step * 1000;
            return [time, r.level, r.count, r.tag, r.on];
          });
          const profile = profileOf(schema, rows);
          // Past the buffer's cap, as a file big enough to be chunked is.
          const options: QualityOptions = { minRun: 3, maxBufferedRows: 0 };
          const single = createQualityAssessor(schema, profile, options);
          for (const batch of batchesOf(schema, rows, 17)) single.add(batch);

          // Act
          const parts = splitAt(rows, cuts).map((chunk) => chunkPartial(schema, profile, options, chunk, 5));
          const merged = mergeQuality(schema, profile, options, parts);

          // Assess
          expect(merged).toEqual(single.result());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('joins a constant period that crosses chunk boundaries into one run', () => {
    // Prepare: 12 rows of one value, cut into chunks of 5, 5 and 2 rows.
    const schema: TableSchema = { columns: [{ name: 'v', type: 'float', nullable: true }] };
    const rows: CellValue[][] = [[1], [2], ...Array.from({ length: 12 }, () => [7]), [3]];
    const profile = profileOf(schema, rows);
    const options: QualityOptions = { minRun: 3 };

    // Act
    const parts = [rows.slice(0, 5), rows.slice(5, 10), rows.slice(10)].map((chunk) =>
      chunkPartial(schema, profile, options, chunk, 3),
    );
    const merged = mergeQuality(schema, profile, options, parts);

    // Assess
    expect(merged.columns[0]?.constantPeriods).toEqual({
      longestRun: 12,
      longestRunStart: 2,
      runs: 1,
      fractionInRuns: 12 / 15,
      minRun: 3,
    });
  });

  it('refuses chunks assessed with another time column than the merge’s', () => {
    // Prepare
    const schema = schemaWith(true);
    const rows: CellValue[][] = [
      [1_700_000_000_000, 1, 1, 'a', true],
      [1_700_000_001_000, 2, 2, 'b', false],
    ];
    const profile = profileOf(schema, rows);
    const byCount = chunkPartial(schema, profile, { timeColumn: 'count', maxBufferedRows: 0 }, rows, 1);

    // Act
    const merge = () => mergeQuality(schema, profile, { maxBufferedRows: 0 }, [byCount]);

    // Assess
    expect(merge).toThrow(/another time column/);
  });

  it('refuses chunks that do not add up to the profile', () => {
    // Prepare
    const schema = schemaWith(false);
    const rows: CellValue[][] = [
      [1, 1, 'a', true],
      [2, 2, 'b', false],
    ];
    const profile = profileOf(schema, rows);
    const part = chunkPartial(schema, profile, {}, rows.slice(0, 1), 1);

    // Act
    const merge = () => mergeQuality(schema, profile, {}, [part]);

    // Assess
    expect(merge).toThrow(/2 rows but the chunks hold 1/);
  });

  it('is folded only where it gives one pass’s report: no time column, or more rows than one pass buffers', () => {
    // Prepare
    const rows: CellValue[][] = [
      [1, 1, 'a', true],
      [2, 2, 'b', false],
      [3, 2, 'b', false],
    ];
    const untimed = schemaWith(false);
    const timed = schemaWith(true);
    const timedRows = rows.map((r, i) => [1_700_000_000_000 + i, ...r]);

    // Act
    const withoutTime = mergesAsOnePass(untimed, profileOf(untimed, rows), {});
    const small = mergesAsOnePass(timed, profileOf(timed, timedRows), {});
    const pastTheCap = mergesAsOnePass(timed, profileOf(timed, timedRows), { maxBufferedRows: 2 });
    const named = mergesAsOnePass(untimed, profileOf(untimed, rows), { timeColumn: 'count' });

    // Assess
    expect(withoutTime).toBe(true);
    expect(small).toBe(false);
    expect(pastTheCap).toBe(true);
    expect(named).toBe(false);
  });

  it('folds chunks one at a time into the report the whole list gives', () => {
    // Prepare
    const schema = schemaWith(false);
    // Rows repeat every 4: duplicates within and across the chunks.
    const rows: CellValue[][] = Array.from({ length: 40 }, (_, i) => [
      i % 4,
      i % 2,
      i % 2 ? 'a' : 'b',
      i % 4 === 0,
    ]);
    const profile = profileOf(schema, rows);
    const parts = splitAt(rows, [9, 22, 31]).map((chunk) =>
      chunkPartial(schema, profile, { minRun: 3 }, chunk, 4),
    );

    // Act
    const merge = createQualityMerge(schema, profile, { minRun: 3 });
    for (const part of parts) merge.add(part);

    // Assess
    expect(merge.result()).toEqual(mergeQuality(schema, profile, { minRun: 3 }, parts));
    expect(merge.result().duplicates.count).toBeGreaterThan(0);
  });

  it('counts duplicate rows in partitions, a pass each, to the one set’s count, whatever the partitions', () => {
    fc.assert(
      fc.property(
        fc.array(valuesArb, { maxLength: 150 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 40 }),
        (records, cuts, rowsPerSet) => {
          // Prepare
          const schema = schemaWith(false);
          const rows = records.map((r) => [r.level, r.count, r.tag, r.on]);
          const profile = profileOf(schema, rows);
          const options: QualityOptions = { minRun: 3 };
          const parts = splitAt(rows, cuts).map((chunk) => chunkPartial(schema, profile, options, chunk, 7));

          // Act
          const partitioned = mergeQuality(schema, profile, options, parts, rowsPerSet);

          // Assess (rowsPerSet is mostly below the rows: several passes)
          expect(partitioned).toEqual(mergeQuality(schema, profile, options, parts));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('splits the distinct row hashes among partitions, each in exactly one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })), { maxLength: 300 }),
        fc.integer({ min: 1, max: 7 }),
        (pairs, count) => {
          // Prepare
          const hashes = Uint32Array.from(pairs.flat());
          const distinct = new Set(pairs.map(([a, b]) => `${a}:${b}`)).size;

          // Act
          const sizes = Array.from({ length: count }, (_, index) => {
            const rows = new DistinctRows(pairs.length, { index, count });
            rows.add(hashes);
            return rows.size;
          });

          // Assess
          expect(sizes.reduce((a, b) => a + b, 0)).toBe(distinct);
        },
      ),
    );
  });
});
