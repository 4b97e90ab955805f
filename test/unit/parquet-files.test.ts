import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatParquetFiles } from '../../shared/app/io/parquet-files.js';
import { dataFileSourceId, fileDataFiles } from '../../shared/app/io/table-files.js';
import { stagedKeysOf } from '../../shared/app/pipeline/artifacts.js';
import {
  chunkDataFilePath,
  dataFilePath,
  dataFilePaths,
  stagedChunkDataFilePath,
} from '../../shared/domain/delta/table.js';
import { stagedChunkKey, stagingKey } from '../../shared/domain/object-key.js';
import { batchFromRows, type CellValue, rowsOf, type TableSchema } from '../../shared/domain/table.js';
import { InvalidInputError, SchemaMismatchError } from '../../shared/errors.js';
import {
  openParquet,
  type ParquetFile,
  type ReadRowGroupsOptions,
  writeParquet,
} from '../../shared/formats/parquet.js';
import { asBatches, collect, rangeSource } from './parse/sources.js';

const SCHEMA: TableSchema = {
  columns: [
    { name: 'id', type: 'int', nullable: false },
    { name: 'amount', type: 'float', nullable: true },
    { name: 'sku', type: 'string', nullable: true },
  ],
};

function rowsFrom(from: number, n: number): Record<string, CellValue>[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return { id: i, amount: i % 3 === 0 ? null : i * 0.5, sku: i % 4 === 0 ? null : `sku-${i}` };
  });
}

/** A real Parquet file of `rows`, written by strata's writer, opened over its bytes. */
async function parquetOf(
  rows: Record<string, CellValue>[],
  schema: TableSchema = SCHEMA,
  rowGroupSize = 4,
): Promise<ParquetFile> {
  const { bytes } = await collect((sink) =>
    writeParquet(schema, asBatches([batchFromRows(schema, rows)]), sink, { rowGroupSize }),
  );
  return openParquet(rangeSource(bytes));
}

/** Chunk files of consecutive rows, of the given sizes. */
async function chunksOf(
  sizes: number[],
): Promise<{ files: ParquetFile[]; rows: Record<string, CellValue>[] }> {
  const files: ParquetFile[] = [];
  const rows: Record<string, CellValue>[] = [];
  for (const size of sizes) {
    const part = rowsFrom(rows.length, size);
    files.push(await parquetOf(part));
    rows.push(...part);
  }
  return { files, rows };
}

async function readRows(file: ParquetFile, options?: ReadRowGroupsOptions & { typed?: false }) {
  const rows: Record<string, CellValue>[] = [];
  for await (const batch of file.readRowGroups(options)) rows.push(...rowsOf(batch));
  return rows;
}

describe('concatParquetFiles', () => {
  it('reads the chunk files as one file: every row once, in chunk order, row groups numbered on', async () => {
    // Prepare: 8 chunks of uneven sizes (one empty), 4 rows per row group
    const { files, rows } = await chunksOf([5, 9, 1, 0, 12, 4, 7, 3]);

    // Act
    const one = concatParquetFiles(files);

    // Assess
    expect(await readRows(one)).toEqual(rows);
    expect(one.numRows).toBe(rows.length);
    expect(one.rowGroups.map((g) => g.index)).toEqual(one.rowGroups.map((_, i) => i));
    expect(one.rowGroups.map((g) => g.numRows)).toEqual(
      files.flatMap((f) => f.rowGroups.map((g) => g.numRows)),
    );
    expect(one.createdBy).toBe(files[0]?.createdBy);
  });

  it('reads the row groups and columns asked for, by global index, in the order asked', async () => {
    // Prepare: groups 0-1 in chunk 0, 2-4 in chunk 1, 5 in chunk 2
    const { files, rows } = await chunksOf([8, 10, 2]);
    const one = concatParquetFiles(files);
    const starts = one.rowGroups.map((_, i) => one.rowGroups.slice(0, i).reduce((s, g) => s + g.numRows, 0));
    const groupRows = (i: number) =>
      rows.slice(starts[i], (starts[i] ?? 0) + (one.rowGroups[i]?.numRows ?? 0)).map((r) => ({
        sku: r.sku,
        id: r.id,
      }));

    // Act
    const picked = await readRows(one, { rowGroups: [5, 1, 2, 3, 0], columns: ['sku', 'id'] });

    // Assess
    expect(one.rowGroups).toHaveLength(6);
    expect(picked).toEqual([5, 1, 2, 3, 0].flatMap(groupRows));
  });

  it('matches reading each chunk alone, for any split of the rows (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 6 }),
        async (sizes) => {
          // Prepare
          const { files, rows } = await chunksOf(sizes);

          // Act
          const one = concatParquetFiles(files);

          // Assess
          expect(await readRows(one)).toEqual(rows);
          expect(one.numRows).toBe(rows.length);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('declares a column nullable when any chunk has it nullable, and says so in every batch', async () => {
    // Prepare: chunk 0 wrote `amount` REQUIRED (it met no null), chunk 1 OPTIONAL
    const required: TableSchema = {
      columns: SCHEMA.columns.map((c) => (c.name === 'amount' ? { ...c, nullable: false } : c)),
    };
    const first = await parquetOf([{ id: 1, amount: 1.5, sku: 'a' }], required);
    const second = await parquetOf([{ id: 2, amount: null, sku: 'b' }]);

    // Act
    const one = concatParquetFiles([first, second]);
    const schemas: TableSchema[] = [];
    for await (const batch of one.readRowGroups({ columns: ['amount'] })) schemas.push(batch.schema);

    // Assess
    expect(first.schema.columns[1]?.nullable).toBe(false);
    expect(one.schema).toEqual(SCHEMA);
    expect(schemas).toEqual([
      { columns: [{ name: 'amount', type: 'float', nullable: true }] },
      { columns: [{ name: 'amount', type: 'float', nullable: true }] },
    ]);
  });

  it('refuses chunks whose columns differ in name, type or number, naming each difference', async () => {
    // Prepare
    const base = await parquetOf(rowsFrom(0, 2));
    const retyped = await parquetOf([{ id: 1, amount: 'x', sku: 'a' }], {
      columns: SCHEMA.columns.map((c) => (c.name === 'amount' ? { ...c, type: 'string' } : c)),
    });
    const narrower = await parquetOf([{ id: 1 }], {
      columns: [{ name: 'id', type: 'int', nullable: false }],
    });

    // Act
    const mismatch = (() => {
      try {
        concatParquetFiles([base, retyped, narrower]);
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(mismatch).toBeInstanceOf(SchemaMismatchError);
    expect((mismatch as SchemaMismatchError).differences).toEqual([
      'column 1 of part 1 is "amount" (string), of part 0 "amount" (float)',
      'part 2 has 1 columns, part 0 has 3',
    ]);
  });

  it('answers a single file as it is, and refuses row groups and columns it does not have', async () => {
    // Prepare
    const { files } = await chunksOf([3, 3]);
    const one = concatParquetFiles(files);

    // Act
    const alone = concatParquetFiles([files[0] as ParquetFile]);
    const badGroup = readRows(one, { rowGroups: [2] });
    const badColumn = readRows(one, { columns: ['nope'] });

    // Assess
    expect(alone).toBe(files[0]);
    await expect(badGroup).rejects.toBeInstanceOf(InvalidInputError);
    await expect(badColumn).rejects.toBeInstanceOf(InvalidInputError);
    expect(() => concatParquetFiles([])).toThrow(/at least one part/);
  });
});

describe('staged chunk keys and data file names', () => {
  it('lists the one staged file, or every chunk file in order with the first at stagedKey', () => {
    // Prepare
    const file = { tenant: 't1', dataset: 'orders', fileId: 'f_abc' };

    // Act
    const single = stagedKeysOf(file, { stagedKey: stagingKey('t1', 'orders', 'f_abc') });
    const chunked = stagedKeysOf(file, {
      stagedKey: stagedChunkKey('t1', 'orders', 'f_abc', 0),
      chunkCount: 3,
    });

    // Assess
    expect(single).toEqual(['staging/t1/orders/f_abc/data.parquet']);
    expect(chunked).toEqual([
      'staging/t1/orders/f_abc/part-00000.parquet',
      'staging/t1/orders/f_abc/part-00001.parquet',
      'staging/t1/orders/f_abc/part-00002.parquet',
    ]);
  });

  it("keeps the single file name, names chunks by file and index, lists a version's own files, and traces every name to its file", () => {
    // Act
    const one = dataFilePaths('f_abc', 1);
    const many = dataFilePaths('f_abc', 2);
    const held = fileDataFiles('f_abc', { dataFile: stagedChunkDataFilePath('f_abc', 0), chunkCount: 2 });
    const heldOne = fileDataFiles('f_abc', { dataFile: '_staged/part-f_abc.parquet' });
    const committed = fileDataFiles('f_abc', {
      version: 3,
      dataFile: chunkDataFilePath('f_abc', 0),
      chunkCount: 2,
    });
    const rewritten = fileDataFiles('f_abc', { version: 3, dataFile: 'part-f_abc-v3.parquet' });

    // Assess
    expect(one).toEqual([dataFilePath('f_abc')]);
    expect(many).toEqual(['part-f_abc-c00000.parquet', 'part-f_abc-c00001.parquet']);
    expect(held).toEqual(['_staged/part-f_abc-c00000.parquet', '_staged/part-f_abc-c00001.parquet']);
    expect(heldOne).toEqual(['_staged/part-f_abc.parquet']);
    expect(committed).toEqual(many);
    expect(rewritten).toEqual(['part-f_abc-v3.parquet']);
    expect([...one, ...many].map(dataFileSourceId)).toEqual(['f_abc', 'f_abc', 'f_abc']);
    expect(dataFileSourceId(chunkDataFilePath('f_abc', 99_999))).toBe('f_abc');
    expect(() => chunkDataFilePath('f_abc', 100_000)).toThrow(/chunk index/);
  });
});
