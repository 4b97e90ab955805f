import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeRows } from '../../shared/client/feature-store.js';
import {
  buildTimelines,
  checkFeatureColumns,
  checkServableOnline,
  checkServablePointInTime,
  compareSemver,
  entityKeyOf,
  featureKindOf,
  latestPerEntity,
  nextVersion,
  parseFeatureRef,
  parseSemver,
  rowAsOf,
  rowPerEntity,
  semverSortKey,
  withDeclaredTypes,
} from '../../shared/domain/feature-store.js';
import { fitNormalization } from '../../shared/domain/features/normalize.js';
import {
  batchFromRows,
  type CellValue,
  type RecordBatch,
  type TableSchema,
} from '../../shared/domain/table.js';
import { FeatureNotServableError } from '../../shared/errors.js';

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

describe('static feature tables (no timestamp column)', () => {
  const tickets: TableSchema = {
    columns: [
      { name: 'ticket_id', type: 'int', nullable: false },
      { name: 'priority', type: 'string', nullable: false },
      { name: 'category', type: 'string', nullable: true },
    ],
  };

  it('takes a table without entity key or time column, and with an entity key alone', () => {
    expect(() => checkFeatureColumns(tickets, [], undefined)).not.toThrow();
    expect(() => checkFeatureColumns(tickets, ['ticket_id'], undefined)).not.toThrow();
    expect(featureKindOf({ timestampColumn: undefined })).toBe('static');
    expect(featureKindOf({ timestampColumn: 'ts' })).toBe('time_series');
  });

  it('refuses a time series without an entity key, and keys or times the table lacks', () => {
    const withTime: TableSchema = {
      columns: [...tickets.columns, { name: 'opened', type: 'timestamp', nullable: false }],
    };
    expect(() => checkFeatureColumns(withTime, [], 'opened')).toThrow(/needs at least one entity key/);
    expect(() => checkFeatureColumns(tickets, ['nope'], undefined)).toThrow(/"nope" is not in the source/);
    expect(() => checkFeatureColumns(tickets, ['ticket_id'], 'opened')).toThrow(/"opened" is not in/);
    expect(() => checkFeatureColumns(tickets, ['ticket_id'], 'priority')).toThrow(/string, not a time/);
    expect(() => checkFeatureColumns(withTime, ['opened'], 'opened')).toThrow(/both an entity key/);
    expect(() => checkFeatureColumns(tickets, ['ticket_id', 'ticket_id'], undefined)).toThrow(/twice/);
  });

  it("serves each entity's row online as it is, whatever the rows and their order", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { maxLength: 60 }),
        fc.array(fc.constantFrom('low', 'high', null), { minLength: 60, maxLength: 60 }),
        (ids, priorities) => {
          // Prepare
          const rows = ids.map((id, i) => ({
            ticket_id: id,
            priority: priorities[i] ?? null,
            category: 'x',
          }));
          const table = batchFromRows(tickets, rows);

          // Act
          const served = rowPerEntity(table, ['ticket_id'], ['priority', 'category']);

          // Assess: one item per row, keyed as online lookups key it, holding that row's values.
          expect(served).toEqual(
            rows.map((r) => ({
              entityKey: entityKeyOf([r.ticket_id]),
              values: { priority: r.priority, category: 'x' },
            })),
          );
        },
      ),
    );
  });

  it('refuses a keyed static table with a key on two rows or a row without its key', () => {
    // Prepare
    const twice = batchFromRows(tickets, [
      { ticket_id: 7, priority: 'low', category: 'a' },
      { ticket_id: 8, priority: 'low', category: 'a' },
      { ticket_id: 7, priority: 'high', category: 'b' },
    ]);
    const keyless = batchFromRows({ columns: tickets.columns.map((c) => ({ ...c, nullable: true })) }, [
      { ticket_id: null, priority: 'low', category: 'a' },
    ]);

    // Act / Assess
    expect(() => rowPerEntity(twice, ['ticket_id'], ['priority'])).toThrow(/= 7 is on rows 0 and 2/);
    expect(() => rowPerEntity(keyless, ['ticket_id'], ['priority'])).toThrow(/row 0 has no value/);
  });

  it('refuses online lookup without an entity key and point-in-time joins without a time column', () => {
    // Prepare
    const unkeyed = { name: 'ticket_features', version: '1.0.0', entityKeys: [], timestampColumn: undefined };

    // Act
    const online = (() => {
      try {
        checkServableOnline(unkeyed);
      } catch (error) {
        return error;
      }
    })();
    const historical = (() => {
      try {
        checkServablePointInTime({ ...unkeyed, entityKeys: ['ticket_id'] });
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(online).toBeInstanceOf(FeatureNotServableError);
    expect(online).toMatchObject({ statusCode: 422, needs: 'entity_key', feature: 'ticket_features' });
    expect((online as Error).message).toMatch(/ticket_features@1.0.0 has no entity key/);
    expect(historical).toMatchObject({ name: 'FeatureNotServableError', needs: 'timestamp_column' });
    expect((historical as Error).message).toMatch(/static table .*point-in-time join does not apply/);
    expect(() => checkServableOnline({ ...unkeyed, entityKeys: ['ticket_id'] })).not.toThrow();
    expect(() => checkServablePointInTime({ ...unkeyed, timestampColumn: 'ts' })).not.toThrow();
  });
});

describe('inline columns with declared types', () => {
  const inferred = (columns: Record<string, CellValue[]>): RecordBatch => ({
    schema: {
      columns: Object.entries(columns).map(([name, values]) => ({
        name,
        type: values.every((v) => typeof v === 'number' && Number.isSafeInteger(v)) ? 'int' : 'string',
        nullable: values.includes(null),
      })),
    },
    numRows: Object.values(columns)[0]?.length ?? 0,
    columns: Object.values(columns),
  });

  it('keeps the declared type over what the values look like, and the timestamp column a timestamp', () => {
    // Prepare: whole numbers in a float column, ISO text and epoch ms in a timestamp column.
    const table = inferred({
      score: [1, 2, null],
      at: ['2026-01-01T00:00:00Z', '1970-01-01T00:00:01Z', null],
    });
    const time = { ...inferred({ ts: [5, 6, 7] }) };
    time.schema = { columns: [{ name: 'ts', type: 'timestamp', nullable: false }] };

    // Act
    const typed = withDeclaredTypes(table, { score: 'float', at: 'timestamp' }, undefined);
    const kept = withDeclaredTypes(time, { ts: 'int' }, 'ts');

    // Assess
    expect(typed.schema.columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['score', 'float', true],
      ['at', 'timestamp', true],
    ]);
    expect(typed.columns).toEqual([
      [1, 2, null],
      [Date.UTC(2026, 0, 1), 1000, null],
    ]);
    expect(kept.schema.columns[0]?.type).toBe('timestamp');
  });

  it('refuses a value of another type, and a type for a column the data lacks', () => {
    const table = inferred({ n: [1, 2.5] });
    expect(() => withDeclaredTypes(table, { n: 'int' }, undefined)).toThrow(/"n" row 1: 2.5 is not a int/);
    expect(() => withDeclaredTypes(table, { n: 'bool' }, undefined)).toThrow(/row 0: 1 is not a bool/);
    expect(() => withDeclaredTypes(table, { m: 'int' }, undefined)).toThrow(/"m", which is not an inline/);
  });
});
