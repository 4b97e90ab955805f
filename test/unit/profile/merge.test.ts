import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ColumnProfile,
  createProfiler,
  type DatasetProfile,
  KllSketch,
  type MergeOptions,
  mergeProfiles,
  type NumericColumnProfile,
  PERCENTILES,
  type ProfileOptions,
  rankErrorBound,
} from '../../../shared/domain/profile/index.js';
import type { CellValue, ColumnType, TableSchema } from '../../../shared/domain/table.js';
import { InvalidInputError, SchemaMismatchError } from '../../../shared/errors.js';

type Row = Record<string, CellValue>;

function schemaOf(columns: Record<string, ColumnType>): TableSchema {
  return { columns: Object.entries(columns).map(([name, type]) => ({ name, type, nullable: true })) };
}

/** Profiles rows in two batches (the profile does not depend on the batching). */
function profileOf(schema: TableSchema, rows: readonly Row[], options?: ProfileOptions): DatasetProfile {
  const profiler = createProfiler(schema, options);
  const half = rows.length >> 1;
  for (const part of [rows.slice(0, half), rows.slice(half)]) {
    profiler.add({
      schema,
      numRows: part.length,
      columns: schema.columns.map((c) => part.map((row) => row[c.name] ?? null)),
    });
  }
  return profiler.result();
}

/** What the version stage does between appends: the profile is stored as JSON and read back. */
const stored = (profile: DatasetProfile): DatasetProfile => JSON.parse(JSON.stringify(profile));

const unsigned = (x: number | null | undefined) => (x === 0 ? 0 : x);

function columnOf(profile: DatasetProfile, name: string): ColumnProfile {
  const found = profile.columns.find((c) => c.name === name);
  if (!found) throw new Error(`no column ${name}`);
  return found;
}

function numeric(profile: DatasetProfile, name: string): NumericColumnProfile {
  const found = columnOf(profile, name);
  if (found.type === 'string' || found.type === 'bool') throw new Error(`${name} is not numeric`);
  return found;
}

// --- Tables: the core columns on every side, `y` only in the first part, `x` only in the later ones. ---

const core = { i: 'int', f: 'float', t: 'timestamp', s: 'string', b: 'bool' } as const;
const firstSchema = schemaOf({ ...core, y: 'string' });
const laterSchema = schemaOf({ ...core, x: 'float' });
const unionSchema = schemaOf({ ...core, y: 'string', x: 'float' });

const cell = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: null, freq: 5 });
const float = fc.oneof(
  // Squares of magnitudes below 1e-150 underflow, in the reference as much as in the profiler.
  {
    weight: 8,
    arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => (Math.abs(x) < 1e-150 ? 0 : x)),
  },
  { weight: 3, arbitrary: fc.integer({ min: -20, max: 20 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0),
  },
);
const text = fc.oneof(fc.constantFrom('a', 'b', 'c', 'dd', 'eee', ''), fc.string({ maxLength: 6 }));
const rowArb: fc.Arbitrary<Row> = fc.record({
  i: cell(fc.integer({ min: -300, max: 300 })),
  f: cell(float),
  t: cell(fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 })),
  s: cell(text),
  b: cell(fc.boolean()),
  y: cell(text),
  x: cell(float),
});

/**
 * Two option sets: the defaults (small tables stay exact in each profile, so the merge's sketch paths
 * meet exact answers) and one with tiny limits, so every profile is already a sketch (HyperLogLog
 * distinct counts, compacted KLL, Space-Saving top-k) before it is merged.
 */
const configs: { name: string; profile: ProfileOptions; merge: MergeOptions }[] = [
  { name: 'defaults', profile: {}, merge: {} },
  {
    name: 'tiny limits',
    profile: {
      exactDistinctLimit: 12,
      hllPrecision: 12,
      sketchPrecision: 10,
      quantileK: 16,
      sketchK: 16,
      exactQuantileLimit: 0,
      histogramBins: 5,
      topK: 3,
      topKCapacity: 6,
    },
    merge: { topK: 3, histogramBins: 5 },
  },
];

// --- Checks of a merged profile against the rows it describes and the profile of all of them. ---

/** Exactly the same as the profile of all the rows: the fields a merge keeps exact. */
function expectExactFields(merged: DatasetProfile, truth: DatasetProfile): void {
  expect(merged.rowCount).toBe(truth.rowCount);
  expect(merged.columns.map((c) => [c.name, c.type])).toEqual(truth.columns.map((c) => [c.name, c.type]));
  for (const expected of truth.columns) {
    const actual = columnOf(merged, expected.name);
    expect([actual.count, actual.nulls, actual.nullFraction]).toEqual([
      expected.count,
      expected.nulls,
      expected.nullFraction,
    ]);
    if (actual.type === 'string' && expected.type === 'string') {
      expect([actual.minLength, actual.maxLength, actual.meanLength]).toEqual([
        expected.minLength,
        expected.maxLength,
        expected.meanLength,
      ]);
    } else if (actual.type === 'bool' && expected.type === 'bool') {
      expect([actual.trueCount, actual.topK, actual.distinct]).toEqual([
        expected.trueCount,
        expected.topK,
        expected.distinct,
      ]);
    } else if (
      actual.type !== 'string' &&
      actual.type !== 'bool' &&
      expected.type !== 'string' &&
      expected.type !== 'bool'
    ) {
      expect(actual.nonFinite).toBe(expected.nonFinite);
      // 0 and -0 are the same value; which one a profile reports depends on the order seen.
      expect([unsigned(actual.min), unsigned(actual.max)]).toEqual([
        unsigned(expected.min),
        unsigned(expected.max),
      ]);
      expectMoments(actual, expected);
    }
  }
}

/**
 * Mean within 1e-12 of the data's magnitude (a mean near 0 of large values has only absolute accuracy,
 * in the profiler as much as in the merge); std within 1e-12 of itself.
 */
function expectMoments(actual: NumericColumnProfile, expected: NumericColumnProfile): void {
  if (expected.mean === null || expected.min === null || expected.max === null) {
    expect([actual.mean, actual.std]).toEqual([null, null]);
    return;
  }
  const magnitude = Math.max(Math.abs(expected.min), Math.abs(expected.max));
  expect(Math.abs((actual.mean ?? Number.NaN) - expected.mean)).toBeLessThanOrEqual(1e-12 * magnitude);
  if (expected.std === null) {
    expect(actual.std).toBeNull();
    return;
  }
  expect(Math.abs((actual.std ?? Number.NaN) - expected.std)).toBeLessThanOrEqual(1e-12 * expected.std);
}

/** The sketch-backed fields against the rows themselves, within the sketches' bounds. */
function expectWithinBounds(merged: DatasetProfile, rows: readonly Row[], options: ProfileOptions): void {
  for (const column of merged.columns) {
    const cells = rows.map((row) => row[column.name] ?? null);
    const values = cells.filter((v) => v !== null);
    const sketch = merged.sketches?.[column.name];
    expect(sketch?.distinct).toBeDefined();
    expectDistinct(column, new Set(values).size, sketch?.distinct.precision ?? 0);
    if (column.type === 'string') {
      const counts = new Map<string, number>();
      for (const v of values as string[]) counts.set(v, (counts.get(v) ?? 0) + 1);
      for (const entry of column.topK) {
        const count = counts.get(entry.value) ?? 0;
        // Upper bounds, at most topKError too high.
        expect(entry.count).toBeGreaterThanOrEqual(count);
        expect(entry.count).toBeLessThanOrEqual(count + column.topKError);
      }
      if (column.topKExact) {
        const truth = [...counts]
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
          .slice(0, options.topK ?? 10)
          .map(([value, count]) => ({ value, count }));
        expect(column.topK).toEqual(truth);
      }
    } else if (column.type !== 'bool') {
      expect(sketch?.quantiles).toBeDefined();
      expectQuantiles(column, values as number[], sketch?.quantiles?.k ?? 0, options);
    }
  }
}

function expectDistinct(column: ColumnProfile, truth: number, precision: number): void {
  if (column.distinct.exact) {
    expect(column.distinct.value).toBe(truth);
    return;
  }
  // A generous multiple of the HyperLogLog's relative standard error, at the merged sketch's precision,
  // plus two: at a handful of values one register collision (two values, one register) is already
  // more than that share, and the sketch cannot tell it from a repeat.
  const error = 1.04 / Math.sqrt(2 ** precision);
  expect(Math.abs(column.distinct.value - truth)).toBeLessThanOrEqual(5 * error * truth + 2);
}

/** Every reported quantile's true rank is within ε·n of its target; histograms count within ε·n too. */
function expectQuantiles(
  column: NumericColumnProfile,
  values: readonly number[],
  sketchK: number,
  options: ProfileOptions,
): void {
  const sorted = Float64Array.from(values.filter(Number.isFinite)).sort();
  const n = sorted.length;
  if (n === 0) {
    expect([column.quantiles, column.histogram]).toEqual([null, null]);
    return;
  }
  // A stored sketch is reduced from the profile's own (k = quantileK): both errors add up at most.
  const epsilon = column.quantilesExact
    ? 0
    : rankErrorBound(sketchK) + rankErrorBound(options.quantileK ?? 200);
  const below = (v: number) => (sorted.findIndex((x) => x >= v) === -1 ? n : sorted.findIndex((x) => x >= v));
  const atMost = (v: number) => (sorted.findIndex((x) => x > v) === -1 ? n : sorted.findIndex((x) => x > v));
  for (const p of PERCENTILES) {
    const v = column.quantiles?.[`p${p}`] ?? Number.NaN;
    const target = Math.max(1, Math.ceil((p * n) / 100 - 1e-9));
    // The value holds ranks below(v)+1 … atMost(v); one of them must be close enough to the target.
    const distance = Math.max(0, below(v) + 1 - target, target - atMost(v));
    expect(distance).toBeLessThanOrEqual(epsilon * n + 1e-9);
  }
  const histogram = column.histogram;
  expect(histogram).not.toBeNull();
  const edges = histogram?.edges ?? [];
  const counts = histogram?.counts ?? [];
  expect(edges.length).toBe(counts.length + 1);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
  const histogramError = histogram?.exact ? 0 : epsilon;
  let cumulative = 0;
  for (let i = 0; i < counts.length - 1; i++) {
    cumulative += counts[i] ?? 0;
    expect(Math.abs(cumulative - below(edges[i + 1] ?? 0))).toBeLessThanOrEqual(histogramError * n + 1e-9);
  }
}

const splits = (rows: readonly Row[], cuts: readonly number[]): Row[][] => {
  const at = cuts.map((c) => c % (rows.length + 1)).sort((a, b) => a - b);
  return [0, ...at].map((start, i) => rows.slice(start, at[i] ?? rows.length));
};

describe('mergeProfiles', () => {
  it.each(configs)('merges two profiles into the profile of all their rows ($name)', (config) => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 300, size: 'max' }), fc.nat(), (rows, cut) => {
        // Prepare: a table split at a random point; y exists only before it, x only after.
        const [first = [], second = []] = splits(rows, [cut]);
        const a = profileOf(firstSchema, first, config.profile);
        const b = profileOf(laterSchema, second, config.profile);
        const all = rows.map((row, i) => (i < first.length ? { ...row, x: null } : { ...row, y: null }));
        const truth = profileOf(unionSchema, all, config.profile);

        // Act
        const merged = mergeProfiles(stored(a), stored(b), config.merge);

        // Assess
        expectExactFields(merged, truth);
        expectWithinBounds(merged, all, config.profile);
      }),
      { numRuns: 60 },
    );
  });

  it.each(configs)('is associative within the sketch bounds ($name)', (config) => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { maxLength: 300, size: 'max' }),
        fc.nat(),
        fc.nat(),
        (rows, cut1, cut2) => {
          // Prepare: three parts; y only in the first, x only in the later two.
          const [first = [], second = [], third = []] = splits(rows, [cut1, cut2]);
          const [a, b, c] = [
            profileOf(firstSchema, first, config.profile),
            profileOf(laterSchema, second, config.profile),
            profileOf(laterSchema, third, config.profile),
          ];
          const all = rows.map((row, i) => (i < first.length ? { ...row, x: null } : { ...row, y: null }));
          const truth = profileOf(unionSchema, all, config.profile);

          // Act
          const leftFirst = mergeProfiles(stored(mergeProfiles(a, b, config.merge)), c, config.merge);
          const rightFirst = mergeProfiles(a, stored(mergeProfiles(b, c, config.merge)), config.merge);

          // Assess
          for (const merged of [leftFirst, rightFirst]) {
            expectExactFields(merged, truth);
            expectWithinBounds(merged, all, config.profile);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it.each(configs)('folds eight or more chunk profiles into the profile of the file ($name)', (config) => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { maxLength: 400, size: 'max' }),
        fc.array(fc.nat(), { minLength: 7, maxLength: 15 }),
        (rows, cuts) => {
          // Prepare: the file cut into chunks as the chunked path does, each profiled on its own.
          const all = rows.map((row) => ({ ...row }));
          const chunks = splits(all, cuts).map((chunk) => profileOf(unionSchema, chunk, config.profile));
          const truth = profileOf(unionSchema, all, config.profile);

          // Act: folded in file order, each step stored as JSON as a merge step would.
          const [first, ...rest] = chunks;
          let merged = first ?? truth;
          for (const chunk of rest) merged = mergeProfiles(stored(merged), stored(chunk), config.merge);

          // Assess
          expect(chunks.length).toBeGreaterThanOrEqual(8);
          expectExactFields(merged, truth);
          expectWithinBounds(merged, all, config.profile);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('is the identity next to an empty profile', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 200, size: 'max' }), (rows) => {
        // Prepare
        const profile = profileOf(laterSchema, rows);
        const empty = profileOf(laterSchema, []);

        // Act
        const merged = [mergeProfiles(profile, empty), mergeProfiles(stored(empty), stored(profile))];

        // Assess: nothing changes, exact answers included (up to the JSON form of the sketches).
        for (const m of merged) expect(stored(m)).toEqual(stored(profile));
      }),
      { numRuns: 30 },
    );
  });

  it('stores the moments the profile reports, and merges profiles stored without them', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 300, size: 'max' }), fc.nat(), (rows, cut) => {
        // Prepare: profiles as stored before moments were (their mean and std are all there is).
        const schema = schemaOf({ i: 'int', f: 'float' });
        const [first = [], second = []] = splits(rows, [cut]);
        const [a, b] = [profileOf(schema, first), profileOf(schema, second)];
        const withoutMoments = (profile: DatasetProfile): DatasetProfile => {
          const copy = stored(profile);
          for (const sketch of Object.values(copy.sketches ?? {})) delete sketch.moments;
          return copy;
        };

        // Act
        const merged = mergeProfiles(withoutMoments(a), withoutMoments(b));

        // Assess
        for (const name of ['i', 'f']) {
          const column = numeric(a, name);
          const moments = a.sketches?.[name]?.moments;
          const n = column.count - column.nulls - column.nonFinite;
          if (n > 0) expect((moments?.shift ?? 0) + (moments?.mean ?? 0)).toBe(column.mean);
          if (n > 1) expect(Math.sqrt((moments?.m2 ?? 0) / (n - 1))).toBe(column.std);
        }
        expectExactFields(merged, profileOf(schema, rows));
      }),
      { numRuns: 40 },
    );
  });

  it('keeps distinct counts and top-k exact while both lists hold every value', () => {
    // Prepare: few categories on each side, overlapping.
    const schema = schemaOf({ s: 'string' });
    const a = profileOf(
      schema,
      ['red', 'red', 'green', null].map((s) => ({ s })),
    );
    const b = profileOf(
      schema,
      ['red', 'blue', 'blue', 'blue'].map((s) => ({ s })),
    );

    // Act
    const merged = columnOf(mergeProfiles(a, b), 's');

    // Assess
    expect(merged).toMatchObject({
      distinct: { value: 3, exact: true },
      topK: [
        { value: 'blue', count: 3 },
        { value: 'red', count: 3 },
        { value: 'green', count: 1 },
      ],
      topKExact: true,
      topKError: 0,
    });
  });

  it('keeps an estimated distinct count between the larger exact count and the sum of both', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 80 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 80 }),
        (left, right) => {
          // Prepare: 16-register sketches, whose estimates are often 25% off.
          const schema = schemaOf({ v: 'int' });
          const options = { hllPrecision: 4, sketchPrecision: 4 };
          const a = profileOf(
            schema,
            left.map((v) => ({ v })),
            options,
          );
          const b = profileOf(
            schema,
            right.map((v) => ({ v })),
            options,
          );

          // Act
          const { distinct } = columnOf(mergeProfiles(a, b), 'v');

          // Assess
          expect(distinct.exact).toBe(false);
          expect(distinct.value).toBeGreaterThanOrEqual(Math.max(left.length, right.length));
          expect(distinct.value).toBeLessThanOrEqual(left.length + right.length);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('keeps cut-off top-k lists exact when both list the same values', () => {
    // Prepare: top-1 lists cut from exact counts; z ties x on the second side and sorts after it.
    const schema = schemaOf({ s: 'string' });
    const a = profileOf(
      schema,
      ['x', 'x', 'x', 'z', 'z'].map((s) => ({ s })),
      { topK: 1 },
    );
    const b = profileOf(
      schema,
      ['z', 'x', 'z', 'x'].map((s) => ({ s })),
      { topK: 1 },
    );

    // Act
    const merged = columnOf(mergeProfiles(a, b, { topK: 1 }), 's');

    // Assess: z can have at most 3 + 2 = 5, x has exactly 5, and x sorts first.
    expect(merged).toMatchObject({ topK: [{ value: 'x', count: 5 }], topKExact: true, topKError: 0 });
  });

  it('bounds a value one side left out by that side smallest listed count', () => {
    // Prepare: top-1 lists; 'b' is cut from the first side's list (1 ≤ the kept count 3).
    const schema = schemaOf({ s: 'string' });
    const a = profileOf(
      schema,
      ['a', 'a', 'a', 'b'].map((s) => ({ s })),
      { topK: 1 },
    );
    const b = profileOf(
      schema,
      ['b', 'b'].map((s) => ({ s })),
      { topK: 1 },
    );

    // Act
    const merged = columnOf(mergeProfiles(a, b, { topK: 1 }), 's');

    // Assess: b counts 2 + at most 3 from the first side: 5, an upper bound of its true 3.
    expect(merged).toMatchObject({ topK: [{ value: 'b', count: 5 }], topKExact: false, topKError: 3 });
  });

  it('widens int and float to float', () => {
    // Prepare
    const a = profileOf(
      schemaOf({ v: 'int' }),
      [1, 2, 3].map((v) => ({ v })),
    );
    const b = profileOf(
      schemaOf({ v: 'float' }),
      [0.5, 4.5].map((v) => ({ v })),
    );
    const truth = profileOf(
      schemaOf({ v: 'float' }),
      [1, 2, 3, 0.5, 4.5].map((v) => ({ v })),
    );

    // Act
    const merged = mergeProfiles(a, b);

    // Assess
    expectExactFields(merged, truth);
    expect(columnOf(merged, 'v').type).toBe('float');
  });

  it('sums histograms with the same edges and rebuilds them from the sketch otherwise', () => {
    // Prepare: the same range hint on both sides, then none.
    const schema = schemaOf({ v: 'float' });
    const left = Array.from({ length: 500 }, (_, i) => ({ v: (i * 7) % 100 }));
    const right = Array.from({ length: 300 }, (_, i) => ({ v: 50 + ((i * 13) % 150) }));
    const hint = { ranges: { v: { min: 0, max: 200 } } };

    // Act
    const hinted = numeric(mergeProfiles(profileOf(schema, left, hint), profileOf(schema, right, hint)), 'v');
    const observed = numeric(mergeProfiles(profileOf(schema, left), profileOf(schema, right)), 'v');

    // Assess: hinted bins are exact sums; observed ones span the merged range within the KLL bound.
    expect(hinted.histogram).toEqual(numeric(profileOf(schema, [...left, ...right], hint), 'v').histogram);
    expect(observed.histogram?.edges[0]).toBe(0);
    expect(observed.histogram?.edges.at(-1)).toBe(199);
    expect(observed.histogram?.exact).toBe(false);
    expectQuantiles(
      observed,
      [...left, ...right].map((r) => r.v),
      64,
      {},
    );
  });

  it('merges the serialized sketches so the result merges again', () => {
    // Prepare
    const schema = schemaOf({ v: 'float' });
    const part = (from: number) => Array.from({ length: 2000 }, (_, i) => ({ v: from + i }));
    const [a, b] = [profileOf(schema, part(0)), profileOf(schema, part(1000))];

    // Act
    const merged = mergeProfiles(a, b);
    const sketch = merged.sketches?.v?.quantiles;

    // Assess: the merged KLL sketch holds every finite value once.
    expect(sketch && KllSketch.deserialize(sketch).count).toBe(4000);
    expect(columnOf(merged, 'v').distinct.exact).toBe(false);
    expectDistinct(columnOf(merged, 'v'), 3000, merged.sketches?.v?.distinct.precision ?? 0);
  });

  it('rejects type changes other than int to float, and profiles without sketches', () => {
    // Prepare
    const profile = (type: ColumnType, cell: CellValue) => profileOf(schemaOf({ v: type }), [{ v: cell }]);
    const bare = profileOf(schemaOf({ v: 'int' }), [{ v: 1 }], { includeSketches: false });

    // Act
    const attempts = [
      () => mergeProfiles(profile('int', 1), profile('string', 'a')),
      () => mergeProfiles(profile('timestamp', 1), profile('int', 1)),
      () => mergeProfiles(profile('bool', true), profile('float', 1)),
    ];

    // Assess
    for (const attempt of attempts) expect(attempt).toThrow(SchemaMismatchError);
    expect(() => mergeProfiles(bare, profile('int', 2))).toThrow(InvalidInputError);
    expect(() => mergeProfiles(profile('int', 2), profile('int', 3), { topK: -1 })).toThrow(
      InvalidInputError,
    );
  });
});
