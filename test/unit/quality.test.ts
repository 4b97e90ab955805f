import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createProfiler, type ProfileOptions } from '../../shared/domain/profile/index.js';
import {
  type ColumnQuality,
  createQualityAssessor,
  DEFAULT_QUALITY_THRESHOLDS,
  QUALITY_ISSUE_SEVERITIES,
  type QualityIssue,
  type QualityIssueKind,
  type QualityOptions,
  type QualityReport,
  qualityStatusAtLeast,
  qualityStatusOf,
} from '../../shared/domain/quality/index.js';
import type { CellValue, ColumnType, RecordBatch, TableSchema } from '../../shared/domain/table.js';
import { InvalidInputError } from '../../shared/errors.js';
import { random } from '../support/random.js';

// --- Helpers ---

function schemaOf(columns: Record<string, ColumnType>): TableSchema {
  return { columns: Object.entries(columns).map(([name, type]) => ({ name, type, nullable: true })) };
}

/** Column-major data cut into batches of the given sizes (then of the last size, or all at once). */
function batchesOf(
  schema: TableSchema,
  columns: CellValue[][],
  sizes: readonly number[] = [],
): RecordBatch[] {
  const rows = columns[0]?.length ?? 0;
  const batches: RecordBatch[] = [];
  let start = 0;
  let i = 0;
  while (start < rows || batches.length === 0) {
    const size = sizes[i] ?? sizes[sizes.length - 1] ?? rows;
    const end = Math.min(rows, start + Math.max(1, size));
    batches.push({ schema, numRows: end - start, columns: columns.map((c) => c.slice(start, end)) });
    start = end;
    i++;
  }
  return batches;
}

interface AssessOptions {
  sizes?: readonly number[];
  profile?: ProfileOptions;
}

/** Profiles the rows with the real profiler, then assesses them: the pipeline's two stages. */
function assess(
  schema: TableSchema,
  columns: CellValue[][],
  options: QualityOptions = {},
  { sizes = [256], profile: profileOptions }: AssessOptions = {},
): QualityReport {
  const profiler = createProfiler(schema, profileOptions);
  for (const batch of batchesOf(schema, columns, [1000])) profiler.add(batch);
  const assessor = createQualityAssessor(schema, profiler.result(), options);
  for (const batch of batchesOf(schema, columns, sizes)) assessor.add(batch);
  return assessor.result();
}

function columnOf(report: QualityReport, name: string): ColumnQuality {
  const found = report.columns.find((c) => c.column === name);
  if (!found) throw new Error(`no column ${name}`);
  return found;
}

function issuesOf(report: QualityReport, kind: QualityIssueKind, column?: string): QualityIssue[] {
  return report.issues.filter((i) => i.kind === kind && (column === undefined || i.column === column));
}

function gaussian(rnd: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

/** A seeded permutation of 0..n-1 (Fisher–Yates). */
function permutation(n: number, seed: number): number[] {
  const rnd = random(seed);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [p[i], p[j]] = [p[j] ?? 0, p[i] ?? 0];
  }
  return p;
}

function reorder(columns: CellValue[][], order: readonly number[]): CellValue[][] {
  return columns.map((c) => order.map((i) => c[i] ?? null));
}

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;

// --- Behaviour ---

describe('quality assessment', () => {
  it('rates a clean, smooth sensor file EXCELLENT with no issues and no recommendations', () => {
    // Prepare: two smooth signals with a little noise, a category and a flag, one row a minute.
    const n = 2000;
    const rnd = random(11);
    const noise = gaussian(rnd);
    const schema = schemaOf({
      t: 'timestamp',
      temperature: 'float',
      pressure: 'float',
      site: 'string',
      open: 'bool',
    });
    const columns: CellValue[][] = [
      Array.from({ length: n }, (_, i) => T0 + i * MINUTE),
      Array.from({ length: n }, (_, i) => 20 + 5 * Math.sin((2 * Math.PI * i) / 500) + 0.05 * noise()),
      Array.from({ length: n }, (_, i) => 1013 + 3 * Math.cos((2 * Math.PI * i) / 1500) + 0.05 * noise()),
      Array.from({ length: n }, () => ['north', 'south', 'east'][Math.floor(rnd() * 3)] ?? null),
      Array.from({ length: n }, () => rnd() < 0.5),
    ];

    // Act
    const report = assess(schema, columns);

    // Assess
    expect(report).toMatchObject({
      kind: 'quality',
      rows: n,
      timeColumn: 't',
      order: 'time',
      duplicates: { count: 0, fraction: 0 },
      issues: [],
      score: 100,
      status: 'EXCELLENT',
      recommendations: [],
    });
    expect(report.notes).toBeUndefined();
    for (const column of report.columns) {
      expect(column).toMatchObject({ rows: n, missing: { count: 0, fraction: 0 }, score: 100 });
      expect(column.status).toBe('EXCELLENT');
      expect(column.constantPeriods?.minRun).toBe(10);
    }
    expect(columnOf(report, 'temperature').noise?.ratio).toBeLessThan(0.1);
    expect(columnOf(report, 'site').distinct).toBe(3);
    expect(columnOf(report, 'site').outliers).toBeUndefined();
    expect(columnOf(report, 't').outliers).toBeUndefined();
  });

  it.each([
    [5, null, 100, 'EXCELLENT'],
    [20, 'MINOR', 95, 'EXCELLENT'],
    [150, 'MAJOR', 85, 'GOOD'],
    [600, 'CRITICAL', 60, 'POOR'],
  ] as const)(
    'with %i of 1000 values missing raises %s, scores %i and rates the file %s',
    (missing, severity, score, status) => {
      // Prepare: nulls spread over the file by a fixed stride pattern.
      const n = 1000;
      const noise = gaussian(random(7));
      const schema = schemaOf({ id: 'int', x: 'float' });
      const columns: CellValue[][] = [
        Array.from({ length: n }, (_, i) => i),
        Array.from({ length: n }, (_, i) => ((i * 7919) % n < missing ? null : noise())),
      ];

      // Act
      const report = assess(schema, columns);

      // Assess
      const x = columnOf(report, 'x');
      expect(x.missing).toEqual({ count: missing, fraction: missing / n });
      const issues = issuesOf(report, 'missing_values', 'x');
      if (severity === null) {
        expect(issues).toEqual([]);
      } else {
        expect(issues).toEqual([
          {
            kind: 'missing_values',
            column: 'x',
            severity,
            value: missing / n,
            penalty: DEFAULT_QUALITY_THRESHOLDS.penalties[severity],
            message: expect.stringContaining(`missing ${missing} of ${n}`),
          },
        ]);
        expect(report.recommendations).toContainEqual({
          code: 'IMPUTE_OR_DROP_MISSING',
          column: 'x',
          message: expect.stringContaining(`"x" is missing ${missing} values`),
        });
      }
      expect([report.score, report.status]).toEqual([score, status]);
      expect([x.score, x.status]).toEqual([score, status]);
    },
  );

  it('counts NaN in a numeric column as missing, like null', () => {
    // Prepare
    const schema = schemaOf({ x: 'float' });
    const columns: CellValue[][] = [[1, Number.NaN, null, 2, Number.NaN, 3, 4, 5, 6, 7]];

    // Act
    const report = assess(schema, columns);

    // Assess
    expect(columnOf(report, 'x').missing).toEqual({ count: 3, fraction: 0.3 });
    expect(issuesOf(report, 'missing_values', 'x')[0]?.severity).toBe('MAJOR');
  });

  it('counts injected outliers exactly as a naive computation does, by z-score and by IQR fences', () => {
    // Prepare: a normal sample with 4% of far outliers, two infinities and some nulls injected.
    const n = 5000;
    const rnd = random(23);
    const noise = gaussian(rnd);
    const cells: CellValue[] = Array.from({ length: n }, () => 50 + 5 * noise());
    for (let i = 0; i < 200; i++) {
      const at = Math.floor(rnd() * n);
      cells[at] = 50 + (rnd() < 0.5 ? -1 : 1) * (25 + 30 * rnd());
    }
    cells[17] = Number.POSITIVE_INFINITY;
    cells[4000] = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i += 211) cells[i] = null;
    const schema = schemaOf({ reading: 'float' });

    // Act
    const report = assess(schema, [cells]);

    // Assess: the profile's definitions (sample std, pX = smallest v with ⌈X·n/100⌉ values ≤ v), naively.
    const values = cells.filter((v): v is number => typeof v === 'number');
    const finite = values.filter(Number.isFinite);
    const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
    const std = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (finite.length - 1));
    const sorted = [...finite].sort((a, b) => a - b);
    const q1 = sorted[Math.ceil((25 * finite.length) / 100) - 1] ?? 0;
    const q3 = sorted[Math.ceil((75 * finite.length) / 100) - 1] ?? 0;
    const lower = q1 - 1.5 * (q3 - q1);
    const upper = q3 + 1.5 * (q3 - q1);
    const zCount = values.filter((v) => Math.abs(v - mean) / std > 3).length;
    const iqrCount = values.filter((v) => v < lower || v > upper).length;
    const outliers = columnOf(report, 'reading').outliers;
    expect(outliers?.zscore).toEqual({ count: zCount, fraction: zCount / values.length, threshold: 3 });
    expect(outliers?.iqr).toMatchObject({ count: iqrCount, fraction: iqrCount / values.length, k: 1.5 });
    expect(outliers?.iqr.lower).toBeCloseTo(lower, 12);
    expect(outliers?.iqr.upper).toBeCloseTo(upper, 12);
    expect(zCount).toBeGreaterThan(150);
    expect(issuesOf(report, 'outliers_zscore', 'reading')[0]).toMatchObject({
      severity: 'MINOR',
      value: zCount / values.length,
    });
    expect(issuesOf(report, 'outliers_iqr')).toEqual([]);
    expect(report.recommendations).toEqual([
      expect.objectContaining({ code: 'INVESTIGATE_OUTLIERS', column: 'reading' }),
    ]);
    expect(report.recommendations[0]?.message).toContain(`${zCount} beyond 3 standard deviations`);
  });

  it('takes the IQR fences from the profile quartiles and honours zThreshold and iqrK', () => {
    // Prepare: 20 000 values, so the profile's quartiles come from its sketch.
    const n = 20_000;
    const noise = gaussian(random(5));
    const cells: CellValue[] = Array.from({ length: n }, () => noise());
    const schema = schemaOf({ x: 'float' });
    const profiler = createProfiler(schema);
    profiler.add({ schema, numRows: n, columns: [cells] });
    const profile = profiler.result();
    const column = profile.columns[0];
    if (column?.type !== 'float' || !column.quantiles || column.mean === null || column.std === null) {
      throw new Error('expected a float profile');
    }
    const { p25, p75 } = column.quantiles;
    const { mean, std } = column;

    // Act
    const assessor = createQualityAssessor(schema, profile, { zThreshold: 2, iqrK: 0.5 });
    assessor.add({ schema, numRows: n, columns: [cells] });
    const report = assessor.result();
    const outliers = report.columns[0]?.outliers;

    // Assess
    const lower = p25 - 0.5 * (p75 - p25);
    const upper = p75 + 0.5 * (p75 - p25);
    const values = cells as number[];
    expect(outliers?.iqr).toMatchObject({ lower, upper, k: 0.5 });
    expect(outliers?.iqr.count).toBe(values.filter((v) => v < lower || v > upper).length);
    expect(outliers?.zscore.count).toBe(values.filter((v) => Math.abs(v - mean) / std > 2).length);
    expect(outliers?.zscore.threshold).toBe(2);
    // Reporting leaves the assessor as it was.
    expect(assessor.result()).toEqual(report);
  });

  it('flags a sensor stuck at one value for a fifth of the file, in time order, though the file is shuffled', () => {
    // Prepare: a sine sampled every second, stuck at 4.2 for rows 900..1499 of 3000, then shuffled.
    const n = 3000;
    const noise = gaussian(random(3));
    const inTimeOrder: CellValue[][] = [
      Array.from({ length: n }, (_, i) =>
        i >= 900 && i < 1500 ? 4.2 : 10 * Math.sin((2 * Math.PI * i) / 600) + 0.1 * noise(),
      ),
      Array.from({ length: n }, (_, i) => T0 + i * 1000),
    ];
    const shuffled = reorder(inTimeOrder, permutation(n, 99));

    // Act: the first timestamp column is the time column, wherever it is.
    const report = assess(schemaOf({ value: 'float', t: 'timestamp' }), shuffled, {}, { sizes: [500] });
    const fileOrder = assess(schemaOf({ value: 'float', t: 'int' }), shuffled);

    // Assess
    expect([report.order, report.timeColumn]).toEqual(['time', 't']);
    const value = columnOf(report, 'value');
    expect(value.constantPeriods).toEqual({
      longestRun: 600,
      longestRunStart: 900,
      runs: 1,
      fractionInRuns: 0.2,
      minRun: 10,
    });
    expect(issuesOf(report, 'constant_period')).toEqual([
      expect.objectContaining({ column: 'value', severity: 'MAJOR', value: 0.2, penalty: 15 }),
    ]);
    expect(report.recommendations).toContainEqual({
      code: 'CHECK_SOURCE_FOR_STUCK_VALUES',
      column: 'value',
      message: expect.stringContaining('for 600 consecutive rows from row 900'),
    });
    // In time order the signal is smooth; shuffled it would look like noise.
    expect(value.noise?.ratio).toBeLessThan(0.2);
    expect([fileOrder.order, fileOrder.timeColumn]).toEqual(['file', undefined]);
    expect(columnOf(fileOrder, 'value').constantPeriods?.longestRun).toBeLessThan(10);
    expect(columnOf(fileOrder, 'value').noise).toBeUndefined();
    expect(issuesOf(fileOrder, 'constant_period')).toEqual([]);
  });

  it('puts rows without a time last, and lets a missing value end a run', () => {
    // Prepare: five untimed rows first in the file; x is stuck at 7 from t = 80, with a gap at t = 85.
    const timed = Array.from({ length: 95 }, (_, t) => t);
    const times: CellValue[] = [null, null, null, null, null, ...timed];
    const xs: CellValue[] = [7, 7, 7, 7, 7, ...timed.map((t) => (t === 85 ? null : t >= 80 ? 7 : t * 1.5))];
    const schema = schemaOf({ t: 'timestamp', x: 'float' });

    // Act
    const report = assess(schema, [times, xs], {}, { sizes: [3] });

    // Assess: in time order x is 7 at 80..84, missing at 85, 7 from 86 to 94 and in the 5 untimed rows.
    expect(columnOf(report, 'x').constantPeriods).toEqual({
      longestRun: 14,
      longestRunStart: 86,
      runs: 1,
      fractionInRuns: 14 / 99,
      minRun: 10,
    });
    expect(issuesOf(report, 'constant_period', 'x')[0]?.severity).toBe('MINOR');
  });

  it('measures runs of a high-cardinality string column in time order like a low-cardinality one', () => {
    // Prepare: distinct ids except a stuck stretch; the second profile sketches the distinct count.
    const n = 500;
    const inOrder: CellValue[][] = [
      Array.from({ length: n }, (_, i) => T0 + i),
      Array.from({ length: n }, (_, i) => (i >= 100 && i < 160 ? 'stuck' : `id-${i}`)),
    ];
    const shuffled = reorder(inOrder, permutation(n, 4));
    const schema = schemaOf({ t: 'timestamp', s: 'string' });

    // Act
    const exact = assess(schema, shuffled);
    const sketched = assess(schema, shuffled, {}, { profile: { exactDistinctLimit: 8 } });

    // Assess
    expect(columnOf(exact, 's').constantPeriods).toEqual({
      longestRun: 60,
      longestRunStart: 100,
      runs: 1,
      fractionInRuns: 60 / n,
      minRun: 10,
    });
    expect(columnOf(sketched, 's').constantPeriods).toEqual(columnOf(exact, 's').constantPeriods);
    // Runs in a string column are reported, not scored.
    expect(exact.issues).toEqual([]);
  });

  it('counts exactly duplicated rows beyond the first, nulls equal to nulls, 0 to -0 and NaN to NaN', () => {
    // Prepare
    const schema = schemaOf({ a: 'int', b: 'string', c: 'bool', d: 'float' });
    const rows: CellValue[][] = [
      [1, 'x', true, 0.5],
      [1, 'x', true, 0.5], // duplicate
      [1, 'x', true, null],
      [1, 'x', true, null], // duplicate
      [null, null, null, null],
      [null, null, null, null], // duplicate
      [null, null, null, null], // duplicate
      [1, 'x', false, 0.5],
      [1, null, true, 0.5],
      [0, 'x', true, 0.5],
      [-0, 'x', true, 0.5], // duplicate
      [1, 'x', true, Number.NaN], // not the null row: NaN is a value here
      [1, 'x', true, Number.NaN], // duplicate
      [2, 'x', true, 0.5],
    ];
    const columns = schema.columns.map((_, c) => rows.map((row) => row[c] ?? null));

    // Act
    const report = assess(schema, columns, {}, { sizes: [2] });

    // Assess
    expect(report.duplicates).toEqual({ count: 6, fraction: 6 / 14 });
    expect(issuesOf(report, 'duplicate_rows')).toEqual([
      {
        kind: 'duplicate_rows',
        severity: 'MAJOR',
        value: 6 / 14,
        penalty: 15,
        message: expect.stringContaining('6 of 14 rows'),
      },
    ]);
    const recommendation = report.recommendations.find((r) => r.code === 'DEDUPLICATE_ROWS');
    expect(recommendation?.column).toBeUndefined();
    expect(recommendation?.message).toContain('dedupKeys');
    expect(recommendation?.message).toContain('6 duplicated rows');
  });

  it('flags a column holding one value as constant, once, rather than as a constant period', () => {
    // Prepare: a unit that never changes and a gain stuck at 2.5 with a few nulls.
    const n = 400;
    const noise = gaussian(random(8));
    const schema = schemaOf({ t: 'timestamp', unit: 'string', gain: 'float', reading: 'float' });
    const columns: CellValue[][] = [
      Array.from({ length: n }, (_, i) => T0 + i * MINUTE),
      Array.from({ length: n }, () => 'kPa'),
      Array.from({ length: n }, (_, i) => (i % 40 === 0 ? null : 2.5)),
      Array.from({ length: n }, (_, i) => Math.sin(i / 30) + 0.01 * noise()),
    ];

    // Act
    const report = assess(schema, columns);

    // Assess
    expect(issuesOf(report, 'constant_column')).toEqual([
      expect.objectContaining({ column: 'gain', severity: 'MAJOR', value: 390, penalty: 15 }),
      expect.objectContaining({ column: 'unit', severity: 'MAJOR', value: 400, penalty: 15 }),
    ]);
    expect(issuesOf(report, 'constant_period')).toEqual([]);
    expect(columnOf(report, 'gain').outliers).toMatchObject({ zscore: { count: 0 }, iqr: { count: 0 } });
    expect(columnOf(report, 'gain').noise).toBeUndefined();
    expect(columnOf(report, 'gain').constantPeriods?.longestRun).toBe(39);
    expect(report.recommendations.filter((r) => r.code === 'DROP_CONSTANT_COLUMN')).toEqual([
      expect.objectContaining({ column: 'gain', message: expect.stringContaining('390') }),
      expect.objectContaining({ column: 'unit', message: expect.stringContaining('400') }),
    ]);
    // Two MAJOR (15 each) and the gain's 2.5% missing (MINOR, 5).
    expect([report.score, report.status]).toEqual([65, 'FAIR']);
  });

  it('does not call a column with a single non-missing value constant', () => {
    // Prepare
    const schema = schemaOf({ x: 'float', y: 'int' });
    const columns: CellValue[][] = [
      [null, 3, null],
      [1, 2, 3],
    ];

    // Act
    const report = assess(schema, columns);

    // Assess
    expect(issuesOf(report, 'constant_column')).toEqual([]);
    expect(columnOf(report, 'x').constantPeriods).toBeUndefined();
  });

  it('estimates a noise ratio near 1 for white noise and near 0 for a smooth sine with a little noise', () => {
    // Prepare
    const n = 5000;
    const noise = gaussian(random(31));
    const schema = schemaOf({ t: 'timestamp', white: 'float', smooth: 'float' });
    const columns: CellValue[][] = [
      Array.from({ length: n }, (_, i) => T0 + i * 1000),
      Array.from({ length: n }, () => noise()),
      Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * i) / 1000) + 0.05 * noise()),
    ];

    // Act
    const report = assess(schema, columns);
    const untimed = assess(schemaOf({ t: 'int', white: 'float', smooth: 'float' }), columns);

    // Assess
    const white = columnOf(report, 'white').noise;
    const smooth = columnOf(report, 'smooth').noise;
    expect(white?.ratio).toBeGreaterThan(0.9);
    expect(white?.ratio).toBeLessThan(1.1);
    expect(white?.sigma).toBeCloseTo(1, 1);
    expect(smooth?.ratio).toBeLessThan(0.1);
    expect(smooth?.sigma).toBeGreaterThan(0.04);
    expect(smooth?.sigma).toBeLessThan(0.06);
    expect(issuesOf(report, 'noise')).toEqual([
      expect.objectContaining({ column: 'white', severity: 'INFO', penalty: 0, value: white?.ratio }),
    ]);
    expect(report.recommendations).toEqual([
      expect.objectContaining({ code: 'SMOOTH_OR_AGGREGATE', column: 'white' }),
    ]);
    expect([report.score, report.status]).toEqual([100, 'EXCELLENT']);
    expect(untimed.columns.map((c) => c.noise)).toEqual([undefined, undefined, undefined]);
  });

  it.each([
    [100, false, 'EXCELLENT'],
    [90, false, 'EXCELLENT'],
    [89, false, 'GOOD'],
    [75, false, 'GOOD'],
    [74, false, 'FAIR'],
    [60, false, 'FAIR'],
    [59, false, 'POOR'],
    [40, false, 'POOR'],
    [39, false, 'CRITICAL'],
    [0, false, 'CRITICAL'],
    [100, true, 'POOR'],
    [60, true, 'POOR'],
    [20, true, 'CRITICAL'],
  ] as const)('maps a score of %i (critical issue: %s) to %s', (score, critical, status) => {
    // Act / Assess
    expect(qualityStatusOf(score, critical)).toBe(status);
  });

  it('orders statuses for the gate from CRITICAL to EXCELLENT', () => {
    // Act / Assess
    expect(qualityStatusAtLeast('GOOD', 'FAIR')).toBe(true);
    expect(qualityStatusAtLeast('FAIR', 'FAIR')).toBe(true);
    expect(qualityStatusAtLeast('POOR', 'FAIR')).toBe(false);
    expect(qualityStatusAtLeast('CRITICAL', 'CRITICAL')).toBe(true);
    expect(qualityStatusAtLeast('EXCELLENT', 'CRITICAL')).toBe(true);
  });

  it('lets options override some thresholds and penalties while keeping the other defaults', () => {
    // Prepare: 0.5% missing in a, 15% in b.
    const n = 1000;
    const schema = schemaOf({ id: 'int', a: 'float', b: 'float' });
    const columns: CellValue[][] = [
      Array.from({ length: n }, (_, i) => i),
      Array.from({ length: n }, (_, i) => (i % 200 === 0 ? null : Math.sin(i))),
      Array.from({ length: n }, (_, i) => (i % 20 < 3 ? null : Math.cos(i))),
    ];

    // Act
    const report = assess(schema, columns, {
      thresholds: { missingFraction: { minor: 0.001 }, penalties: { MINOR: 20 } },
    });

    // Assess
    expect(issuesOf(report, 'missing_values').map((i) => [i.column, i.severity, i.penalty])).toEqual([
      ['b', 'MAJOR', 15],
      ['a', 'MINOR', 20],
    ]);
    expect([report.score, report.status]).toEqual([65, 'FAIR']);
    expect(DEFAULT_QUALITY_THRESHOLDS.missingFraction.minor).toBe(0.01);
  });

  it('rejects thresholds and options that make no sense', () => {
    // Prepare
    const schema = schemaOf({ t: 'timestamp', s: 'string' });
    const profile = createProfiler(schema).result();

    // Act / Assess
    const attempts: QualityOptions[] = [
      { thresholds: { penalties: { MAJOR: -1 } } },
      { thresholds: { statusMinimum: { GOOD: 95 } } },
      { zThreshold: 0 },
      { minRun: 1 },
      { timeColumn: 's' },
      { timeColumn: 'nope' },
    ];
    for (const options of attempts) {
      expect(() => createQualityAssessor(schema, profile, options)).toThrow(InvalidInputError);
    }
  });

  it('refuses a profile of other rows and cells of the wrong type', () => {
    // Prepare
    const schema = schemaOf({ x: 'float' });
    const profiler = createProfiler(schema);
    profiler.add({ schema, numRows: 2, columns: [[1, 2]] });
    const profile = profiler.result();

    // Act
    const fewer = createQualityAssessor(schema, profile);
    fewer.add({ schema, numRows: 1, columns: [[1]] });
    const wrongType = createQualityAssessor(schema, profile);

    // Assess
    expect(() => fewer.result()).toThrow(InvalidInputError);
    expect(() => wrongType.add({ schema, numRows: 2, columns: [[1, 'two']] })).toThrow(InvalidInputError);
    expect(() => createQualityAssessor(schemaOf({ y: 'float' }), profile)).toThrow(InvalidInputError);
  });

  it('falls back to file order, and says so, when an out-of-order file exceeds the buffer', () => {
    // Prepare
    const n = 3000;
    const noise = gaussian(random(17));
    const inOrder: CellValue[][] = [
      Array.from({ length: n }, (_, i) => T0 + i * 1000),
      Array.from({ length: n }, (_, i) => (i >= 1000 && i < 1400 ? 1 : Math.sin(i / 50) + 0.01 * noise())),
    ];
    const shuffled = reorder(inOrder, permutation(n, 12));
    const schema = schemaOf({ t: 'timestamp', x: 'float' });

    // Act
    const unordered = assess(schema, shuffled, { maxBufferedRows: 1000 });
    const ordered = assess(schema, inOrder, { maxBufferedRows: 1000 });
    const buffered = assess(schema, inOrder);

    // Assess
    expect([unordered.order, unordered.timeColumn]).toEqual(['file', undefined]);
    expect(unordered.notes).toEqual([expect.stringContaining('file order')]);
    expect(columnOf(unordered, 'x').noise).toBeUndefined();
    expect(issuesOf(unordered, 'constant_period')).toEqual([]);
    // Rows already in time order need no buffer for their runs, only for noise.
    expect([ordered.order, ordered.timeColumn]).toEqual(['time', 't']);
    expect(ordered.notes).toEqual([expect.stringContaining('no noise estimates')]);
    expect(columnOf(ordered, 'x').noise).toBeUndefined();
    expect(columnOf(ordered, 'x').constantPeriods).toEqual(columnOf(buffered, 'x').constantPeriods);
    expect(issuesOf(ordered, 'constant_period', 'x')[0]?.severity).toBe('MINOR');
  });

  it('lists issues most severe first, then by penalty, column and kind', () => {
    // Prepare: missing (MINOR, CRITICAL), a constant column (MAJOR) and white noise (INFO).
    const n = 1000;
    const noise = gaussian(random(2));
    const schema = schemaOf({ t: 'timestamp', b: 'float', a: 'float', c: 'int', z: 'float' });
    const columns: CellValue[][] = [
      Array.from({ length: n }, (_, i) => T0 + i),
      Array.from({ length: n }, (_, i) => (i % 50 === 0 ? null : Math.sin(i / 100))),
      Array.from({ length: n }, (_, i) => (i % 10 < 6 ? null : Math.sin(i / 100))),
      Array.from({ length: n }, () => 3),
      Array.from({ length: n }, () => noise()),
    ];

    // Act
    const report = assess(schema, columns);

    // Assess
    expect(report.issues.map((i) => [i.severity, i.column, i.kind])).toEqual([
      ['CRITICAL', 'a', 'missing_values'],
      ['MAJOR', 'c', 'constant_column'],
      ['MINOR', 'b', 'missing_values'],
      ['INFO', 'z', 'noise'],
    ]);
    expect(report.recommendations.map((r) => r.code)).toEqual([
      'IMPUTE_OR_DROP_MISSING',
      'DROP_CONSTANT_COLUMN',
      'IMPUTE_OR_DROP_MISSING',
      'SMOOTH_OR_AGGREGATE',
    ]);
    // 100 − 40 − 15 − 5 = 40 is POOR by score, and the CRITICAL issue would cap it there anyway.
    expect([report.score, report.status]).toEqual([40, 'POOR']);
    expect(columnOf(report, 'a').status).toBe('POOR');
  });
});

// --- Properties ---

const schema = schemaOf({ t: 'timestamp', x: 'float', i: 'int', s: 'string', b: 'bool' });
const cell = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: null, freq: 6 });
/** Small domains, so that runs, duplicates and ties in time are common. */
const rowArb = fc.tuple(
  cell(fc.integer({ min: 0, max: 20 }).map((k) => T0 + k * 1000)),
  cell(fc.constantFrom(0.5, 1.5, -0, 0, Number.NaN, 100, Number.POSITIVE_INFINITY)),
  cell(fc.integer({ min: -3, max: 3 })),
  cell(fc.constantFrom('a', 'b', '')),
  cell(fc.boolean()),
);
const toColumns = (rows: readonly (readonly CellValue[])[]): CellValue[][] =>
  schema.columns.map((_, c) => rows.map((row) => row[c] ?? null));

/**
 * The profile's std (Welford, from the first value seen) depends on the order of the rows in its last
 * bits, and the noise ratio divides by it.
 */
function roundNoise(report: QualityReport): QualityReport {
  const round = (x: number) => Number(x.toPrecision(12));
  return {
    ...report,
    columns: report.columns.map((c) =>
      c.noise ? { ...c, noise: { ...c.noise, ratio: round(c.noise.ratio) } } : c,
    ),
    issues: report.issues.map((i) => (i.kind === 'noise' ? { ...i, value: round(i.value), message: '' } : i)),
    recommendations: report.recommendations.map((r) =>
      r.code === 'SMOOTH_OR_AGGREGATE' ? { ...r, message: '' } : r,
    ),
  };
}

function naiveDuplicates(rows: readonly (readonly CellValue[])[]): number {
  const key = (v: CellValue): string =>
    v === null
      ? 'null'
      : typeof v === 'number'
        ? `n${Number.isNaN(v) ? 'NaN' : String(v === 0 ? 0 : v)}`
        : `${typeof v}${v}`;
  return rows.length - new Set(rows.map((row) => JSON.stringify(row.map(key)))).size;
}

describe('quality assessment properties', () => {
  it('gives the same report however the rows are split into batches', () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
        fc.constantFrom(0, 100, 5_000_000),
        (rows, sizesA, sizesB, maxBufferedRows) => {
          // Prepare
          const columns = toColumns(rows);
          const options: QualityOptions = { minRun: 2, maxBufferedRows };

          // Act
          const a = assess(schema, columns, options, { sizes: sizesA });
          const b = assess(schema, columns, options, { sizes: [rows.length + 1] });
          const c = assess(schema, columns, options, { sizes: sizesB });

          // Assess
          expect(a).toEqual(b);
          expect(c).toEqual(b);
        },
      ),
    );
  });

  it('gives the same report whether rows with distinct times arrive in time order or shuffled', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 200 }), fc.integer(), (rows, seed) => {
        // Prepare: distinct times in file order, then the same rows in a random order.
        const timed = rows.map((row, k) => [T0 + k * 1000, ...row.slice(1)]);
        const columns = toColumns(timed);
        const shuffled = reorder(columns, permutation(timed.length, seed));

        // Act
        const ordered = assess(schema, columns, { minRun: 2 });
        const unordered = assess(schema, shuffled, { minRun: 2 });

        // Assess
        expect(roundNoise(unordered)).toEqual(roundNoise(ordered));
      }),
    );
  });

  it('counts as many duplicated rows as a naive set of whole rows does', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 400 }), (rows) => {
        // Act
        const report = assess(schema, toColumns(rows), {}, { sizes: [37] });

        // Assess
        const expected = naiveDuplicates(rows);
        expect(report.duplicates).toEqual({
          count: expected,
          fraction: rows.length > 0 ? expected / rows.length : 0,
        });
      }),
    );
  });

  it('keeps scores in [0, 100], statuses consistent with them and issues most severe first', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 300 }), (rows) => {
        // Act
        const report = assess(schema, toColumns(rows), { minRun: 2 });

        // Assess
        for (const scored of [report, ...report.columns]) {
          expect(scored.score).toBeGreaterThanOrEqual(0);
          expect(scored.score).toBeLessThanOrEqual(100);
        }
        const critical = report.issues.some((i) => i.severity === 'CRITICAL');
        expect(report.status).toBe(qualityStatusOf(report.score, critical));
        const ranks = report.issues.map((i) => QUALITY_ISSUE_SEVERITIES.indexOf(i.severity));
        expect(ranks).toEqual([...ranks].sort((x, y) => y - x));
        expect(report.score).toBe(Math.max(0, 100 - report.issues.reduce((sum, i) => sum + i.penalty, 0)));
      }),
    );
  });
});
