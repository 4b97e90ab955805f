import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TableDataFile } from '../../shared/app/io/table-files.js';
import { scanTable } from '../../shared/app/io/table-sample.js';
import type { CellValue, TableSchema } from '../../shared/domain/table.js';
import { allocateSample, sampleIndexes, seedOf } from '../../shared/domain/table-sample.js';
import { writeParquet } from '../../shared/formats/parquet.js';
import type { ObjectStore } from '../../shared/ports.js';
import { rangeSource } from './parse/sources.js';

const fileRows = fc.array(fc.nat({ max: 5_000 }), { minLength: 1, maxLength: 12 });

describe('allocateSample', () => {
  it('gives each file its proportional quota rounded down or up, adding up to the sample size', () => {
    fc.assert(
      fc.property(fileRows, fc.nat({ max: 80_000 }), (rows, size) => {
        // Act
        const shares = allocateSample(rows, size);

        // Assess
        const total = rows.reduce((a, b) => a + b, 0);
        expect(shares.reduce((a, b) => a + b, 0)).toBe(Math.min(size, total));
        shares.forEach((share, i) => {
          const n = rows[i] ?? 0;
          expect(share).toBeLessThanOrEqual(n);
          if (size < total) {
            const quota = (n * size) / total;
            expect(share).toBeGreaterThanOrEqual(Math.floor(quota));
            expect(share).toBeLessThanOrEqual(Math.ceil(quota));
          } else {
            expect(share).toBe(n);
          }
        });
      }),
    );
  });

  it('depends on nothing but the files and the size', () => {
    fc.assert(
      fc.property(fileRows, fc.nat({ max: 80_000 }), (rows, size) => {
        // Act, Assess
        expect(allocateSample(rows, size)).toEqual(allocateSample([...rows], size));
      }),
    );
  });
});

describe('sampleIndexes', () => {
  it('picks min(k, n) distinct rows of the file, ascending, the same ones for the same seed', () => {
    fc.assert(
      fc.property(fc.nat({ max: 5_000 }), fc.nat({ max: 6_000 }), fc.nat(), (n, k, seed) => {
        // Act
        const picks = sampleIndexes(n, k, seed);

        // Assess
        expect(picks).toHaveLength(Math.min(n, k));
        for (let i = 1; i < picks.length; i++) expect(picks[i]).toBeGreaterThan(picks[i - 1] as number);
        if (picks.length > 0) {
          expect(picks[0]).toBeGreaterThanOrEqual(0);
          expect(picks.at(-1)).toBeLessThan(n);
        }
        expect(sampleIndexes(n, k, seed)).toEqual(picks);
      }),
    );
  });

  it('gives every row about the same chance over many seeds (uniform, not the first rows)', () => {
    // Prepare
    const n = 50;
    const k = 10;
    const draws = 4_000;
    const hits = new Array<number>(n).fill(0);

    // Act
    for (let s = 0; s < draws; s++) {
      for (const i of sampleIndexes(n, k, seedOf(`draw-${s}`))) hits[i] = (hits[i] ?? 0) + 1;
    }

    // Assess: each row is expected draws·k/n = 800 times; ±15 % is about 5 standard deviations.
    for (const h of hits) {
      expect(h).toBeGreaterThan(680);
      expect(h).toBeLessThan(920);
    }
  });
});

describe('scanTable', () => {
  const schema: TableSchema = {
    columns: [
      { name: 'id', type: 'int', nullable: false },
      { name: 'x', type: 'float', nullable: true },
    ],
  };

  /** Parquet data files holding consecutive ids, several row groups each, in an object map. */
  async function table(rows: readonly number[]) {
    const objects = new Map<string, Uint8Array>();
    const files: TableDataFile[] = [];
    let next = 0;
    for (const [i, n] of rows.entries()) {
      const ids: CellValue[] = Array.from({ length: n }, (_, r) => next + r);
      next += n;
      const chunks: Uint8Array[] = [];
      async function* one() {
        yield { schema, numRows: n, columns: [ids, ids.map((v) => (v as number) / 2)] };
      }
      await writeParquet(schema, one(), async (c) => void chunks.push(c), { rowGroupSize: 97 });
      const key = `tables/t/d/part-${i}.parquet`;
      const bytes = new Uint8Array(Buffer.concat(chunks));
      objects.set(key, bytes);
      files.push({ path: `part-${i}.parquet`, key, size: bytes.byteLength, stats: statsOf(n) });
    }
    const store = {
      bucket: 'data',
      openRange: async (ref: { key: string }) => rangeSource(objects.get(ref.key) as Uint8Array),
    } as unknown as ObjectStore;
    return { store, files };
  }

  const statsOf = (n: number) => ({ numRecords: n, minValues: {}, maxValues: {}, nullCount: {} });

  async function scan(rows: readonly number[], maxRows: number, seed: string) {
    const { store, files } = await table(rows);
    const ids: number[] = [];
    const summary = await scanTable(store, { deltaVersion: 3, schema, files }, { maxRows, seed }, (batch) => {
      for (const v of batch.columns[0] ?? []) ids.push(v as number);
    });
    return { ids, summary };
  }

  it('reads at most maxRows, each file its proportional share, the same rows for the same seed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 1_500 }),
        fc.string(),
        async (rows, maxRows, seed) => {
          // Act
          const first = await scan(rows, maxRows, seed);
          const again = await scan(rows, maxRows, seed);

          // Assess
          const total = rows.reduce((a, b) => a + b, 0);
          expect(first.summary.rowsTotal).toBe(total);
          expect(first.summary.rowsRead).toBe(Math.min(total, maxRows));
          expect(first.ids).toHaveLength(Math.min(total, maxRows));
          expect(first.summary.sampled).toBe(total > maxRows);
          expect(new Set(first.ids).size).toBe(first.ids.length);
          // Proportional: the ids of file i are the range it was written with.
          const shares = allocateSample(rows, maxRows);
          let start = 0;
          rows.forEach((n, i) => {
            const inFile = first.ids.filter((id) => id >= start && id < start + n).length;
            expect(inFile).toBe(shares[i]);
            start += n;
          });
          expect(first.summary.filesRead).toBe(shares.filter((s) => s > 0).length);
          expect(again.ids).toEqual(first.ids);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('reads other rows for another seed', async () => {
    // Act
    const a = await scan([400, 600], 100, 'file-a/2');
    const b = await scan([400, 600], 100, 'file-b/2');

    // Assess
    expect(a.ids).toHaveLength(100);
    expect(b.ids).toHaveLength(100);
    expect(a.ids).not.toEqual(b.ids);
  });

  it('fills a column a file does not have with nulls', async () => {
    // Prepare
    const { store, files } = await table([5]);
    const wider: TableSchema = {
      columns: [...schema.columns, { name: 'later', type: 'string', nullable: true }],
    };
    const batches: Array<CellValue[] | undefined> = [];

    // Act
    await scanTable(store, { deltaVersion: 1, schema: wider, files }, {}, (batch) => {
      batches.push(batch.columns[2]);
    });

    // Assess
    expect(batches.flatMap((c) => c ?? [])).toEqual([null, null, null, null, null]);
  });
});
