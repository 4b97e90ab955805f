import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeRows } from '../../shared/client/feature-store.js';
import {
  buildTimelines,
  compareSemver,
  entityKeyOf,
  latestPerEntity,
  nextVersion,
  parseFeatureRef,
  parseSemver,
  rowAsOf,
  semverSortKey,
} from '../../shared/domain/feature-store.js';
import { fitNormalization } from '../../shared/domain/features/normalize.js';
import { batchFromRows, type TableSchema } from '../../shared/domain/table.js';

const schema: TableSchema = {
  columns: [
    { name: 'id', type: 'string', nullable: false },
    { name: 'ts', type: 'timestamp', nullable: true },
    { name: 'x', type: 'float', nullable: true },
  ],
};

const rowsArb = fc.array(
  fc.record({
    id: fc.constantFrom('a', 'b', 'c'),
    ts: fc.option(fc.integer({ min: 0, max: 40 }), { freq: 12 }),
    x: fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
  }),
  { maxLength: 120 },
);

describe('point-in-time lookup', () => {
  it('never returns a row stamped after the query time, and returns the latest one at or before it', () => {
    fc.assert(
      fc.property(
        rowsArb,
        fc.constantFrom('a', 'b', 'c', 'd'),
        fc.integer({ min: -5, max: 45 }),
        (rows, id, at) => {
          // Prepare
          const table = batchFromRows(schema, rows);
          const timelines = buildTimelines(table, ['id'], 'ts');

          // Act
          const row = rowAsOf(timelines.get(entityKeyOf([id])), at);

          // Assess: the naive answer is the last (by time, then table order) row of the entity with ts ≤ at.
          const candidates = rows
            .map((r, i) => ({ ...r, i }))
            .filter((r) => r.id === id && r.ts !== null && r.ts <= at)
            .sort((p, q) => (p.ts as number) - (q.ts as number) || p.i - q.i);
          expect(row).toBe(candidates.at(-1)?.i);
          if (row !== undefined) expect(rows[row]?.ts as number).toBeLessThanOrEqual(at);
        },
      ),
    );
  });

  it('materializes each entity’s latest row, the later one winning a tie', () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        // Act
        const latest = latestPerEntity(batchFromRows(schema, rows), ['id'], 'ts', ['x']);

        // Assess
        for (const item of latest) {
          const own = rows
            .map((r, i) => ({ ...r, i }))
            .filter((r) => entityKeyOf([r.id]) === item.entityKey && r.ts !== null);
          const best = own.reduce((p, q) => ((q.ts as number) >= (p.ts as number) ? q : p));
          expect(item).toEqual({ entityKey: item.entityKey, eventTime: best.ts, values: { x: best.x } });
        }
        expect(latest).toHaveLength(new Set(rows.filter((r) => r.ts !== null).map((r) => r.id)).size);
      }),
    );
  });

  it('keeps composite keys apart even when a value contains the other’s characters', () => {
    expect(entityKeyOf(['a|b', 'c'])).not.toBe(entityKeyOf(['a', 'b|c']));
    expect(entityKeyOf([1, 'x'])).toBe(entityKeyOf(['1', 'x']));
  });
});

describe('feature versions', () => {
  it('orders semantic versions numerically through their sort keys', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.nat(999), fc.nat(999), fc.nat(999)),
        fc.tuple(fc.nat(999), fc.nat(999), fc.nat(999)),
        (a, b) => {
          const [x, y] = [a.join('.'), b.join('.')];
          const numeric = a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
          expect(Math.sign(compareSemver(x, y))).toBe(Math.sign(numeric));
          expect(Math.sign(semverSortKey(x).localeCompare(semverSortKey(y)))).toBe(Math.sign(numeric));
        },
      ),
    );
  });

  it('gives 1.0.0 first, then the next minor', () => {
    expect(nextVersion(undefined)).toBe('1.0.0');
    expect(nextVersion('1.4.2')).toBe('1.5.0');
  });

  it('refuses versions and references that are not well formed', () => {
    expect(() => parseSemver('1.2')).toThrow(/MAJOR.MINOR.PATCH/);
    expect(() => parseSemver('01.2.3')).toThrow();
    expect(parseFeatureRef('spend@1.2.3')).toEqual({ name: 'spend', version: '1.2.3' });
    expect(parseFeatureRef('spend')).toEqual({ name: 'spend', version: undefined });
    expect(() => parseFeatureRef('Spend')).toThrow(/feature name/);
    expect(() => parseFeatureRef('a@1.0.0@2')).toThrow(/more than one/);
  });
});

describe('normalizeRows (client, at inference)', () => {
  it('applies stored params exactly as registration applied them, leaving other fields alone', () => {
    // Prepare: params fit on training rows, stored as JSON and read back.
    const train = [
      { x: 1, y: 10 },
      { x: 2, y: 20 },
      { x: 4, y: 40 },
    ];
    const trainSchema: TableSchema = {
      columns: [
        { name: 'x', type: 'float', nullable: false },
        { name: 'y', type: 'float', nullable: false },
      ],
    };
    const params = JSON.parse(
      JSON.stringify(
        fitNormalization(batchFromRows(trainSchema, train), { method: 'zscore', columns: ['x'] }),
      ),
    );

    // Act
    const [row] = normalizeRows([{ id: 'e1', x: 7, y: 70 }], params);

    // Assess
    const mean = 7 / 3;
    const std = Math.sqrt(((1 - mean) ** 2 + (2 - mean) ** 2 + (4 - mean) ** 2) / 2);
    expect(row?.x).toBeCloseTo((7 - mean) / std, 12);
    expect(row).toMatchObject({ id: 'e1', y: 70 });
  });
});
