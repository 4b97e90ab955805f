import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createProfiler } from '../../shared/domain/profile/profiler.js';
import type { ColumnCodes, ReadBatch, TableSchema } from '../../shared/domain/table.js';
import { openParquet, writeParquet } from '../../shared/formats/parquet.js';

const schema: TableSchema = { columns: [{ name: 's', type: 'string', nullable: true }] };

/** How a batch's cells are numbered: not at all, or by one of two dictionaries. */
type Numbering = 'none' | 'first' | 'second';

/**
 * A string column cut into batches, each numbered as a reader may: by a dictionary shared across
 * batches, a few values not numbered (-1), some texts under a second code (bytes that decode alike),
 * another dictionary for some batches, none for others.
 */
const codedColumn = fc
  .record({
    // Long enough values that a row group's dictionary pays, so the writer keeps it.
    cells: fc.array(
      fc.option(fc.constantFrom('', 'a', 'user_000001', 'user_000002', 'électronique', 'books and more'), {
        freq: 8,
      }),
      { maxLength: 200, size: 'max' },
    ),
    cuts: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
    // Often every batch by one dictionary, so that row groups are numbered throughout.
    numberings: fc.oneof(
      fc.constant<Numbering[]>(['first']),
      fc.array(fc.constantFrom<Numbering>('first', 'second', 'none'), { minLength: 1, maxLength: 10 }),
    ),
    // Cell indexes: not numbered, or numbered anew though its text has a code.
    unnumbered: fc.uniqueArray(fc.nat(199), { maxLength: 2 }),
    renumbered: fc.uniqueArray(fc.nat(199), { maxLength: 12, size: 'max' }),
  })
  .map(({ cells, cuts, numberings, unnumbered, renumbered }) => {
    const dictionaries = { first: [] as string[], second: [] as string[] };
    const codeOf = { first: new Map<string, number>(), second: new Map<string, number>() };
    const plain: ReadBatch[] = [];
    const coded: ReadBatch[] = [];
    let at = 0;
    for (let b = 0; at < cells.length; b++) {
      const rows = cells.slice(at, at + (cuts[b % cuts.length] as number));
      const numbering = numberings[b % numberings.length] as Numbering;
      plain.push({ schema, numRows: rows.length, columns: [rows] });
      let codes: ColumnCodes | undefined;
      if (numbering !== 'none') {
        const strings = dictionaries[numbering];
        const known = codeOf[numbering];
        const numbers = rows.map((v, i) => {
          if (v === null || unnumbered.includes(at + i)) return -1;
          let code = known.get(v);
          if (code === undefined || renumbered.includes(at + i)) {
            code = strings.length;
            strings.push(v);
            known.set(v, code);
          }
          return code;
        });
        codes = { codes: Int32Array.from(numbers), strings };
      }
      coded.push({ schema, numRows: rows.length, columns: [rows], codes: [codes] });
      at += rows.length;
    }
    return { plain, coded };
  });

async function* each(batches: readonly ReadBatch[]): AsyncIterable<ReadBatch> {
  yield* batches;
}

async function parquetOf(batches: readonly ReadBatch[], rowGroupSize: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  await writeParquet(
    schema,
    each(batches),
    async (chunk) => {
      chunks.push(chunk.slice());
    },
    { rowGroupSize },
  );
  return Buffer.concat(chunks);
}

describe("a string column's codes", () => {
  it('leave the Parquet file byte for byte what the strings alone make', async () => {
    await fc.assert(
      fc.asyncProperty(
        codedColumn,
        fc.integer({ min: 1, max: 100 }),
        async ({ plain, coded }, rowGroupSize) => {
          // Act
          const withoutCodes = await parquetOf(plain, rowGroupSize);
          const withCodes = await parquetOf(coded, rowGroupSize);

          // Assess
          expect(withCodes.equals(withoutCodes)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('leave the profile what the strings alone give, exact or past the exact limit', () => {
    fc.assert(
      fc.property(codedColumn, fc.integer({ min: 1, max: 10 }), ({ plain, coded }, exactDistinctLimit) => {
        // Prepare
        const options = { exactDistinctLimit, topK: 5 };
        const withoutCodes = createProfiler(schema, options);
        const withCodes = createProfiler(schema, options);

        // Act
        for (const batch of plain) withoutCodes.add(batch);
        for (const batch of coded) withCodes.add(batch);

        // Assess
        expect(withCodes.result()).toEqual(withoutCodes.result());
      }),
      { numRuns: 300 },
    );
  });
});

describe("a Parquet file's dictionary pages", () => {
  it('come back as codes naming each cell, for the row groups written with a dictionary', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.option(fc.constantFrom('books', 'électronique', '東京', 'user_000001', ''), { freq: 6 }),
          {
            minLength: 1,
            maxLength: 300,
          },
        ),
        fc.array(fc.string({ maxLength: 30 }), { maxLength: 100 }),
        fc.integer({ min: 10, max: 120 }),
        async (repeated, unique, rowGroupSize) => {
          // Prepare: repeated values (written with a dictionary), then mostly unique ones (written PLAIN).
          const cells = [...repeated, ...unique];
          const chunks: Uint8Array[] = [];
          const batch: ReadBatch = { schema, numRows: cells.length, columns: [cells] };
          await writeParquet(
            schema,
            each([batch]),
            async (chunk) => {
              chunks.push(chunk.slice());
            },
            { rowGroupSize },
          );
          const bytes = Buffer.concat(chunks);
          const file = await openParquet({
            size: bytes.length,
            read: async (start, end) => bytes.subarray(start, end),
          });

          // Act
          const read: ReadBatch[] = [];
          for await (const group of file.readRowGroups()) read.push(group);

          // Assess
          let coded = 0;
          for (const group of read) {
            const numbered = group.codes?.[0];
            if (!numbered) continue;
            coded++;
            const values = group.columns[0] as readonly unknown[];
            for (let r = 0; r < group.numRows; r++) {
              const code = numbered.codes[r] as number;
              if (code >= 0) expect(numbered.strings[code]).toBe(values[r]);
              else expect(values[r]).toBeNull();
            }
          }
          expect(read.flatMap((g) => [...(g.columns[0] as unknown[])])).toEqual(cells);
          // The first group holds repeated values only, and is written with a dictionary when it pays.
          if (repeated.length >= rowGroupSize && repeated.filter((v) => v !== null).length > 40) {
            expect(coded).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
