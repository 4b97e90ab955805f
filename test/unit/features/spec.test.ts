import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyFeatureSpec,
  EXPANDING_STATS,
  FEATURE_SPEC_EXAMPLE,
  type FeatureSpecInput,
  featureColumnsOf,
  featureOutputSchemaOf,
  MISSING_STRATEGIES,
  type MissingStrategy,
  parseFeatureSpec,
  ROLLING_STATS,
  TIME_PARTS,
} from '../../../shared/domain/features/index.js';
import {
  batchFromRows,
  type CellValue,
  columnIndex,
  type RecordBatch,
  rowsOf,
  type TableSchema,
} from '../../../shared/domain/table.js';
import { InvalidInputError } from '../../../shared/errors.js';

const HOUR = 3_600_000;
const BASE = Date.parse('2026-03-02T00:00:00Z');

const schema: TableSchema = {
  columns: [
    { name: 'device', type: 'string', nullable: false },
    { name: 'ts', type: 'timestamp', nullable: false },
    { name: 'temp', type: 'float', nullable: true },
  ],
};

interface Reading {
  device: string;
  t: number;
  temp: number | null;
}

function tableOf(readings: readonly Reading[]): RecordBatch {
  return batchFromRows(
    schema,
    readings.map((r) => ({ device: r.device, ts: BASE + r.t * HOUR, temp: r.temp })),
  );
}

function column(batch: RecordBatch, name: string): CellValue[] {
  const index = columnIndex(batch.schema, name);
  if (index < 0) throw new Error(`no column ${name}`);
  return batch.columns[index] ?? [];
}

/** Each output row's cells keyed by `device@ts`, for comparing tables whose row order differs. */
function byKey(batch: RecordBatch): Map<string, Record<string, CellValue>> {
  return new Map(rowsOf(batch).map((row) => [`${String(row.device)}@${String(row.ts)}`, row]));
}

/** A transform of every kind on `temp`, so the properties below cover all of them. */
const EVERY_KIND: FeatureSpecInput = {
  entityKeys: ['device'],
  timestampColumn: 'ts',
  transforms: [
    { kind: 'rolling', column: 'temp', windows: [1, 3], stats: [...ROLLING_STATS], minPeriods: 1 },
    { kind: 'rolling', column: 'temp', windows: [4], stats: ['mean', 'std'] },
    { kind: 'lag', column: 'temp', lags: [1, 2] },
    { kind: 'diff', column: 'temp', order: 1 },
    { kind: 'diff', column: 'temp', order: 2 },
    { kind: 'pct_change', column: 'temp' },
    { kind: 'rate_of_change', column: 'temp' },
    { kind: 'ewm', column: 'temp', span: 3, stats: ['mean', 'std'] },
    { kind: 'ewm', column: 'temp', alpha: 0.3, stats: ['mean'] },
    { kind: 'expanding', column: 'temp', stats: [...EXPANDING_STATS] },
    { kind: 'volatility', column: 'temp', window: 3 },
    { kind: 'fft', column: 'temp', window: 4, topK: 2 },
    { kind: 'time_parts', parts: [...TIME_PARTS], cyclical: true },
    { kind: 'entity_aggregate', column: 'temp', windows: ['6h', '1d'], stats: ['count', 'sum', 'mean'] },
  ],
};

const temp = fc.option(fc.double({ min: -50, max: 50, noNaN: true }), { nil: null, freq: 5 });

/** Readings of three devices at distinct hours per device, in random row order. */
const readings = fc.uniqueArray(
  fc.record({ device: fc.constantFrom('a', 'b', 'c'), t: fc.integer({ min: 0, max: 200 }), temp }),
  { selector: (r) => `${r.device}@${r.t}`, maxLength: 40 },
);

describe('applyFeatureSpec', () => {
  it('computes per entity in time order and writes the results back in the input row order', () => {
    // Prepare: two devices, interleaved, each out of time order
    const table = tableOf([
      { device: 'b', t: 3, temp: 30 },
      { device: 'a', t: 2, temp: 2 },
      { device: 'a', t: 1, temp: 1 },
      { device: 'b', t: 1, temp: 10 },
      { device: 'a', t: 3, temp: 3 },
      { device: 'b', t: 2, temp: 20 },
    ]);
    const spec: FeatureSpecInput = {
      entityKeys: ['device'],
      timestampColumn: 'ts',
      transforms: [
        { kind: 'lag', column: 'temp', lags: [1] },
        { kind: 'rolling', column: 'temp', windows: [2], stats: ['mean'] },
        { kind: 'diff', column: 'temp', order: 1 },
      ],
    };

    // Act
    const out = applyFeatureSpec(table, spec);

    // Assess
    expect(out.numRows).toBe(6);
    expect(column(out, 'temp')).toEqual([30, 2, 1, 10, 3, 20]);
    expect(column(out, 'temp_lag_1')).toEqual([20, 1, null, null, 2, 10]);
    expect(column(out, 'temp_rolling_mean_2')).toEqual([25, 1.5, null, null, 2.5, 15]);
    expect(column(out, 'temp_diff_1')).toEqual([10, 1, null, null, 1, 10]);
  });

  it('names the outputs deterministically and gives counts and time parts an int type', () => {
    // Act
    const columns = featureColumnsOf(EVERY_KIND, schema).map((c) => `${c.name}:${c.type}`);

    // Assess
    const rolling = (w: number) => ROLLING_STATS.map((s) => `temp_rolling_${s}_${w}:float`);
    expect(columns).toEqual([
      ...rolling(1),
      ...rolling(3),
      'temp_rolling_mean_4:float',
      'temp_rolling_std_4:float',
      'temp_lag_1:float',
      'temp_lag_2:float',
      'temp_diff_1:float',
      'temp_diff_2:float',
      'temp_pct_change_1:float',
      'temp_roc:float',
      'temp_ewm_mean_span3:float',
      'temp_ewm_std_span3:float',
      'temp_ewm_mean_alpha0p3:float',
      'temp_expanding_mean:float',
      'temp_expanding_std:float',
      'temp_expanding_min:float',
      'temp_expanding_max:float',
      'temp_volatility_3:float',
      'temp_fft_mag_1_4:float',
      'temp_fft_mag_2_4:float',
      'temp_fft_freq_1_4:float',
      'temp_fft_freq_2_4:float',
      'temp_spectral_energy_4:float',
      'temp_spectral_entropy_4:float',
      'ts_hour:int',
      'ts_hour_sin:float',
      'ts_hour_cos:float',
      'ts_day_of_week:int',
      'ts_day_of_week_sin:float',
      'ts_day_of_week_cos:float',
      'ts_day_of_month:int',
      'ts_day_of_month_sin:float',
      'ts_day_of_month_cos:float',
      'ts_month:int',
      'ts_month_sin:float',
      'ts_month_cos:float',
      'ts_is_weekend:int',
      'temp_count_6h:int',
      'temp_sum_6h:float',
      'temp_mean_6h:float',
      'temp_count_1d:int',
      'temp_sum_1d:float',
      'temp_mean_1d:float',
    ]);
  });

  it('returns exactly the schema featureOutputSchemaOf predicts, with int cells in int columns', () => {
    fc.assert(
      fc.property(readings, (rs) => {
        // Act
        const out = applyFeatureSpec(tableOf(rs), EVERY_KIND);

        // Assess
        expect(out.schema).toEqual(featureOutputSchemaOf(EVERY_KIND, schema));
        expect(out.columns).toHaveLength(out.schema.columns.length);
        out.schema.columns.forEach((c, i) => {
          const cells = out.columns[i] ?? [];
          expect(cells).toHaveLength(rs.length);
          if (!c.nullable) expect(cells.every((v) => v !== null)).toBe(true);
          if (c.type === 'int') expect(cells.every((v) => v === null || Number.isInteger(v))).toBe(true);
          if (c.type === 'float') expect(cells.every((v) => v === null || Number.isFinite(v))).toBe(true);
        });
      }),
    );
  });

  it('gives each row the same features whatever the order of the input rows', () => {
    fc.assert(
      fc.property(
        readings.chain((rs) =>
          fc.tuple(
            fc.constant(rs),
            fc.shuffledSubarray(
              rs.map((_, i) => i),
              { minLength: rs.length, maxLength: rs.length },
            ),
          ),
        ),
        fc.constantFrom(...MISSING_STRATEGIES),
        ([rs, order], strategy) => {
          // Prepare
          const spec = { ...EVERY_KIND, missing: { strategy } };
          const shuffled = order.map((i) => rs[i]).filter((r) => r !== undefined);

          // Act
          const a = applyFeatureSpec(tableOf(rs), spec);
          const b = applyFeatureSpec(tableOf(shuffled), spec);

          // Assess
          expect(b.numRows).toBe(a.numRows);
          expect(byKey(b)).toEqual(byKey(a));
        },
      ),
    );
  });

  it('is causal: changing or removing later rows never changes an earlier row’s features', () => {
    fc.assert(
      fc.property(
        readings,
        fc.integer({ min: 0, max: 200 }),
        fc.array(temp, { minLength: 40, maxLength: 40 }),
        fc.constantFrom(...MISSING_STRATEGIES),
        (rs, cut, replacements, strategy) => {
          // Prepare: every row after `cut` gets another value (or null), and every other one is removed
          const spec = { ...EVERY_KIND, missing: { strategy } };
          const changed = rs
            .map((r, i) => (r.t > cut ? { ...r, temp: replacements[i] ?? null } : r))
            .filter((r, i) => r.t <= cut || i % 2 === 0);

          // Act
          const before = byKey(applyFeatureSpec(tableOf(rs), spec));
          const after = byKey(applyFeatureSpec(tableOf(changed), spec));

          // Assess
          for (const [key, row] of before) {
            if ((row.ts as number) <= BASE + cut * HOUR) expect(after.get(key)).toEqual(row);
          }
        },
      ),
    );
  });

  it('aggregates each entity’s trailing time window like a direct per-entity scan, ties in input order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ device: fc.constantFrom('a', 'b'), t: fc.integer({ min: 0, max: 60 }), temp }), {
          maxLength: 40,
        }),
        (rs) => {
          // Prepare
          const spec: FeatureSpecInput = {
            entityKeys: ['device'],
            timestampColumn: 'ts',
            transforms: [
              {
                kind: 'entity_aggregate',
                column: 'temp',
                windows: ['6h', '1d'],
                stats: ['count', 'sum', 'mean'],
              },
            ],
          };

          // Act
          const out = applyFeatureSpec(tableOf(rs), spec);

          // Assess
          for (const [window, hours] of [
            ['6h', 6],
            ['1d', 24],
          ] as const) {
            rs.forEach((r, i) => {
              const values = rs
                .filter(
                  (o, j) =>
                    o.device === r.device && o.t > r.t - hours && (o.t < r.t || (o.t === r.t && j <= i)),
                )
                .map((o) => o.temp)
                .filter((v): v is number => v !== null);
              const sum = values.reduce((a, b) => a + b, 0);
              expect(column(out, `temp_count_${window}`)[i]).toBe(values.length);
              const gotSum = column(out, `temp_sum_${window}`)[i] ?? null;
              const gotMean = column(out, `temp_mean_${window}`)[i] ?? null;
              if (values.length === 0) {
                expect(gotSum).toBeNull();
                expect(gotMean).toBeNull();
              } else {
                expect(Math.abs((gotSum as number) - sum)).toBeLessThan(1e-9 * 50 * values.length);
                expect(Math.abs((gotMean as number) - sum / values.length)).toBeLessThan(1e-9 * 50);
              }
            });
          }
        },
      ),
    );
  });

  it('treats the whole table as one series when there are no entity keys', () => {
    // Prepare
    const table = tableOf([
      { device: 'a', t: 2, temp: 2 },
      { device: 'b', t: 1, temp: 1 },
      { device: 'a', t: 3, temp: 3 },
    ]);

    // Act
    const out = applyFeatureSpec(table, {
      entityKeys: [],
      timestampColumn: 'ts',
      transforms: [{ kind: 'lag', column: 'temp', lags: [1] }],
    });

    // Assess
    expect(column(out, 'temp_lag_1')).toEqual([1, null, 2]);
  });

  it('groups by several key columns together, and by a null key as a key of its own', () => {
    // Prepare: device "x" exists at two sites; one row has no site
    const keyed: TableSchema = {
      columns: [{ name: 'site', type: 'string', nullable: true }, ...schema.columns],
    };
    const table = batchFromRows(keyed, [
      { site: 'north', device: 'x', ts: BASE, temp: 1 },
      { site: 'south', device: 'x', ts: BASE + HOUR, temp: 2 },
      { site: 'north', device: 'x', ts: BASE + 2 * HOUR, temp: 3 },
      { site: null, device: 'x', ts: BASE + 3 * HOUR, temp: 4 },
      { site: 'south', device: 'x', ts: BASE + 4 * HOUR, temp: 5 },
      { site: null, device: 'x', ts: BASE + 5 * HOUR, temp: 6 },
    ]);

    // Act
    const out = applyFeatureSpec(table, {
      entityKeys: ['site', 'device'],
      timestampColumn: 'ts',
      transforms: [{ kind: 'lag', column: 'temp', lags: [1] }],
    });

    // Assess
    expect(column(out, 'temp_lag_1')).toEqual([null, null, 1, null, 2, 4]);
  });

  it('keeps only the entity keys and the timestamp before the features when keepSourceColumns is false', () => {
    // Prepare
    const table = tableOf([{ device: 'a', t: 1, temp: 1 }]);

    // Act
    const out = applyFeatureSpec(table, {
      entityKeys: ['device'],
      timestampColumn: 'ts',
      keepSourceColumns: false,
      transforms: [{ kind: 'time_parts', parts: ['hour'] }],
    });

    // Assess
    expect(out.schema.columns.map((c) => c.name)).toEqual(['device', 'ts', 'ts_hour']);
    expect(rowsOf(out)).toEqual([{ device: 'a', ts: BASE + HOUR, ts_hour: 1 }]);
  });

  it('writes undefined results (a change from 0, two rows at one instant) as null', () => {
    // Prepare
    const table = tableOf([
      { device: 'a', t: 1, temp: 0 },
      { device: 'a', t: 2, temp: 5 },
      { device: 'a', t: 2, temp: 6 },
    ]);

    // Act
    const out = applyFeatureSpec(table, {
      entityKeys: ['device'],
      timestampColumn: 'ts',
      transforms: [
        { kind: 'pct_change', column: 'temp' },
        { kind: 'rate_of_change', column: 'temp' },
      ],
    });

    // Assess: 5 / 0 − 1 = Infinity in pandas; 1 / 0 s likewise
    expect(column(out, 'temp_pct_change_1')).toEqual([null, null, 0.19999999999999996]);
    expect(column(out, 'temp_roc')).toEqual([null, 5 / 3600, null]);
  });

  it('runs the README example on sensor readings', () => {
    // Prepare: two devices, 100 hourly readings each
    const sensors: TableSchema = {
      columns: [
        { name: 'device_id', type: 'string', nullable: false },
        { name: 'ts', type: 'timestamp', nullable: false },
        { name: 'temp', type: 'float', nullable: true },
        { name: 'vibration', type: 'float', nullable: false },
        { name: 'energy_kwh', type: 'float', nullable: true },
      ],
    };
    const rows = ['d1', 'd2'].flatMap((device, d) =>
      Array.from({ length: 100 }, (_, i) => ({
        device_id: device,
        ts: BASE + i * HOUR,
        temp: i % 7 === 3 ? null : 20 + d + Math.sin(i / 5),
        vibration: Math.sin((2 * Math.PI * 8 * i) / 64),
        energy_kwh: i % 11 === 0 ? null : 1 + (i % 5),
      })),
    );

    // Act
    const out = applyFeatureSpec(batchFromRows(sensors, rows), FEATURE_SPEC_EXAMPLE);

    // Assess
    expect(parseFeatureSpec(FEATURE_SPEC_EXAMPLE).transforms).toHaveLength(9);
    expect(out.schema).toEqual(featureOutputSchemaOf(FEATURE_SPEC_EXAMPLE, sensors));
    expect(out.numRows).toBe(200);
    expect(column(out, 'vibration_fft_freq_1_64')[99]).toBe(8 / 64);
    expect(column(out, 'temp_lag_1')[4]).toBe(column(out, 'temp')[2]);
    expect(column(out, 'energy_kwh_count_1d')[30]).toBe(24);
  });
});

describe('missing values', () => {
  // Device a: [null, 2, null, 4, 9, null]; device b: [5, null]; rows interleaved.
  const table = tableOf([
    { device: 'a', t: 1, temp: null },
    { device: 'b', t: 1, temp: 5 },
    { device: 'a', t: 2, temp: 2 },
    { device: 'a', t: 3, temp: null },
    { device: 'b', t: 2, temp: null },
    { device: 'a', t: 4, temp: 4 },
    { device: 'a', t: 5, temp: 9 },
    { device: 'a', t: 6, temp: null },
  ]);
  /** A one-row rolling mean shows the series after imputation. */
  const specWith = (missing: FeatureSpecInput['missing']): FeatureSpecInput => ({
    entityKeys: ['device'],
    timestampColumn: 'ts',
    missing,
    transforms: [
      { kind: 'rolling', column: 'temp', windows: [1], stats: ['mean'] },
      { kind: 'lag', column: 'temp', lags: [1] },
    ],
  });

  it.each<[MissingStrategy, (number | null)[]]>([
    ['ffill', [null, 5, 2, 2, 5, 4, 9, 9]],
    ['zero', [0, 5, 2, 0, 0, 4, 9, 0]],
    // Only earlier values of the same device: a's last null sees mean(2, 4, 9) = 5, median 4.
    ['mean', [null, 5, 2, 2, 5, 4, 9, 5]],
    ['median', [null, 5, 2, 2, 5, 4, 9, 4]],
  ])(
    'imputes with %s from earlier values of the same entity, before the transforms',
    (strategy, expected) => {
      // Act
      const out = applyFeatureSpec(table, specWith({ strategy }));

      // Assess: the source column itself is passed through unchanged
      expect(column(out, 'temp_rolling_mean_1')).toEqual(expected);
      expect(column(out, 'temp')).toEqual(column(table, 'temp'));
    },
  );

  it('drops rows with a missing value before the transforms, keeping the others in input order', () => {
    // Act
    const out = applyFeatureSpec(table, specWith({ strategy: 'drop' }));

    // Assess
    expect(out.numRows).toBe(4);
    expect(column(out, 'temp')).toEqual([5, 2, 4, 9]);
    expect(column(out, 'temp_lag_1')).toEqual([null, null, 2, 4]);
  });

  it('applies a rule per column, and a rule without columns to the other transform inputs', () => {
    // Prepare
    const twoColumns: TableSchema = {
      columns: [...schema.columns, { name: 'hum', type: 'int', nullable: true }],
    };
    const t = batchFromRows(twoColumns, [
      { device: 'a', ts: BASE, temp: 1, hum: 10 },
      { device: 'a', ts: BASE + HOUR, temp: null, hum: null },
    ]);

    // Act
    const out = applyFeatureSpec(t, {
      entityKeys: ['device'],
      timestampColumn: 'ts',
      missing: [{ strategy: 'zero', columns: ['temp'] }, { strategy: 'ffill' }],
      transforms: [
        { kind: 'rolling', column: 'temp', windows: [1], stats: ['mean'] },
        { kind: 'rolling', column: 'hum', windows: [1], stats: ['mean'] },
      ],
    });

    // Assess
    expect(column(out, 'temp_rolling_mean_1')).toEqual([1, 0]);
    expect(column(out, 'hum_rolling_mean_1')).toEqual([10, 10]);
  });
});

describe('refused specs and tables', () => {
  const base = { entityKeys: ['device'], timestampColumn: 'ts' };
  const table = tableOf([{ device: 'a', t: 1, temp: 1 }]);

  function refusal(spec: unknown, t: RecordBatch = table): InvalidInputError {
    try {
      applyFeatureSpec(t, spec as FeatureSpecInput);
    } catch (error) {
      if (error instanceof InvalidInputError) return error;
      throw error;
    }
    throw new Error('the spec was accepted');
  }

  it('refuses outputs that collide with each other, naming the column and both transforms', () => {
    // Prepare
    const spec = {
      ...base,
      transforms: [
        { kind: 'lag', column: 'temp', lags: [1, 2] },
        { kind: 'lag', column: 'temp', lags: [2] },
      ],
    };

    // Act
    const error = refusal(spec);

    // Assess
    expect(error.message).toContain('"temp_lag_2"');
    expect(error.message).toContain('transform #2 (lag)');
    expect(error.message).toContain('transform #1 (lag)');
    expect(() => featureColumnsOf(spec as FeatureSpecInput, schema)).toThrow(InvalidInputError);
  });

  it('refuses outputs that collide with an input column', () => {
    // Prepare
    const clashing: TableSchema = {
      columns: [...schema.columns, { name: 'ts_hour', type: 'int', nullable: false }],
    };
    const t = batchFromRows(clashing, [{ device: 'a', ts: BASE, temp: 1, ts_hour: 0 }]);

    // Act
    const error = refusal({ ...base, transforms: [{ kind: 'time_parts', parts: ['hour'] }] }, t);

    // Assess
    expect(error.message).toContain('"ts_hour" collides with an input column');
  });

  it.each<[string, unknown, string]>([
    [
      'an unknown column',
      { ...base, transforms: [{ kind: 'lag', column: 'pressure', lags: [1] }] },
      'pressure',
    ],
    ['a string column', { ...base, transforms: [{ kind: 'roc', column: 'device' }] }, 'kind'],
    [
      'a string column for a numeric transform',
      { ...base, transforms: [{ kind: 'rate_of_change', column: 'device' }] },
      'transform #1 (rate_of_change): column "device" is string',
    ],
    [
      'an unknown entity key',
      { ...base, entityKeys: ['site'], transforms: [{ kind: 'lag', column: 'temp', lags: [1] }] },
      'site',
    ],
    [
      'a string timestamp column',
      {
        ...base,
        timestampColumn: 'device',
        entityKeys: [],
        transforms: [{ kind: 'lag', column: 'temp', lags: [1] }],
      },
      'timestampColumn',
    ],
    [
      'a lag of 0',
      { ...base, transforms: [{ kind: 'lag', column: 'temp', lags: [0] }] },
      'transforms.0.lags.0',
    ],
    [
      'a lag listed twice',
      { ...base, transforms: [{ kind: 'lag', column: 'temp', lags: [1, 1] }] },
      'listed twice',
    ],
    [
      'both span and alpha',
      { ...base, transforms: [{ kind: 'ewm', column: 'temp', span: 3, alpha: 0.5, stats: ['mean'] }] },
      'span or alpha',
    ],
    [
      'topK above window / 2',
      { ...base, transforms: [{ kind: 'fft', column: 'temp', window: 8, topK: 5 }] },
      'transforms.0.topK',
    ],
    [
      'a malformed duration',
      {
        ...base,
        transforms: [{ kind: 'entity_aggregate', column: 'temp', windows: ['7x'], stats: ['sum'] }],
      },
      'duration',
    ],
    [
      'minPeriods above a window',
      {
        ...base,
        transforms: [{ kind: 'rolling', column: 'temp', windows: [2, 5], stats: ['mean'], minPeriods: 3 }],
      },
      'minPeriods',
    ],
    ['no transforms', { ...base, transforms: [] }, 'transforms'],
    [
      'an unknown field',
      { ...base, transforms: [{ kind: 'lag', column: 'temp', lags: [1] }], extra: 1 },
      'extra',
    ],
    [
      'the timestamp as an entity key',
      { ...base, entityKeys: ['ts'], transforms: [{ kind: 'lag', column: 'temp', lags: [1] }] },
      'entity key',
    ],
    [
      'mean imputation of a string column',
      {
        ...base,
        missing: { strategy: 'mean', columns: ['device'] },
        transforms: [{ kind: 'lag', column: 'temp', lags: [1] }],
      },
      'use drop',
    ],
    [
      'a column in two missing rules',
      {
        ...base,
        missing: [
          { strategy: 'zero', columns: ['temp'] },
          { strategy: 'drop', columns: ['temp'] },
        ],
        transforms: [{ kind: 'lag', column: 'temp', lags: [1] }],
      },
      'two missing rules',
    ],
  ])('refuses %s', (_, spec, expected) => {
    // Act
    const error = refusal(spec);

    // Assess
    expect(`${error.message} ${error.issues.map((i) => i.path).join(' ')}`).toContain(expected);
  });

  it('refuses a table with a null timestamp, since its rows cannot be ordered', () => {
    // Prepare
    const t = batchFromRows(schema, [
      { device: 'a', ts: BASE, temp: 1 },
      { device: 'a', ts: null, temp: 2 },
    ]);

    // Act
    const error = refusal({ ...base, transforms: [{ kind: 'lag', column: 'temp', lags: [1] }] }, t);

    // Assess
    expect(error.message).toContain('row 1');
  });

  it('refuses a non-numeric cell in a numeric column', () => {
    // Prepare
    const t = batchFromRows(schema, [{ device: 'a', ts: BASE, temp: 'hot' }]);

    // Act
    const error = refusal({ ...base, transforms: [{ kind: 'lag', column: 'temp', lags: [1] }] }, t);

    // Assess
    expect(error.message).toContain('"temp" row 0');
  });
});
