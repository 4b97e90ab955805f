import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkId, planChunks, type RowGroupInfo } from '../../shared/domain/chunks/plan.js';
import { chunkDataFilePath, dataFilePath } from '../../shared/domain/delta/table.js';

/** Runs of row groups a cut at `capacity` makes, closing a run before the row group that would overflow it. */
function greedyCount(rowGroups: readonly RowGroupInfo[], capacity: number): number {
  let runs = 0;
  let current = 0;
  for (const g of rowGroups) {
    if (runs === 0 || current + g.uncompressedBytes > capacity) {
      runs++;
      current = 0;
    }
    current += g.uncompressedBytes;
  }
  return runs;
}

describe('planning a file chunks', () => {
  it('cuts text into contiguous byte ranges of about the target, never more than the cap, each at least a byte', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('csv' as const, 'jsonl' as const),
        fc.nat({ max: 1_000_000 }),
        fc.nat({ max: 100 }),
        fc.integer({ min: 1, max: 50_000 }),
        fc.integer({ min: 1, max: 64 }),
        (format, size, headerPick, targetBytes, maxChunks) => {
          // Prepare
          const dataStart = Math.min(size, headerPick);

          // Act
          const plan = planChunks({ format, size, dataStart, targetBytes, maxChunks });

          // Assess
          if (plan.kind !== 'byte-ranges') throw new Error(`expected byte ranges, got ${plan.kind}`);
          const { chunks } = plan;
          const length = size - dataStart;
          expect(chunks.length).toBe(Math.max(1, Math.min(maxChunks, Math.ceil(length / targetBytes))));
          expect(chunks[0]?.start).toBe(dataStart);
          expect(chunks.at(-1)?.end).toBe(size);
          for (const [i, c] of chunks.entries()) {
            expect(c.index).toBe(i);
            expect(c.id).toBe(chunkId(i));
            if (i > 0) expect(c.start).toBe(chunks[i - 1]?.end);
            if (length > 0) expect(c.end - c.start).toBeGreaterThanOrEqual(1);
            // Even: sizes differ by a byte at most, and stay within the target unless the cap grew them.
            expect(c.end - c.start).toBeLessThanOrEqual(Math.ceil(length / chunks.length));
            if (chunks.length < maxChunks) expect(c.end - c.start).toBeLessThanOrEqual(targetBytes);
          }
        },
      ),
    );
  });

  it('groups whole row groups into runs within the target, a bigger row group alone, and grows the runs to fit the cap', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            rows: fc.integer({ min: 1, max: 1_000 }),
            uncompressedBytes: fc.integer({ min: 0, max: 5_000 }),
          }),
          { maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 8_000 }),
        fc.integer({ min: 1, max: 20 }),
        (rowGroups: RowGroupInfo[], targetBytes, maxChunks) => {
          // Act
          const plan = planChunks({ format: 'parquet', size: 1, rowGroups, targetBytes, maxChunks });

          // Assess
          if (plan.kind !== 'row-groups') throw new Error(`expected row groups, got ${plan.kind}`);
          const { chunks } = plan;
          expect(chunks.length).toBeLessThanOrEqual(maxChunks);
          expect(chunks.reduce((n, c) => n + c.rowGroupCount, 0)).toBe(rowGroups.length);
          let next = 0;
          for (const c of chunks) {
            expect(c.firstRowGroup).toBe(next);
            expect(c.rowGroupCount).toBeGreaterThan(0);
            const groups = rowGroups.slice(c.firstRowGroup, c.firstRowGroup + c.rowGroupCount);
            expect(c.rows).toBe(groups.reduce((n, g) => n + g.rows, 0));
            expect(c.uncompressedBytes).toBe(groups.reduce((n, g) => n + g.uncompressedBytes, 0));
            next += c.rowGroupCount;
          }
          const total = rowGroups.reduce((n, g) => n + g.uncompressedBytes, 0);
          const capacity = Math.max(
            targetBytes,
            ...chunks.map((c) => (c.rowGroupCount > 1 ? c.uncompressedBytes : 0)),
          );
          for (const [i, c] of chunks.entries()) {
            // Within the capacity unless alone, and closed only because the next row group would overflow it.
            if (c.rowGroupCount > 1) expect(c.uncompressedBytes).toBeLessThanOrEqual(capacity);
            const following = rowGroups[c.firstRowGroup + c.rowGroupCount];
            if (i < chunks.length - 1 && following) {
              expect(c.uncompressedBytes + following.uncompressedBytes).toBeGreaterThan(capacity);
            }
          }
          // The capacity only grew past the target when the cap demanded it, and no more than it had to.
          if (capacity > targetBytes) {
            expect(total).toBeGreaterThan(targetBytes);
            expect(greedyCount(rowGroups, targetBytes)).toBeGreaterThan(maxChunks);
            expect(greedyCount(rowGroups, capacity - 1)).toBeGreaterThan(maxChunks);
          }
        },
      ),
    );
  });

  it('keeps a row group bigger than the target as its own chunk', () => {
    // Act
    const plan = planChunks({
      format: 'parquet',
      size: 1,
      rowGroups: [
        { rows: 10, uncompressedBytes: 40 },
        { rows: 10, uncompressedBytes: 40 },
        { rows: 50, uncompressedBytes: 500 },
        { rows: 10, uncompressedBytes: 40 },
      ],
      targetBytes: 100,
      maxChunks: 10,
    });

    // Assess
    expect(plan).toMatchObject({
      kind: 'row-groups',
      chunks: [
        { firstRowGroup: 0, rowGroupCount: 2, rows: 20 },
        { firstRowGroup: 2, rowGroupCount: 1, rows: 50 },
        { firstRowGroup: 3, rowGroupCount: 1, rows: 10 },
      ],
    });
  });

  it('streams a JSON array with a piece target grown so that the pieces stay within the cap', () => {
    // Act
    const small = planChunks({ format: 'json', size: 1_000, targetBytes: 100, maxChunks: 100 });
    const capped = planChunks({ format: 'json', size: 1_000_000, targetBytes: 100, maxChunks: 11 });

    // Assess
    expect(small).toEqual({ kind: 'json-stream', targetBytes: 100 });
    expect(capped).toEqual({ kind: 'json-stream', targetBytes: 200_000 });
  });

  it('refuses a target, cap or data start that cannot make a plan', () => {
    expect(() => planChunks({ format: 'csv', size: 10, targetBytes: 0, maxChunks: 1 })).toThrow(
      /targetBytes/,
    );
    expect(() => planChunks({ format: 'csv', size: 10, targetBytes: 1, maxChunks: 100_000 })).toThrow(
      /maxChunks/,
    );
    expect(() =>
      planChunks({ format: 'csv', size: 10, dataStart: 11, targetBytes: 1, maxChunks: 2 }),
    ).toThrow(/dataStart/);
  });
});

describe('chunk names', () => {
  it('names each chunk data file from the file id and index alone, never another chunk’s or a whole file’s', () => {
    fc.assert(
      fc.property(
        // File ids as fileIdFor makes them: `f_` and 32 hex digits.
        fc.stringMatching(/^f_[0-9a-f]{32}$/),
        fc.stringMatching(/^f_[0-9a-f]{32}$/),
        fc.nat({ max: 99_999 }),
        fc.nat({ max: 99_999 }),
        (fileA, fileB, a, b) => {
          // Act
          const name = chunkDataFilePath(fileA, a);

          // Assess
          expect(chunkDataFilePath(fileA, a)).toBe(name);
          if (fileA !== fileB || a !== b) expect(chunkDataFilePath(fileB, b)).not.toBe(name);
          expect(name).not.toBe(dataFilePath(fileB));
        },
      ),
    );
  });

  it('sorts chunk ids as the chunks are ordered', () => {
    expect(chunkId(9) < chunkId(10)).toBe(true);
    expect(chunkId(0)).toBe('chunk-00000');
    expect(() => chunkId(100_000)).toThrow(/chunk index/);
  });
});
