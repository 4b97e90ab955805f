import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bufferedBatches,
  checkSplitRatios,
  epochSeed,
  newStats,
  type PendingChunk,
  shuffledOrder,
  splitOf,
  splitPoint,
} from '../../shared/client/data-loader.js';
import { ApiError } from '../../shared/client/http.js';
import { seededRandom } from '../../shared/domain/table-sample.js';

/** Chunks of consecutive integers: row identity is its value. */
function chunksOf(sizes: readonly number[]): PendingChunk<number>[] {
  let next = 0;
  return sizes.map((size) => {
    const first = next;
    next += size;
    return { size, load: async () => Array.from({ length: size }, (_, i) => first + i) };
  });
}

async function* iterate<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function collect<T>(source: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const batch of source) out.push(batch);
  return out;
}

const shape = fc
  .record({
    batchSize: fc.integer({ min: 1, max: 40 }),
    extra: fc.integer({ min: 0, max: 200 }),
    sizes: fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 25 }),
    seed: fc.nat(),
  })
  .map(({ batchSize, extra, sizes, seed }) => {
    // The capacity fits the largest chunk beside a batch being filled, plus some slack.
    const largest = Math.max(0, ...sizes);
    return { batchSize, sizes, seed, capacity: Math.max(batchSize, largest + batchSize - 1) + extra };
  });

describe('shuffledOrder', () => {
  it('is a permutation that depends on nothing but the seed', () => {
    fc.assert(
      fc.property(fc.nat({ max: 300 }), fc.nat(), (n, seed) => {
        // Act
        const order = shuffledOrder(n, seed);

        // Assess
        expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(shuffledOrder(n, seed)).toEqual(order);
      }),
    );
  });

  it('gives each epoch its own order', () => {
    // Act
    const orders = new Set([0, 1, 2, 3].map((epoch) => shuffledOrder(50, epochSeed(7, epoch)).join()));

    // Assess
    expect(orders.size).toBe(4);
  });
});

describe('bufferedBatches', () => {
  it('hands out every row exactly once, in full batches but the last, never holding more than its capacity', async () => {
    await fc.assert(
      fc.asyncProperty(shape, fc.boolean(), async ({ batchSize, capacity, sizes, seed }, shuffle) => {
        // Prepare
        const stats = newStats();
        const random = shuffle ? seededRandom(seed) : undefined;

        // Act
        const batches = await collect(
          bufferedBatches(iterate(chunksOf(sizes)), {
            batchSize,
            capacity,
            stats,
            ...(random && { random }),
          }),
        );

        // Assess
        const rows = batches.flat();
        const total = sizes.reduce((a, b) => a + b, 0);
        expect([...rows].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
        batches.slice(0, -1).forEach((b) => {
          expect(b).toHaveLength(batchSize);
        });
        expect(stats.peakBufferedRows).toBeLessThanOrEqual(capacity);
        expect(stats).toMatchObject({ rowsRead: total, rowsYielded: total, bufferedRows: 0 });
        if (!shuffle) expect(rows).toEqual(Array.from({ length: total }, (_, i) => i));
      }),
    );
  });

  it('hands out the same order for the same seed', async () => {
    await fc.assert(
      fc.asyncProperty(shape, async ({ batchSize, capacity, sizes, seed }) => {
        // Act
        const run = () =>
          collect(
            bufferedBatches(iterate(chunksOf(sizes)), { batchSize, capacity, random: seededRandom(seed) }),
          );

        // Assess
        expect(await run()).toEqual(await run());
      }),
    );
  });

  it('holds no more than its capacity while the input is many times larger', async () => {
    // Prepare
    const stats = newStats();
    const sizes = Array.from({ length: 100 }, () => 1_000);

    // Act
    let rows = 0;
    for await (const batch of bufferedBatches(iterate(chunksOf(sizes)), {
      batchSize: 256,
      capacity: 5_000,
      random: seededRandom(1),
      stats,
    })) {
      rows += batch.length;
    }

    // Assess
    expect(rows).toBe(100_000);
    expect(stats.peakBufferedRows).toBeLessThanOrEqual(5_000);
    expect(stats.peakBufferedRows).toBeGreaterThan(4_000);
  });

  it('refuses a chunk that cannot fit beside a batch being filled', async () => {
    // Act
    const run = collect(bufferedBatches(iterate(chunksOf([10, 95])), { batchSize: 10, capacity: 100 }));

    // Assess
    await expect(run).rejects.toBeInstanceOf(ApiError);
    await expect(run).rejects.toThrow(/raise bufferRows/);
  });
});

describe('splits', () => {
  const ratios = { train: 0.7, validation: 0.2, test: 0.1 };

  it('put every row in exactly one split, the same one for the same seed and text', () => {
    fc.assert(
      fc.property(fc.nat(), fc.string(), (seed, text) => {
        // Act
        const point = splitPoint(seed, text);
        const name = splitOf(ratios, point);

        // Assess
        expect(point).toBeGreaterThanOrEqual(0);
        expect(point).toBeLessThan(1);
        expect(Object.keys(ratios)).toContain(name);
        expect(splitOf(ratios, splitPoint(seed, text))).toBe(name);
      }),
    );
  });

  it('split row positions in the ratios, within sampling error', () => {
    fc.assert(
      fc.property(fc.nat(), (seed) => {
        // Prepare
        const n = 20_000;
        const counts: Record<string, number> = { train: 0, validation: 0, test: 0 };

        // Act
        for (let i = 0; i < n; i++) {
          const name = splitOf(ratios, splitPoint(seed, `p:part-0.parquet#${i}`));
          counts[name] = (counts[name] ?? 0) + 1;
        }

        // Assess: 0.02 is over six standard deviations of a binomial proportion at n = 20 000.
        for (const [name, ratio] of Object.entries(ratios)) {
          expect(Math.abs((counts[name] ?? 0) / n - ratio)).toBeLessThan(0.02);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('give a split of ratio 0 no rows', () => {
    fc.assert(
      fc.property(fc.nat(), fc.string(), (seed, text) => {
        // Act
        const name = splitOf({ train: 1, test: 0 }, splitPoint(seed, text));

        // Assess
        expect(name).toBe('train');
      }),
    );
  });

  it('refuse ratios that do not sum to 1', () => {
    // Act
    const attempt = () => checkSplitRatios({ train: 0.8, test: 0.1 });

    // Assess
    expect(attempt).toThrow(ApiError);
  });
});
