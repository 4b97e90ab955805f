import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createProfiler, type DatasetProfile } from '../../shared/domain/profile/index.js';
import { batchFromRows, type CellValue, type ColumnSchema } from '../../shared/domain/table.js';
import type { VersionRecord } from '../../shared/domain/version.js';
import {
  type DiffSide,
  diffSchemas,
  diffVersions,
  numberDelta,
  topKDeltas,
} from '../../shared/domain/version-diff.js';

/** A version record and the profile the pipeline would have made of `rows`. */
function side(
  version: number,
  columns: ColumnSchema[],
  rows: Record<string, CellValue>[],
  overrides: Partial<VersionRecord> = {},
): DiffSide & { record: VersionRecord } {
  const schema = { columns };
  const profiler = createProfiler(schema);
  profiler.add(batchFromRows(schema, rows));
  return {
    record: {
      tenant: 't',
      dataset: 'sensors',
      version,
      status: 'READY',
      contentHash: `hash-${version}`,
      sourceSha256: `source-${version}`,
      sourceFileId: `f_${String(version).padStart(32, '0')}`,
      sourceKey: `fresh/t/sensors/day-${version}.csv`,
      rowCount: rows.length,
      schema,
      profileKey: `reports/t/sensors/f${version}/profile.json`,
      validationReportKey: `reports/t/sensors/f${version}/validation.json`,
      validationStatus: 'PASSED',
      tags: [],
      createdAt: `2026-11-0${version}T00:00:00.000Z`,
      ...overrides,
    },
    profile: profiler.result(),
  };
}

const col = (name: string, type: ColumnSchema['type'], nullable = false): ColumnSchema => ({
  name,
  type,
  nullable,
});

const range = (n: number, f: (i: number) => Record<string, CellValue>) =>
  Array.from({ length: n }, (_, i) => f(i));

describe('diffVersions', () => {
  it('reports an added column, the row delta and the shift of a numeric column', () => {
    // Prepare: v2 has 50% more rows, temperature moved up by 10, and a new humidity column.
    const a = side(
      1,
      [col('id', 'int'), col('temperature', 'float')],
      range(100, (i) => ({ id: i, temperature: 20 + (i % 10) })),
    );
    const b = side(
      2,
      [col('id', 'int'), col('temperature', 'float'), col('humidity', 'float', true)],
      range(150, (i) => ({ id: i, temperature: 30 + (i % 10), humidity: i % 3 === 0 ? null : 0.5 })),
    );

    // Act
    const diff = diffVersions(a, b);

    // Assess
    expect(diff.schema).toEqual({
      unchanged: false,
      added: [col('humidity', 'float', true)],
      removed: [],
      typeChanged: [],
      nullabilityChanged: [],
    });
    expect(diff.rows).toEqual({ from: 100, to: 150, delta: 50, relative: 0.5 });
    expect(diff.columns.map((c) => c.column)).toEqual(['id', 'temperature']);
    const temperature = diff.columns.find((c) => c.column === 'temperature');
    expect(temperature?.numeric?.mean.delta).toBeCloseTo(10, 12);
    // Same spread; only the n − 1 denominator differs between 100 and 150 rows.
    expect(temperature?.numeric?.std.delta).toBeCloseTo(0, 1);
    expect(temperature?.numeric?.min).toEqual({ from: 20, to: 30, delta: 10, relative: 0.5 });
    expect(temperature?.numeric?.max).toEqual({ from: 29, to: 39, delta: 10, relative: 10 / 29 });
    expect(temperature?.numeric?.quantiles.p50).toEqual({ from: 24, to: 34, delta: 10, relative: 10 / 24 });
    expect(temperature?.numeric?.quantiles).toHaveProperty('p5');
    expect(temperature?.numeric?.quantiles).toHaveProperty('p95');
    const stdBefore = (a.profile?.columns[1] as { std: number } | undefined)?.std ?? Number.NaN;
    expect(temperature?.numeric?.meanShiftSd).toBeCloseTo(10 / stdBefore, 12);
    expect(temperature?.topK).toBeUndefined();
  });

  it('summarizes both sides: created times, source files, content hashes, tags', () => {
    // Prepare
    const a = side(1, [col('x', 'int')], [{ x: 1 }], { tags: ['baseline'] });
    const b = side(3, [col('x', 'int')], [{ x: 1 }], { contentHash: 'hash-1', sourceSha256: 'source-1' });

    // Act
    const diff = diffVersions(a, b);

    // Assess
    expect(diff.dataset).toBe('sensors');
    expect(diff.from).toEqual({
      version: 1,
      status: 'READY',
      createdAt: '2026-11-01T00:00:00.000Z',
      contentHash: 'hash-1',
      rowCount: 1,
      columns: 1,
      tags: ['baseline'],
      source: { fileId: a.record.sourceFileId, key: 'fresh/t/sensors/day-1.csv', sha256: 'source-1' },
    });
    expect(diff.to).toMatchObject({ version: 3, createdAt: '2026-11-03T00:00:00.000Z', tags: [] });
    expect(diff.sameContent).toBe(true);
    expect(diff.sameSource).toBe(true);
  });

  it('says when the content differs', () => {
    // Act
    const diff = diffVersions(side(1, [col('x', 'int')], [{ x: 1 }]), side(2, [col('x', 'int')], [{ x: 2 }]));

    // Assess
    expect(diff.sameContent).toBe(false);
    expect(diff.sameSource).toBe(false);
  });

  it('finds nothing to report between a version and itself', () => {
    // Prepare
    const a = side(
      1,
      [col('n', 'float', true), col('s', 'string'), col('b', 'bool')],
      range(40, (i) => ({ n: i % 4 === 0 ? null : i / 3, s: `v${i % 7}`, b: i % 2 === 0 })),
    );

    // Act
    const diff = diffVersions(a, a);

    // Assess
    expect(diff.schema.unchanged).toBe(true);
    expect(diff.rows).toEqual({ from: 40, to: 40, delta: 0, relative: 0 });
    for (const column of diff.columns) {
      expect(column.nullFraction.delta).toBe(0);
      expect(column.distinct.delta).toBe(0);
      if (column.numeric) {
        expect(column.numeric.mean.delta).toBe(0);
        expect(column.numeric.meanShiftSd).toBe(0);
      }
      if (column.topK) expect(column.topK).toEqual({ appeared: [], disappeared: [] });
    }
  });

  it('reports removed columns, type changes and nullability changes', () => {
    // Prepare
    const a = side(
      1,
      [col('id', 'int'), col('code', 'int'), col('note', 'string', true), col('gone', 'bool')],
      range(5, (i) => ({ id: i, code: i, note: i === 0 ? null : 'x', gone: true })),
    );
    const b = side(
      2,
      [col('id', 'int', true), col('code', 'string'), col('note', 'string')],
      range(5, (i) => ({ id: i === 4 ? null : i, code: `c${i}`, note: 'x' })),
    );

    // Act
    const diff = diffVersions(a, b);

    // Assess
    expect(diff.schema.added).toEqual([]);
    expect(diff.schema.removed).toEqual([col('gone', 'bool')]);
    expect(diff.schema.typeChanged).toEqual([{ column: 'code', from: 'int', to: 'string' }]);
    expect(diff.schema.nullabilityChanged).toEqual([
      { column: 'id', from: false, to: true },
      { column: 'note', from: true, to: false },
    ]);
    const code = diff.columns.find((c) => c.column === 'code');
    expect(code?.type).toEqual({ from: 'int', to: 'string' });
    // Across kinds only what every column has is compared.
    expect(code?.numeric).toBeUndefined();
    expect(code?.topK).toBeUndefined();
    expect(code?.distinct).toMatchObject({ from: 5, to: 5, delta: 0, exact: true });
    expect(diff.columns.find((c) => c.column === 'id')?.nullFraction).toEqual({
      from: 0,
      to: 0.2,
      delta: 0.2,
      relative: null,
    });
  });

  it('compares an int column that became float as numbers', () => {
    // Prepare
    const a = side(
      1,
      [col('v', 'int')],
      range(10, (i) => ({ v: i })),
    );
    const b = side(
      2,
      [col('v', 'float')],
      range(10, (i) => ({ v: i + 0.5 })),
    );

    // Act
    const [v] = diffVersions(a, b).columns;

    // Assess
    expect(v?.type).toEqual({ from: 'int', to: 'float' });
    expect(v?.numeric?.mean.delta).toBeCloseTo(0.5, 12);
  });

  it('lists the top-k values of a string column that appeared and disappeared', () => {
    // Prepare: "north" is gone, "west" is new, "south" and "east" stay.
    const a = side(
      1,
      [col('site', 'string')],
      range(30, (i) => ({ site: ['north', 'south', 'east'][i % 3] as string })),
    );
    const b = side(
      2,
      [col('site', 'string')],
      range(30, (i) => ({ site: ['west', 'south', 'east'][i % 3] as string })),
    );

    // Act
    const [site] = diffVersions(a, b).columns;

    // Assess
    expect(site?.topK).toEqual({
      appeared: [{ value: 'west', count: 10 }],
      disappeared: [{ value: 'north', count: 10 }],
    });
    expect(site?.numeric).toBeUndefined();
    expect(site?.distinct).toMatchObject({ from: 3, to: 3, delta: 0 });
  });

  it('gives top-k changes for bool columns too', () => {
    // Prepare
    const a = side(
      1,
      [col('ok', 'bool')],
      range(4, () => ({ ok: true })),
    );
    const b = side(
      2,
      [col('ok', 'bool')],
      range(4, (i) => ({ ok: i > 0 })),
    );

    // Act
    const [ok] = diffVersions(a, b).columns;

    // Assess
    expect(ok?.topK).toEqual({ appeared: [{ value: 'false', count: 1 }], disappeared: [] });
  });

  it('leaves numeric statistics null where a side has no finite values', () => {
    // Prepare
    const a = side(
      1,
      [col('v', 'float', true)],
      range(3, () => ({ v: null })),
    );
    const b = side(
      2,
      [col('v', 'float', true)],
      range(3, (i) => ({ v: i })),
    );

    // Act
    const [v] = diffVersions(a, b).columns;

    // Assess
    expect(v?.numeric?.mean).toEqual({ from: null, to: 1, delta: null, relative: null });
    expect(v?.numeric?.meanShiftSd).toBeNull();
    expect(v?.numeric?.quantiles).toEqual({});
    expect(v?.nullFraction).toEqual({ from: 1, to: 0, delta: -1, relative: -1 });
  });

  it('gives schema and row changes but no column deltas when a profile is missing', () => {
    // Prepare
    const a = side(1, [col('x', 'int')], [{ x: 1 }]);
    const b = {
      ...side(
        2,
        [col('x', 'int'), col('y', 'int')],
        [
          { x: 1, y: 2 },
          { x: 2, y: 3 },
        ],
      ),
      profile: undefined,
    };

    // Act
    const diff = diffVersions(a, b);

    // Assess
    expect(diff.profiles).toEqual({ from: true, to: false });
    expect(diff.columns).toEqual([]);
    expect(diff.schema.added.map((c) => c.name)).toEqual(['y']);
    expect(diff.rows.delta).toBe(1);
  });

  it('reports a relative row change of null from an empty version', () => {
    // Prepare
    const a = side(1, [col('x', 'int')], []);
    const b = side(2, [col('x', 'int')], [{ x: 1 }]);

    // Act + Assess
    expect(diffVersions(a, b).rows).toEqual({ from: 0, to: 1, delta: 1, relative: null });
  });

  it('is antisymmetric: swapping the sides negates every delta and swaps added and removed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 50 }),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 50 }),
        (xs, ys) => {
          // Prepare
          const a = side(
            1,
            [col('v', 'float'), col('only_a', 'int')],
            xs.map((v) => ({ v, only_a: 1 })),
          );
          const b = side(
            2,
            [col('v', 'float'), col('only_b', 'int')],
            ys.map((v) => ({ v, only_b: 1 })),
          );

          // Act
          const forward = diffVersions(a, b);
          const backward = diffVersions(b, a);

          // Assess
          expect(forward.rows.delta + backward.rows.delta).toBe(0);
          expect(forward.schema.added).toEqual(backward.schema.removed);
          expect(forward.schema.removed).toEqual(backward.schema.added);
          const f = forward.columns[0]?.numeric;
          const g = backward.columns[0]?.numeric;
          for (const key of ['mean', 'std', 'min', 'max'] as const) {
            expect(f?.[key].delta).toBeCloseTo(-(g?.[key].delta ?? Number.NaN), 6);
            expect(f?.[key].from).toBe(g?.[key].to);
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('numberDelta', () => {
  it('computes absolute and relative change, relative to the magnitude of the old value', () => {
    expect(numberDelta(4, 5)).toEqual({ from: 4, to: 5, delta: 1, relative: 0.25 });
    expect(numberDelta(-4, -2)).toEqual({ from: -4, to: -2, delta: 2, relative: 0.5 });
    expect(numberDelta(0, 3)).toEqual({ from: 0, to: 3, delta: 3, relative: null });
    expect(numberDelta(undefined, 3)).toEqual({ from: null, to: 3, delta: null, relative: null });
    expect(numberDelta(2, null)).toEqual({ from: 2, to: null, delta: null, relative: null });
  });
});

describe('diffSchemas', () => {
  it('ignores column order', () => {
    expect(diffSchemas([col('a', 'int'), col('b', 'string')], [col('b', 'string'), col('a', 'int')])).toEqual(
      {
        unchanged: true,
        added: [],
        removed: [],
        typeChanged: [],
        nullabilityChanged: [],
      },
    );
  });
});

describe('topKDeltas', () => {
  it('keeps each side’s counts and order', () => {
    // Act
    const delta = topKDeltas(
      [
        { value: 'a', count: 9 },
        { value: 'b', count: 5 },
        { value: 'c', count: 1 },
      ],
      [
        { value: 'd', count: 7 },
        { value: 'a', count: 6 },
        { value: 'e', count: 2 },
      ],
    );

    // Assess
    expect(delta).toEqual({
      appeared: [
        { value: 'd', count: 7 },
        { value: 'e', count: 2 },
      ],
      disappeared: [
        { value: 'b', count: 5 },
        { value: 'c', count: 1 },
      ],
    });
  });
});

// A profile document as stored is plain JSON: the diff must not depend on anything else.
describe('diffVersions on stored profiles', () => {
  it('works on a JSON round trip of the profiles', () => {
    // Prepare
    const a = side(
      1,
      [col('v', 'float')],
      range(20, (i) => ({ v: i })),
    );
    const b = side(
      2,
      [col('v', 'float')],
      range(20, (i) => ({ v: i * 2 })),
    );
    const stored = (s: DiffSide) => ({
      ...s,
      profile: JSON.parse(JSON.stringify(s.profile)) as DatasetProfile,
    });

    // Act + Assess
    expect(diffVersions(stored(a), stored(b))).toEqual(diffVersions(a, b));
  });
});
