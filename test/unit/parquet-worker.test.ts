import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CellValue, TableSchema } from '../../shared/domain/table.js';
import { openParquet, writeParquet } from '../../shared/formats/parquet.js';
import { snappyCompress } from '../../shared/formats/snappy.js';
import { compressPages, snappyWorkerStatus } from '../../shared/formats/snappy-worker.js';
import { asBatches, collect, rangeSource } from './parse/sources.js';

describe('Snappy on a worker thread', () => {
  it('compresses pages to the bytes the writer’s own thread makes, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 5_000 }),
            // Repetitive pages, which compress: copies as well as literals.
            fc
              .tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 3_000 }))
              .map(([unit, times]) =>
                Uint8Array.from({ length: unit.length * times }, (_, i) => unit[i % unit.length] as number),
              ),
          ),
          { maxLength: 8 },
        ),
        async (pages) => {
          // Act
          const compressed = await compressPages(pages);

          // Assess
          expect(snappyWorkerStatus()).toBe('started');
          expect(compressed.map((page) => [...page])).toEqual(pages.map((page) => [...snappyCompress(page)]));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('writes a file with big row groups byte for byte as the writer’s thread alone writes it', async () => {
    // Prepare: 100,000 rows of numbers and text: two row groups over the worker's 1 MiB, one under it.
    const schema: TableSchema = {
      columns: [
        { name: 'id', type: 'int', nullable: false },
        { name: 'score', type: 'float', nullable: true },
        { name: 'note', type: 'string', nullable: false },
      ],
    };
    const rows = 100_000;
    const columns: CellValue[][] = [
      Array.from({ length: rows }, (_, i) => i),
      Array.from({ length: rows }, (_, i) => (i % 17 === 0 ? null : Math.sin(i) * 1e6)),
      Array.from({ length: rows }, (_, i) => `note ${i} ${(i * 2654435761) % 1e9}`),
    ];
    const batches = () => asBatches([{ schema, numRows: rows, columns }]);
    const options = { rowGroupSize: 40_000 };

    // Act
    const here = await collect((write) =>
      writeParquet(schema, batches(), write, { ...options, compressInWorker: false }),
    );
    const there = await collect((write) => writeParquet(schema, batches(), write, options));

    // Assess
    expect(Buffer.compare(there.bytes, here.bytes)).toBe(0);
    const file = await openParquet(rangeSource(there.bytes));
    expect(file.rowGroups.map((g) => g.numRows)).toEqual([40_000, 40_000, 20_000]);
    expect(file.rowGroups[0]?.uncompressedBytes).toBeGreaterThan(1 << 20);
    let read = 0;
    for await (const batch of file.readRowGroups()) {
      for (let r = 0; r < batch.numRows; r++) expect(batch.columns[2]?.[r]).toBe(columns[2]?.[read + r]);
      read += batch.numRows;
    }
    expect(read).toBe(rows);
  });
});
