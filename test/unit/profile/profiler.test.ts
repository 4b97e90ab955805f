import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BoolColumnProfile,
  type ColumnProfile,
  createProfiler,
  type DatasetProfile,
  HyperLogLog,
  KllSketch,
  type NumericColumnProfile,
  PERCENTILES,
  type ProfileOptions,
  rankErrorBound,
  type StringColumnProfile,
} from '../../../shared/domain/profile/index.js';
import type { CellValue, ColumnType, RecordBatch, TableSchema } from '../../../shared/domain/table.js';
import { InvalidInputError } from '../../../shared/errors.js';
import { random } from '../../support/random.js';

function schemaOf(columns: Record<string, ColumnType>): TableSchema {
  return { columns: Object.entries(columns).map(([name, type]) => ({ name, type, nullable: true })) };
}

/** Column-major data cut into batches of the given sizes (the last batch takes the rest). */
function batchesOf(
  schema: TableSchema,
  columns: CellValue[][],
  sizes: readonly number[] = [],
): RecordBatch[] {
  const rows = columns[0]?.length ?? 0;
  const batches: RecordBatch[] = [];
  let start = 0;
  for (const size of [...sizes, rows]) {
    const end = Math.min(rows, start + size);
    batches.push({ schema, numRows: end - start, columns: columns.map((c) => c.slice(start, end)) });
    start = end;
    if (start >= rows) break;
  }
  return batches;
}

function profileOf(
  schema: TableSchema,
  columns: CellValue[][],
  options?: ProfileOptions,
  sizes?: readonly number[],
): DatasetProfile {
  const profiler = createProfiler(schema, options);
  for (const batch of batchesOf(schema, columns, sizes)) profiler.add(batch);
  return profiler.result();
}

function column(profile: DatasetProfile, name: string): ColumnProfile {
  const found = profile.columns.find((c) => c.name === name);
  if (!found) throw new Error(`no column ${name}`);
  return found;
}

function numeric(profile: DatasetProfile, name: string): NumericColumnProfile {
  const found = column(profile, name);
  if (found.type === 'string' || found.type === 'bool') throw new Error(`${name} is not numeric`);
  return found;
}

function text(profile: DatasetProfile, name: string): StringColumnProfile {
  const found = column(profile, name);
  if (found.type !== 'string') throw new Error(`${name} is not a string column`);
  return found;
}

function flag(profile: DatasetProfile, name: string): BoolColumnProfile {
  const found = column(profile, name);
  if (found.type !== 'bool') throw new Error(`${name} is not a bool column`);
  return found;
}

function expectClose(actual: number | null, expected: number, scale: number): void {
  expect(actual).not.toBeNull();
  // Relative to the data's magnitude; subnormal inputs get an absolute floor.
  expect(Math.abs((actual ?? 0) - expected)).toBeLessThanOrEqual(
    1e-9 * (Math.abs(expected) + scale) + 1e-300,
  );
}

const unsigned = (x: number | null | undefined) => (x === 0 ? 0 : x);

// --- The naive reference: everything in memory, sorted, two passes. ---

function checkCommon(actual: ColumnProfile, cells: readonly CellValue[]): CellValue[] {
  const values = cells.filter((v) => v !== null);
  expect(actual.count).toBe(cells.length);
  expect(actual.nulls).toBe(cells.length - values.length);
  expect(actual.nullFraction).toBe(cells.length === 0 ? 0 : (cells.length - values.length) / cells.length);
  expect(actual.distinct).toEqual({ value: new Set(values).size, exact: true });
  return values;
}

function checkNumeric(actual: NumericColumnProfile, cells: readonly CellValue[]): void {
  const values = checkCommon(actual, cells) as number[];
  const finite = values.filter(Number.isFinite);
  const n = finite.length;
  expect(actual.nonFinite).toBe(values.length - n);
  if (n === 0) {
    expect([actual.min, actual.max, actual.mean, actual.std, actual.quantiles]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(actual.histogram).toBeNull();
    return;
  }
  const sorted = Float64Array.from(finite).sort();
  const min = sorted[0] ?? 0;
  const max = sorted[n - 1] ?? 0;
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  const scale = Math.max(Math.abs(min), Math.abs(max));
  // 0 and -0 are the same value; which one a profile reports depends on the order seen.
  expect(unsigned(actual.min)).toBe(unsigned(min));
  expect(unsigned(actual.max)).toBe(unsigned(max));
  expectClose(actual.mean, mean, scale);
  if (n < 2) expect(actual.std).toBeNull();
  else expectClose(actual.std, Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)), scale);
  expect(actual.quantilesExact).toBe(true);
  for (const p of PERCENTILES) {
    expect(unsigned(actual.quantiles?.[`p${p}`])).toBe(unsigned(sorted[Math.ceil((p * n) / 100) - 1]));
  }
  const histogram = actual.histogram;
  expect(histogram?.exact).toBe(true);
  const edges = histogram?.edges ?? [];
  expect(unsigned(edges[0])).toBe(unsigned(min));
  expect(unsigned(edges[edges.length - 1])).toBe(unsigned(max));
  expect(edges.length).toBe(min === max ? 2 : 21);
  const counts = edges.slice(1).map(() => 0);
  for (const v of finite) {
    let bin = 0;
    while (bin < counts.length - 1 && v >= (edges[bin + 1] ?? 0)) bin++;
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  expect(histogram?.counts).toEqual(counts);
}

function topOf(values: readonly string[], k: number): { value: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, k)
    .map(([value, count]) => ({ value, count }));
}

function checkString(actual: StringColumnProfile, cells: readonly CellValue[]): void {
  const values = checkCommon(actual, cells) as string[];
  const lengths = values.map((v) => v.length);
  expect(actual.topK).toEqual(topOf(values, 10));
  expect([actual.topKExact, actual.topKError]).toEqual([true, 0]);
  expect(actual.minLength).toBe(values.length ? Math.min(...lengths) : null);
  expect(actual.maxLength).toBe(values.length ? Math.max(...lengths) : null);
  expect(actual.meanLength).toBe(values.length ? lengths.reduce((a, b) => a + b, 0) / values.length : null);
}

function checkBool(actual: BoolColumnProfile, cells: readonly CellValue[]): void {
  const values = checkCommon(actual, cells) as boolean[];
  expect(actual.trueCount).toBe(values.filter((v) => v).length);
  expect(actual.topK).toEqual(topOf(values.map(String), 10));
}

// --- Arbitraries ---

const mixedSchema = schemaOf({ i: 'int', f: 'float', t: 'timestamp', s: 'string', b: 'bool' });
const cell = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: null, freq: 5 });
const rowArb = fc.tuple(
  cell(fc.integer({ min: -50, max: 50 })),
  cell(
    fc.oneof(
      {
        weight: 8,
        // Squares of magnitudes below 1e-150 underflow, in the reference as much as in the profiler.
        arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => (Math.abs(x) < 1e-150 ? 0 : x)),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0),
      },
    ),
  ),
  cell(fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 })),
  cell(fc.oneof(fc.constantFrom('a', 'b', 'c', ''), fc.string({ maxLength: 4 }))),
  cell(fc.boolean()),
);
const toColumns = (rows: readonly (readonly CellValue[])[]): CellValue[][] =>
  mixedSchema.columns.map((_, c) => rows.map((row) => row[c] ?? null));

describe('profile statistics', () => {
  it('profiles a small table exactly', () => {
    // Prepare
    const schema = schemaOf({ age: 'int', score: 'float', city: 'string', active: 'bool' });
    const columns: CellValue[][] = [
      [30, 40, null, 40, 20],
      [1.5, Number.NaN, 2.5, null, 3.5],
      ['Oslo', 'Lima', 'Oslo', null, 'Oslo'],
      [true, false, true, true, null],
    ];

    // Act
    const profile = profileOf(schema, columns, { histogramBins: 2, includeSketches: false });

    // Assess
    expect(profile).toEqual({
      rowCount: 5,
      columns: [
        {
          name: 'age',
          type: 'int',
          count: 5,
          nulls: 1,
          nullFraction: 0.2,
          distinct: { value: 3, exact: true },
          nonFinite: 0,
          min: 20,
          max: 40,
          mean: 32.5,
          std: Math.sqrt(275 / 3),
          quantiles: { p1: 20, p5: 20, p10: 20, p25: 20, p50: 30, p75: 40, p90: 40, p95: 40, p99: 40 },
          quantilesExact: true,
          histogram: { edges: [20, 30, 40], counts: [1, 3], exact: true },
        },
        {
          name: 'score',
          type: 'float',
          count: 5,
          nulls: 1,
          nullFraction: 0.2,
          distinct: { value: 4, exact: true },
          nonFinite: 1,
          min: 1.5,
          max: 3.5,
          mean: 2.5,
          std: 1,
          quantiles: {
            p1: 1.5,
            p5: 1.5,
            p10: 1.5,
            p25: 1.5,
            p50: 2.5,
            p75: 3.5,
            p90: 3.5,
            p95: 3.5,
            p99: 3.5,
          },
          quantilesExact: true,
          histogram: { edges: [1.5, 2.5, 3.5], counts: [1, 2], exact: true },
        },
        {
          name: 'city',
          type: 'string',
          count: 5,
          nulls: 1,
          nullFraction: 0.2,
          distinct: { value: 2, exact: true },
          topK: [
            { value: 'Oslo', count: 3 },
            { value: 'Lima', count: 1 },
          ],
          topKExact: true,
          topKError: 0,
          minLength: 4,
          maxLength: 4,
          meanLength: 4,
        },
        {
          name: 'active',
          type: 'bool',
          count: 5,
          nulls: 1,
          nullFraction: 0.2,
          distinct: { value: 2, exact: true },
          trueCount: 3,
          topK: [
            { value: 'true', count: 3 },
            { value: 'false', count: 1 },
          ],
          topKExact: true,
          topKError: 0,
        },
      ],
    });
  });

  it('matches a naive reference exactly below the thresholds', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 300 }), (rows) => {
        // Prepare
        const columns = toColumns(rows);

        // Act
        const profile = profileOf(mixedSchema, columns);

        // Assess
        expect(profile.rowCount).toBe(rows.length);
        checkNumeric(numeric(profile, 'i'), columns[0] ?? []);
        checkNumeric(numeric(profile, 'f'), columns[1] ?? []);
        checkNumeric(numeric(profile, 't'), columns[2] ?? []);
        checkString(text(profile, 's'), columns[3] ?? []);
        checkBool(flag(profile, 'b'), columns[4] ?? []);
      }),
      { numRuns: 150 },
    );
  });

  it('gives the same profile however the rows are split into batches', () => {
    // Small limits, so that HyperLogLog, Space-Saving and KLL compaction all take part.
    const options: ProfileOptions = {
      exactDistinctLimit: 20,
      exactQuantileLimit: 30,
      quantileK: 16,
      sketchK: 8,
      hllPrecision: 8,
      sketchPrecision: 6,
      topK: 3,
      topKCapacity: 5,
      ranges: { i: { min: -50, max: 50 } },
    };
    fc.assert(
      fc.property(
        fc.array(rowArb, { maxLength: 400 }),
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 20 }),
        (rows, sizes) => {
          const columns = toColumns(rows);

          const whole = profileOf(mixedSchema, columns, options);
          const split = profileOf(mixedSchema, columns, options, sizes);

          expect(split).toEqual(whole);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('estimates distinct counts within 2% above the exact threshold', () => {
    // Prepare: 150 000 distinct values in 200 000 rows, each column past the 10 000 exact limit.
    const schema = schemaOf({ n: 'int', s: 'string' });
    const rows = 200_000;
    const distinct = 150_000;
    const ints: CellValue[] = Array.from({ length: rows }, (_, r) => (r * 7919) % distinct);
    const strings: CellValue[] = ints.map((v) => `customer-${v}`);

    // Act
    const profile = profileOf(schema, [ints, strings], {}, [65_536, 65_536, 65_536]);

    // Assess
    for (const name of ['n', 's']) {
      const { distinct: estimate } = column(profile, name);
      expect(estimate.exact).toBe(false);
      expect(Math.abs(estimate.value - distinct) / distinct).toBeLessThan(0.02);
    }
    expect(text(profile, 's').topKExact).toBe(false);
  });

  it('counts distinct values exactly up to the limit and estimates one past it', () => {
    const schema = schemaOf({ n: 'float' });
    const at = profileOf(schema, [Array.from({ length: 1000 }, (_, i) => i % 100)], {
      exactDistinctLimit: 100,
    });
    const past = profileOf(schema, [Array.from({ length: 1000 }, (_, i) => i % 101)], {
      exactDistinctLimit: 100,
    });

    expect(column(at, 'n').distinct).toEqual({ value: 100, exact: true });
    expect(column(past, 'n').distinct.exact).toBe(false);
    expect(column(past, 'n').distinct.value).toBeCloseTo(101, -1);
  });

  it('keeps quantiles and sketch-derived histograms within the rank error beyond the exact limit', () => {
    // Prepare
    const next = random(11);
    const values = Array.from({ length: 60_000 }, () => Math.exp(4 * next()));
    const sorted = Float64Array.from(values).sort();
    const n = values.length;
    const bound = rankErrorBound(200);

    // Act
    const profile = numeric(profileOf(schemaOf({ x: 'float' }), [values]), 'x');

    // Assess
    expect(profile.quantilesExact).toBe(false);
    for (const p of PERCENTILES) {
      const v = profile.quantiles?.[`p${p}`] ?? Number.NaN;
      const rank = sorted.findIndex((x) => x > v);
      expect(Math.abs((rank === -1 ? n : rank) - (p * n) / 100) / n).toBeLessThanOrEqual(bound);
    }
    const histogram = profile.histogram;
    expect(histogram?.exact).toBe(false);
    expect(histogram?.counts.reduce((a, b) => a + b, 0)).toBe(n);
    let estimated = 0;
    histogram?.counts.forEach((count, i) => {
      estimated += count;
      const edge = histogram.edges[i + 1] ?? 0;
      const truth = i === histogram.counts.length - 1 ? n : sorted.findIndex((x) => x >= edge);
      expect(Math.abs(estimated - truth) / n).toBeLessThanOrEqual(bound);
    });
  });

  it('counts histograms exactly while streaming when given the value range', () => {
    // Prepare: more values than the exact quantile buffer, so only the hint keeps counts exact.
    const next = random(12);
    const values: CellValue[] = Array.from({ length: 30_000 }, () => Math.floor(next() * 1000) / 10);
    values.push(0, 99.9, null, Number.NaN);
    const options: ProfileOptions = { ranges: { x: { min: 0, max: 99.9 } }, histogramBins: 7 };

    // Act
    const histogram = numeric(profileOf(schemaOf({ x: 'float' }), [values], options), 'x').histogram;

    // Assess
    const edges = histogram?.edges ?? [];
    const expected = edges.slice(1).map((edge, i) => {
      const lo = edges[i] ?? 0;
      const last = i === edges.length - 2;
      return values.filter((v) => typeof v === 'number' && v >= lo && (last ? v <= edge : v < edge)).length;
    });
    expect(histogram?.exact).toBe(true);
    expect(edges).toHaveLength(8);
    expect(histogram?.counts).toEqual(expected);
    expect(expected.reduce((a, b) => a + b, 0)).toBe(30_002);
  });

  it('falls back to the observed range when the hinted range is too narrow or unusable', () => {
    const values: CellValue[] = [1, 2, 3, 50];

    const narrow = profileOf(schemaOf({ x: 'int' }), [values], { ranges: { x: { min: 0, max: 10 } } });
    const reversed = profileOf(schemaOf({ x: 'int' }), [values], { ranges: { x: { min: 9, max: 1 } } });

    for (const profile of [narrow, reversed]) {
      const histogram = numeric(profile, 'x').histogram;
      expect(histogram?.edges[0]).toBe(1);
      expect(histogram?.edges[20]).toBe(50);
      expect(histogram?.counts.reduce((a, b) => a + b, 0)).toBe(4);
      // Four values are well inside the exact quantile buffer: the derived counts are exact.
      expect(histogram?.exact).toBe(true);
    }
  });

  it('makes histogram counts add up to the non-null finite count', () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { maxLength: 200 }),
        fc.integer({ min: 1, max: 30 }),
        fc.boolean(),
        (rows, bins, hinted) => {
          const columns = toColumns(rows);
          const options: ProfileOptions = {
            histogramBins: bins,
            exactQuantileLimit: 0,
            quantileK: 8,
            sketchK: 8,
            ...(hinted ? { ranges: { i: { min: -50, max: 50 }, f: { min: -1e6, max: 1e6 } } } : {}),
          };

          const profile = profileOf(mixedSchema, columns, options);

          for (const name of ['i', 'f', 't']) {
            const stats = numeric(profile, name);
            const finite = stats.count - stats.nulls - stats.nonFinite;
            expect(stats.histogram?.counts.reduce((a, b) => a + b, 0) ?? 0).toBe(finite);
          }
        },
      ),
    );
  });

  it.each([
    ['1e9 + noise', 1e9, 1, 2 ** -20],
    ['epoch milliseconds', 1.7e12, 1000, 2 ** -10],
    ['1e15 + small numbers', 1e15, 100, 2 ** -3],
  ])('computes mean and std stably on large offsets (%s)', (_, offset, spread, resolution) => {
    // Prepare: offset + d is exact at this resolution, so the reference works on the small parts d.
    const next = random(13);
    const parts = Array.from(
      { length: 100_000 },
      () => Math.round((next() * spread) / resolution) * resolution,
    );
    const values = parts.map((d) => offset + d);
    expect(values.every((v, i) => v - offset === parts[i])).toBe(true);
    const n = parts.length;
    const partMean = parts.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(parts.reduce((a, b) => a + (b - partMean) ** 2, 0) / (n - 1));

    // Act
    const profile = numeric(profileOf(schemaOf({ x: 'float' }), [values]), 'x');

    // Assess: textbook Σx² - (Σx)²/n would lose every digit of std here.
    // Within an ulp or so of the offset: the rounding of offset + mean itself.
    expect(Math.abs((profile.mean ?? 0) - (offset + partMean))).toBeLessThanOrEqual(offset * 4e-16);
    expect(Math.abs((profile.std ?? 0) - std) / std).toBeLessThan(1e-6);
  });

  it('keeps exact top-k below the limit and Space-Saving bounds above it', () => {
    // Prepare: a few hot values among many unique ones.
    const values: CellValue[] = Array.from({ length: 50_000 }, (_, i) =>
      i % 3 === 0 ? `hot-${i % 4}` : `id-${i}`,
    );
    const truth = topOf(values as string[], 4);

    // Act
    const profile = text(
      profileOf(schemaOf({ s: 'string' }), [values], {
        exactDistinctLimit: 1000,
        topK: 4,
        topKCapacity: 200,
      }),
      's',
    );

    // Assess
    expect(profile.topKExact).toBe(false);
    expect(profile.topK.map((e) => e.value)).toEqual(truth.map((e) => e.value));
    profile.topK.forEach((entry, i) => {
      const count = truth[i]?.count ?? 0;
      expect(entry.count).toBeGreaterThanOrEqual(count);
      expect(entry.count - profile.topKError).toBeLessThanOrEqual(count);
    });
    expect(profile.topKError).toBeLessThanOrEqual(50_000 / 200);
  });

  it('stores mergeable sketches: merged per-file sketches match the concatenated data', () => {
    // Prepare: two "files" with overlapping values.
    const schema = schemaOf({ x: 'float', s: 'string' });
    const next = random(14);
    const file = (from: number) => {
      const xs = Array.from({ length: 40_000 }, () => from + Math.floor(next() * 30_000));
      return [xs, xs.map((v) => `v${v}`)];
    };
    const a = file(0);
    const b = file(20_000);
    const all = [...(a[0] ?? []), ...(b[0] ?? [])];
    const sorted = Float64Array.from(all).sort();

    // Act
    const [first, second] = [profileOf(schema, a), profileOf(schema, b)].map((p) => {
      const { x, s } = p.sketches ?? {};
      if (!x?.quantiles || !s) throw new Error('sketches missing');
      return { x: { distinct: x.distinct, quantiles: x.quantiles }, s };
    });
    if (!first || !second) throw new Error('two profiles expected');
    const distinct = HyperLogLog.deserialize(first.x.distinct).merge(
      HyperLogLog.deserialize(second.x.distinct),
    );
    const strings = HyperLogLog.deserialize(first.s.distinct).merge(
      HyperLogLog.deserialize(second.s.distinct),
    );
    const quantiles = KllSketch.deserialize(first.x.quantiles).merge(
      KllSketch.deserialize(second.x.quantiles),
    );

    // Assess
    const trueDistinct = new Set(all).size;
    expect(Math.abs(distinct.estimate() - trueDistinct) / trueDistinct).toBeLessThan(
      3 * distinct.standardError,
    );
    expect(Math.abs(strings.estimate() - trueDistinct) / trueDistinct).toBeLessThan(
      3 * strings.standardError,
    );
    expect(quantiles.count).toBe(all.length);
    for (const q of [0.1, 0.5, 0.9]) {
      const v = quantiles.quantile(q);
      const rank = sorted.findIndex((x) => x > v);
      // Each stored sketch was reduced from k = 200 to k = 64: both errors add up at most.
      expect(Math.abs(rank - q * all.length) / all.length).toBeLessThanOrEqual(
        rankErrorBound(64) + rankErrorBound(200),
      );
    }
  });

  it('keeps the JSON of a typical 20-column profile with its sketches around 50 KB', () => {
    // Prepare: 10 high-cardinality numeric columns, 4 high-cardinality strings, 4 categories, 2 flags.
    const rows = 50_000;
    const next = random(15);
    const types: ColumnType[] = [
      ...Array<ColumnType>(8).fill('float'),
      'int',
      'timestamp',
      ...Array<ColumnType>(8).fill('string'),
      'bool',
      'bool',
    ];
    const schema = schemaOf(Object.fromEntries(types.map((t, i) => [`c${i}`, t])));
    const columns = types.map((type, c): CellValue[] =>
      Array.from({ length: rows }, (_, r) => {
        if (type === 'bool') return next() < 0.3;
        if (type === 'string') return c < 14 ? `user-${Math.floor(next() * 1e9)}` : `cat-${r % 12}`;
        if (type === 'timestamp') return 1.7e12 + Math.floor(next() * 1e10);
        return type === 'int' ? Math.floor(next() * 1e6) : next() * 1000;
      }),
    );

    // Act
    const json = JSON.stringify(profileOf(schema, columns));

    // Assess: ~15 KB of summaries, ~3 KB of sketches per numeric column, ~1 KB per string column.
    expect(json.length).toBeLessThan(55_000);
  });

  it('profiles an empty table', () => {
    const profile = profileOf(mixedSchema, [[], [], [], [], []]);

    expect(profile.rowCount).toBe(0);
    expect(numeric(profile, 'f')).toMatchObject({
      count: 0,
      nullFraction: 0,
      distinct: { value: 0, exact: true },
      min: null,
      quantiles: null,
      histogram: null,
    });
    expect(text(profile, 's')).toMatchObject({ topK: [], minLength: null, meanLength: null });
  });

  it('rejects batches that do not match the schema, cells of the wrong type and invalid options', () => {
    const schema = schemaOf({ x: 'int' });
    const profiler = createProfiler(schema);

    expect(() => profiler.add({ schema: schemaOf({ y: 'int' }), numRows: 1, columns: [[1]] })).toThrow(
      InvalidInputError,
    );
    expect(() => profiler.add({ schema, numRows: 2, columns: [[1]] })).toThrow(InvalidInputError);
    expect(() => profiler.add({ schema, numRows: 1, columns: [['1']] })).toThrow(/int but holds a string/);
    const flags = schemaOf({ b: 'bool' });
    expect(() => createProfiler(flags).add({ schema: flags, numRows: 1, columns: [[1]] })).toThrow(
      /bool but holds a number/,
    );
    expect(() => createProfiler(schema, { histogramBins: 0 })).toThrow(InvalidInputError);
    expect(() => createProfiler(schema, { hllPrecision: 20 })).toThrow(InvalidInputError);
    expect(() => createProfiler(schema, { sketchK: 300 })).toThrow(InvalidInputError);
  });
});
