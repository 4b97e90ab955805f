import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatParquetFiles } from '../../shared/app/io/parquet-files.js';
import {
  chunkInferredSuite,
  chunkValidator,
  mergeChunkStates,
  type PinnedPartial,
  projectPartial,
  readRows,
} from '../../shared/app/pipeline/validate.js';
import { batchFromRows, type CellValue, type TableSchema } from '../../shared/domain/table.js';
import {
  createValidator,
  decodeValidationPartial,
  encodeValidationPartial,
  suiteFromSchema,
  type ValidationReport,
  type ValidationSuite,
  validationSuiteSchema,
} from '../../shared/domain/validation/index.js';
import { openParquet, type ParquetFile, writeParquet } from '../../shared/formats/parquet.js';
import { asBatches, collect, rangeSource } from './parse/sources.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const PIN = 'pin-1';
const NAMES = ['id', 'code', 'amount'] as const;
type Row = Record<(typeof NAMES)[number], CellValue>;

/** A chunk's schema as the chunk writes it: a column is nullable only when the chunk has a null in it. */
function schemaOf(rows: readonly Row[]): TableSchema {
  return {
    columns: [
      { name: 'id', type: 'int', nullable: rows.some((r) => r.id === null) },
      { name: 'code', type: 'string', nullable: rows.some((r) => r.code === null) },
      { name: 'amount', type: 'float', nullable: rows.some((r) => r.amount === null) },
    ],
  };
}

async function parquetOf(rows: readonly Row[], rowGroupSize: number): Promise<ParquetFile> {
  const schema = schemaOf(rows);
  const { bytes } = await collect((sink) =>
    writeParquet(schema, asBatches([batchFromRows(schema, [...rows])]), sink, { rowGroupSize }),
  );
  return openParquet(rangeSource(bytes));
}

/** A chunk function's work on its staged file: the state it stores, read back as the merge reads it. */
async function chunkState(
  file: ParquetFile,
  suite: ValidationSuite | undefined,
  pin = PIN,
): Promise<PinnedPartial> {
  const validator = chunkValidator(suite, file.schema, NOW);
  for await (const batch of file.readRowGroups()) validator.add(batch);
  const state: PinnedPartial = { ...validator.partial(), suitePin: pin };
  const bytes = encodeValidationPartial(state);
  return decodeValidationPartial(bytes) as PinnedPartial;
}

async function singlePass(suite: ValidationSuite, file: ParquetFile): Promise<ValidationReport> {
  const validator = createValidator(suite, file.schema, { now: NOW });
  for await (const batch of file.readRowGroups()) validator.add(batch);
  return validator.report();
}

/** The report without a distribution check's mean and std, which a merge gives up to rounding only. */
function exactPart(report: ValidationReport) {
  return {
    ...report,
    checks: report.checks.map((c) =>
      c.type === 'distribution' ? { ...c, message: '', observed: { ...c.observed, mean: 0, std: 0 } } : c,
    ),
  };
}

const STORED = validationSuiteSchema.parse({
  checks: [
    { type: 'uniqueness', columns: ['id'] },
    { type: 'uniqueness', columns: ['code', 'id'], severity: 'WARNING' },
    { type: 'completeness', column: 'code', maxNullFraction: 0.1 },
    { type: 'range', column: 'amount', min: 0, max: 90 },
    { type: 'allowed_values', column: 'code', values: ['a', 'b', 'c'] },
    { type: 'distribution', column: 'amount', mean: { min: 0, max: 50 } },
  ],
});

const rowArb = fc.record({
  id: fc.option(fc.integer({ min: 0, max: 60 }), { freq: 8 }),
  code: fc.option(fc.constantFrom('a', 'b', 'c', 'zz'), { freq: 6 }),
  amount: fc.option(fc.double({ min: -5, max: 100, noNaN: true }), { freq: 6 }),
});

/** Rows cut at `cuts` into at least one chunk (empty chunks included). */
function cut(rows: Row[], cuts: number[]): Row[][] {
  const bounds = [...new Set(cuts.map((c) => c % (rows.length + 1)))].sort((a, b) => a - b);
  const edges = [0, ...bounds, rows.length];
  return edges.slice(1).map((end, i) => rows.slice(edges[i], end));
}

describe('validation inside the chunks, merged by the validate stage', () => {
  it('gives the single pass’s report over the chunk files read as one, by the stored or the inferred suite', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { maxLength: 60 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        fc.array(fc.constantFrom('kept', 'missing', 'stale'), { maxLength: 9 }),
        async (rows, cuts, rowGroupSize, stored, fates) => {
          // Prepare: some chunks' states are missing or from another split of the file.
          const files = await Promise.all(cut(rows, cuts).map((c) => parquetOf(c, rowGroupSize)));
          const staged = concatParquetFiles(files);
          const chunkSuite = stored ? STORED : undefined;
          const suite = stored ? STORED : suiteFromSchema(staged.schema);
          const fateOf = (i: number) => fates[i] ?? 'kept';
          const states = await Promise.all(
            files.map((f, i) =>
              fateOf(i) === 'missing'
                ? undefined
                : chunkState(f, chunkSuite, fateOf(i) === 'stale' ? 'old' : PIN),
            ),
          );

          // Act
          const merged = await mergeChunkStates(suite, chunkSuite, files, staged, NOW, states, PIN);

          // Assess
          if (typeof merged === 'string') throw new Error(merged);
          expect(exactPart(merged.report)).toEqual(exactPart(await singlePass(suite, staged)));
          expect(merged.revalidated).toEqual(files.flatMap((_, i) => (fateOf(i) === 'kept' ? [] : [i])));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('samples a key repeated in another chunk by reading its row from the chunk files', async () => {
    // Prepare: id 7 is in chunk 0 and again in chunk 2; id 3 twice inside chunk 1.
    const row = (id: number): Row => ({ id, code: `c${id}`, amount: id });
    const chunks = [
      [row(7), row(1)],
      [row(3), row(3)],
      [row(2), row(7)],
    ];
    const files = await Promise.all(chunks.map((c) => parquetOf(c, 1)));
    const staged = concatParquetFiles(files);
    const states = await Promise.all(files.map((f) => chunkState(f, STORED)));

    // Act
    const merged = await mergeChunkStates(STORED, STORED, files, staged, NOW, states, PIN);

    // Assess
    if (typeof merged === 'string') throw new Error(merged);
    const unique = merged.report.checks[0];
    expect(unique?.samples).toEqual([3, 7]);
    expect(unique?.failedRows).toBe(2);
    expect(merged.report.status).toBe('FAILED');
    expect(merged.revalidated).toEqual([]);
  });

  it('reads a file row’s key cells only, from the row group holding it', async () => {
    // Prepare
    const rows: Row[] = Array.from({ length: 10 }, (_, i) => ({ id: i, code: `c${i}`, amount: i / 2 }));
    const staged = concatParquetFiles([
      await parquetOf(rows.slice(0, 4), 3),
      await parquetOf(rows.slice(4), 3),
    ]);

    // Act
    const read = await readRows(staged, STORED, [0, 3, 5, 9]);

    // Assess
    expect([...read.entries()]).toEqual([
      [0, [0, 'c0', null]],
      [3, [3, 'c3', null]],
      [5, [5, 'c5', null]],
      [9, [9, 'c9', null]],
    ]);
  });

  it('validates again a chunk rewritten after its state was made (rows its dedup keys dropped)', async () => {
    // Prepare: chunk 1's state was made over three rows; the file now holds two of them.
    const row = (id: number): Row => ({ id, code: 'a', amount: id });
    const before = [await parquetOf([row(1), row(2)], 2), await parquetOf([row(3), row(1), row(4)], 2)];
    const states = await Promise.all(before.map((f) => chunkState(f, STORED)));
    const after = [before[0] as ParquetFile, await parquetOf([row(3), row(4)], 2)];
    const staged = concatParquetFiles(after);

    // Act
    const merged = await mergeChunkStates(STORED, STORED, after, staged, NOW, states, PIN);

    // Assess
    if (typeof merged === 'string') throw new Error(merged);
    expect(merged.revalidated).toEqual([1]);
    expect(exactPart(merged.report)).toEqual(exactPart(await singlePass(STORED, staged)));
    expect(merged.report.checks[0]?.passed).toBe(true);
  });

  it('does not merge states whose suite does not hold the file’s checks', async () => {
    // Prepare
    const file = await parquetOf([{ id: 1, code: 'a', amount: 1 }], 2);
    const other = validationSuiteSchema.parse({ checks: [{ type: 'row_count', min: 1 }] });

    // Act
    const merged = await mergeChunkStates(
      other,
      STORED,
      [file],
      file,
      NOW,
      [await chunkState(file, STORED)],
      PIN,
    );

    // Assess
    expect(merged).toMatch(/does not hold the file’s checks/);
  });

  it('projects a chunk’s inferred superset onto the file’s inferred suite, keeping the suite’s order', () => {
    // Prepare
    const chunkSchema = schemaOf([{ id: 1, code: 'a', amount: 1 }]);
    const fileSchema: TableSchema = {
      columns: chunkSchema.columns.map((c) => ({ ...c, nullable: c.name === 'code' })),
    };
    const validator = chunkValidator(undefined, chunkSchema, NOW);
    const fileSuite = suiteFromSchema(fileSchema);

    // Act
    const projected = projectPartial(validator.partial(), fileSuite);

    // Assess
    expect(chunkInferredSuite(chunkSchema).checks).toHaveLength(5);
    expect(projected?.checks.map((c) => c.name)).toEqual([
      'schema',
      'no new columns',
      'completeness(id)',
      'completeness(amount)',
    ]);
  });
});
