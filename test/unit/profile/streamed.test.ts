import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonRangeHints } from '../../../shared/app/pipeline/json-chunks.js';
import {
  inferJsonlRange,
  type ParseOptions,
  parseFile,
  readJsonlRange,
  settleJsonRanges,
} from '../../../shared/domain/parse/parse-file.js';
import {
  createProfiler,
  type DatasetProfile,
  histogramsSpanValues,
  type ProfileOptions,
  profileAlong,
} from '../../../shared/domain/profile/index.js';
import type { ColumnType } from '../../../shared/domain/table.js';
import { numericRanges, openParquet, writeParquet } from '../../../shared/formats/parquet.js';
import { collect, jsonlRanges, opener, rangeSource } from '../parse/sources.js';

// Small sketch limits, so that a few dozen rows already need the range hints for exact histograms.
const OPTIONS = {
  exactQuantileLimit: 4,
  exactDistinctLimit: 4,
  histogramBins: 5,
  quantileK: 8,
  sketchK: 8,
  sketchPrecision: 4,
  hllPrecision: 4,
} as const;

/** The parse stage's way: parse, profile the batches on their way to the writer, write. */
async function parseProfiled(csv: string, options: ParseOptions = {}) {
  const parsed = await parseFile({ format: 'csv', open: opener(csv, 97) }, options);
  const profiled = profileAlong(parsed.schema, parsed.batches, parsed.ranges, OPTIONS);
  const { bytes } = await collect((write) => writeParquet(parsed.schema, profiled.batches, write));
  return { streamed: profiled.final(), staged: bytes };
}

/** The profile stage's way: the staged file read back, hinted with its row-group statistics. */
async function profileOfStaged(
  staged: Uint8Array,
  options: ProfileOptions = OPTIONS,
): Promise<DatasetProfile> {
  const file = await openParquet(rangeSource(staged));
  const profiler = createProfiler(file.schema, {
    ...options,
    ranges: numericRanges(file.schema, file.rowGroups),
  });
  for await (const batch of file.readRowGroups({ typed: true })) profiler.add(batch);
  return profiler.result();
}

const KINDS = ['int', 'float', 'timestamp', 'string', 'bool'] as const;
type Kind = (typeof KINDS)[number];

function token(kind: Kind, n: number): string {
  switch (kind) {
    case 'int':
      return String(n);
    case 'float':
      return (n / 8).toFixed(3);
    case 'timestamp':
      return new Date(Date.UTC(2026, 0, 1) + n * 61_000).toISOString();
    case 'string':
      return `s${n}`;
    case 'bool':
      return n % 2 === 0 ? 'true' : 'false';
  }
}

const cell = (kind: Kind) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: -500, max: 500 }).map((n) => token(kind, n)) },
    { weight: 1, arbitrary: fc.constantFrom('', 'NA', 'null') },
  );

/** A CSV of 1–4 columns of the given kinds, an id column first, 1–60 rows. */
const table = fc
  .array(fc.constantFrom(...KINDS), { minLength: 1, maxLength: 4 })
  .chain((kinds) =>
    fc.record({
      kinds: fc.constant(kinds),
      rows: fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), ...kinds.map(cell)), {
        minLength: 1,
        maxLength: 60,
      }),
    }),
  )
  .map(({ kinds, rows }) => ({
    kinds,
    csv: `id,${kinds.map((_, i) => `c${i}`).join(',')}\n${rows.map((r) => r.join(',')).join('\n')}\n`,
  }));

describe('profileAlong', () => {
  it('is final for every file written without dropped rows, and then is the staged file’s profile', async () => {
    await fc.assert(
      fc.asyncProperty(table, async ({ csv }) => {
        // Act
        const { streamed, staged } = await parseProfiled(csv);

        // Assess
        expect(streamed).toBeDefined();
        expect(streamed).toEqual(await profileOfStaged(staged));
      }),
      { numRuns: 150 },
    );
  });

  it('is final for JSON Lines and Parquet inputs too, and then is the staged file’s profile', async () => {
    await fc.assert(
      fc.asyncProperty(table, async ({ csv }) => {
        // Prepare: the same rows as JSON Lines (typed JSON values) and as the Parquet the CSV parses to.
        const parsedCsv = await parseFile({ format: 'csv', open: opener(csv) });
        const rows: Record<string, unknown>[] = [];
        for await (const batch of parsedCsv.batches)
          for (let r = 0; r < batch.numRows; r++) {
            const row: Record<string, unknown> = {};
            parsedCsv.schema.columns.forEach((c, i) => {
              const v = batch.columns[i]?.[r] ?? null;
              row[c.name] = c.type === 'timestamp' && typeof v === 'number' ? new Date(v).toISOString() : v;
            });
            rows.push(row);
          }
        const jsonl = rows.map((row) => JSON.stringify(row)).join('\n');
        const { staged: parquet } = await parseProfiled(csv);

        for (const input of [
          { format: 'jsonl' as const, open: opener(jsonl, 97) },
          { format: 'parquet' as const, source: rangeSource(parquet) },
        ]) {
          // Act
          const parsed = await parseFile(input);
          const profiled = profileAlong(parsed.schema, parsed.batches, parsed.ranges, OPTIONS);
          const { bytes } = await collect((write) => writeParquet(parsed.schema, profiled.batches, write));

          // Assess
          expect(profiled.final()).toBeDefined();
          expect(profiled.final()).toEqual(await profileOfStaged(bytes));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('is final for a chunk of a Parquet file’s row groups: its ranges are those row groups’ statistics', async () => {
    // Prepare: three row groups of increasing values; the chunk reads the middle one.
    const rows = Array.from({ length: 90 }, (_, i) => `${i},${i * 1.5}`);
    const { staged: parquet } = await parseProfiled(`id,v\n${rows.join('\n')}\n`);
    const parsedCsv = await parseFile({ format: 'parquet', source: rangeSource(parquet) });
    const { bytes: grouped } = await collect((write) =>
      writeParquet(parsedCsv.schema, parsedCsv.batches, write, { rowGroupSize: 30 }),
    );

    // Act
    const parsed = await parseFile({ format: 'parquet', source: rangeSource(grouped) }, { rowGroups: [1] });
    const profiled = profileAlong(parsed.schema, parsed.batches, parsed.ranges, OPTIONS);
    const { bytes } = await collect((write) => writeParquet(parsed.schema, profiled.batches, write));

    // Assess
    expect(parsed.ranges).toEqual({ id: { min: 30, max: 59 }, v: { min: 45, max: 88.5 } });
    expect(profiled.final()).toBeDefined();
    expect(profiled.final()).toEqual(await profileOfStaged(bytes));
  });

  it('whenever final, equals the staged file’s profile, with duplicates dropped and types overridden', async () => {
    let finals = 0;
    let notFinal = 0;
    await fc.assert(
      fc.asyncProperty(
        table,
        fc.constantFrom<ColumnType | undefined>(undefined, 'int', 'float', 'timestamp'),
        async ({ csv, kinds }, override) => {
          // Prepare: ids repeat, so later rows of an id are dropped; c0 may be overridden (records fail).
          const options: ParseOptions = {
            dedupKeys: ['id'],
            maxErrorRate: 1,
            ...(override && kinds[0] !== undefined && { typeOverrides: { c0: override } }),
          };

          // Act
          const { streamed, staged } = await parseProfiled(csv, options);

          // Assess
          if (streamed === undefined) {
            notFinal++;
            return;
          }
          finals++;
          expect(streamed).toEqual(await profileOfStaged(staged));
        },
      ),
      { numRuns: 200 },
    );
    // Neither answer is vacuous: dropped rows do take a column's extreme value away at times.
    expect(finals).toBeGreaterThan(0);
    expect(notFinal).toBeGreaterThan(0);
  });

  it('is not final when a hint is wider than the values written', async () => {
    // Prepare: the row holding v's largest value is a duplicate of id 1, dropped after pass 1.
    const rows = Array.from({ length: 30 }, (_, i) => `${i},${i * 2}`);
    const csv = `id,v\n${rows.join('\n')}\n1,999\n`;

    // Act
    const { streamed, staged } = await parseProfiled(csv, { dedupKeys: ['id'] });

    // Assess
    expect(streamed).toBeUndefined();
    const profile = await profileOfStaged(staged);
    expect(profile.columns[1]).toMatchObject({ min: 0, max: 58, histogram: { exact: true } });
  });

  it('tells exact histograms spanning the values from sketch-made or wider ones', () => {
    // Prepare
    const schema = { columns: [{ name: 'v', type: 'float' as const, nullable: true }] };
    const values = Array.from({ length: 50 }, (_, i) => i);
    const profileWith = (ranges: ProfileOptions['ranges']) => {
      const profiler = createProfiler(schema, { ...OPTIONS, ...(ranges && { ranges }) });
      profiler.add({ schema, numRows: values.length, columns: [values] });
      return profiler.result();
    };

    // Act / Assess
    expect(histogramsSpanValues(profileWith({ v: { min: 0, max: 49 } }))).toBe(true);
    expect(histogramsSpanValues(profileWith({ v: { min: -1, max: 49 } }))).toBe(false);
    expect(histogramsSpanValues(profileWith(undefined))).toBe(false);
    const nulls = createProfiler(schema, OPTIONS);
    nulls.add({ schema, numRows: 2, columns: [[null, null]] });
    expect(histogramsSpanValues(nulls.result())).toBe(true);
  });
});

describe('a JSON Lines chunk profiled as it is written', () => {
  const jsonValue = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: -500, max: 500 }) },
    { weight: 3, arbitrary: fc.integer({ min: -500, max: 500 }).map((n) => n / 8) },
    {
      weight: 2,
      arbitrary: fc
        .integer({ min: 0, max: 5000 })
        .map((n) => new Date(Date.UTC(2026, 0, 1) + n * 61_000).toISOString()),
    },
    { weight: 1, arbitrary: fc.constantFrom(null, 'x', true) },
  );
  const jsonl = fc
    .array(fc.record({ id: fc.nat(1000), a: jsonValue, b: jsonValue }), { minLength: 1, maxLength: 60 })
    .map((records) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);

  it('with its own first pass’s ranges, equals its staged file’s profile whenever final, and is final when no record fails', async () => {
    let finals = 0;
    await fc.assert(
      fc.asyncProperty(jsonl, fc.array(fc.nat(), { maxLength: 7 }), async (text, cuts) => {
        // Prepare: the file cut into ranges, each starting at its first line, each with its first pass.
        const bytes = new TextEncoder().encode(text);
        const raw = [...new Set([0, ...cuts.map((c) => c % (bytes.length + 1))])].sort((a, b) => a - b);
        const ranges = await Promise.all(
          jsonlRanges(bytes, raw).map(async ({ start, end }) => {
            const inference = await inferJsonlRange(
              { open: opener(bytes.subarray(start), 6), start, end },
              {},
            );
            return { start, end, inference };
          }),
        );
        const settled = settleJsonRanges(
          'jsonl',
          ranges.map((r) => JSON.parse(JSON.stringify(r.inference))),
          { maxErrorRate: 1 },
          bytes.length,
        );

        for (const range of ranges) {
          // Act: the chunk's second pass, profiled on its way to the writer with its own ranges.
          const read = readJsonlRange(
            { open: opener(bytes.subarray(range.start), 5), start: range.start, end: range.end },
            settled,
          );
          const hints = jsonRangeHints(settled, range.inference);
          const profiled = profileAlong(settled.schema, read.batches, hints, OPTIONS);
          const { bytes: staged } = await collect((write) =>
            writeParquet(settled.schema, profiled.batches, write),
          );

          // Assess
          const final = profiled.final();
          if (read.metrics().recordsFailed === 0 && read.metrics().recordsWritten > 0) {
            expect(final).toBeDefined();
          }
          if (final) {
            finals++;
            expect(final).toEqual(await profileOfStaged(staged));
          }
        }
      }),
      { numRuns: 150 },
    );
    expect(finals).toBeGreaterThan(0);
  });
});
