import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitFileToTable, toDeltaSchema } from '../../shared/domain/delta/schema.js';
import type { FileStats } from '../../shared/domain/delta/stats.js';
import {
  countsFromMetrics,
  keyText,
  mayHoldKeys,
  operationMetrics,
  type WriteCounts,
} from '../../shared/domain/delta/writes.js';
import type { TableSchema } from '../../shared/domain/table.js';
import { SchemaMismatchError } from '../../shared/errors.js';

/** The statistics of a file holding `ids` in column id (nulls counted). */
function statsOf(ids: (number | null)[]): FileStats {
  const values = ids.filter((v): v is number => v !== null);
  return {
    numRecords: ids.length,
    minValues: values.length > 0 ? { id: Math.min(...values) } : {},
    maxValues: values.length > 0 ? { id: Math.max(...values) } : {},
    nullCount: { id: ids.length - values.length },
  };
}

describe('choosing the table files an upsert or dedup must read', () => {
  it('never skips a file that holds one of the incoming keys', () => {
    const ids = fc.array(fc.option(fc.integer({ min: -50, max: 50 }), { nil: null }), {
      minLength: 1,
      maxLength: 20,
    });
    fc.assert(
      fc.property(ids, ids, (table, incoming) => {
        // Prepare
        const shared = table.some((id) => id !== null && incoming.includes(id));

        // Act
        const read = mayHoldKeys(statsOf(table), statsOf(incoming), ['id']);

        // Assess
        if (shared) expect(read).toBe(true);
      }),
    );
  });

  it('skips a file whose key range lies outside the incoming one, and one whose keys are all null', () => {
    // Prepare
    const incoming = statsOf([10, 12, 15]);

    // Act
    const below = mayHoldKeys(statsOf([1, 9]), incoming, ['id']);
    const overlapping = mayHoldKeys(statsOf([14, 30]), incoming, ['id']);
    const nulls = mayHoldKeys(statsOf([null, null]), incoming, ['id']);
    const unknown = mayHoldKeys(undefined, incoming, ['id']);

    // Assess
    expect(below).toBe(false);
    expect(overlapping).toBe(true);
    expect(nulls).toBe(false);
    expect(unknown).toBe(true);
  });
});

describe('a key', () => {
  it('is one value for 0 and -0, and for an int and a double of the same number; a null key is none', () => {
    // Act
    const zero = [keyText([0, 'a']), keyText([-0, 'a'])];
    const numbers = [keyText([3]), keyText([3.0])];
    const withNull = keyText([1, null]);

    // Assess
    expect(zero[0]).toBe(zero[1]);
    expect(numbers[0]).toBe(numbers[1]);
    expect(withNull).toBeUndefined();
  });

  it('tells apart keys whose cells only concatenate alike', () => {
    fc.assert(
      fc.property(fc.tuple(fc.string(), fc.string()), fc.tuple(fc.string(), fc.string()), (a, b) => {
        fc.pre(a[0] !== b[0] || a[1] !== b[1]);
        expect(keyText(a)).not.toBe(keyText(b));
      }),
    );
  });
});

describe("a commit's counts", () => {
  it('round-trip through its commitInfo.operationMetrics', () => {
    const count = fc.nat({ max: 1_000_000 });
    fc.assert(
      fc.property(fc.tuple(count, count, count, count, count, count, count), (n) => {
        // Prepare
        const counts: WriteCounts = {
          mode: 'upsert',
          filesAdded: n[0],
          filesRemoved: n[1],
          rowsAdded: n[2],
          rowsRemoved: n[3],
          rowsUpdated: n[4],
          rowsDuplicate: n[5],
          rowsCopied: n[6],
        };

        // Act
        const back = countsFromMetrics('upsert', JSON.parse(JSON.stringify(operationMetrics(counts))));

        // Assess
        expect(back).toEqual(counts);
      }),
    );
  });

  it('are unknown for a commit of another writer', () => {
    expect(countsFromMetrics('append', { numFiles: '1' })).toBeUndefined();
    expect(countsFromMetrics('append', undefined)).toBeUndefined();
  });
});

const table = toDeltaSchema({
  columns: [
    { name: 'id', type: 'int', nullable: true },
    { name: 'price', type: 'float', nullable: true },
    { name: 'sku', type: 'string', nullable: false },
  ],
});

describe("fitting a file to the dataset's table", () => {
  it('refuses new columns without add_columns, listing every difference', () => {
    // Prepare
    const file: TableSchema = {
      columns: [
        { name: 'id', type: 'string', nullable: true },
        { name: 'price', type: 'float', nullable: true },
        { name: 'colour', type: 'string', nullable: true },
        { name: 'Price', type: 'float', nullable: true },
      ],
    };

    // Act
    const caught = (() => {
      try {
        fitFileToTable(table, file, { evolution: 'none', widenTypes: false });
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(caught).toBeInstanceOf(SchemaMismatchError);
    expect((caught as SchemaMismatchError).differences).toEqual([
      'column "id" is string in the file and "long" in the table',
      'column "colour" (string) is not in the table',
      'column "Price" differs from the table\'s "price" only by case',
      'the file lacks the table\'s non-nullable column "sku"',
    ]);
  });

  it("adds new columns as nullable with add_columns, after the table's own", () => {
    // Prepare
    const file: TableSchema = {
      columns: [
        { name: 'colour', type: 'string', nullable: false },
        { name: 'sku', type: 'string', nullable: false },
      ],
    };

    // Act
    const fit = fitFileToTable(table, file, { evolution: 'add_columns', widenTypes: false });

    // Assess
    expect(fit.evolved?.fields.map((f) => [f.name, f.nullable])).toEqual([
      ['id', true],
      ['price', true],
      ['sku', false],
      ['colour', true],
    ]);
  });

  it('writes an int column into a double column only when widening is allowed, never the other way', () => {
    // Prepare
    const intPrice: TableSchema = {
      columns: [
        { name: 'price', type: 'int', nullable: true },
        { name: 'sku', type: 'string', nullable: false },
      ],
    };
    const floatId: TableSchema = {
      columns: [
        { name: 'id', type: 'float', nullable: true },
        { name: 'sku', type: 'string', nullable: false },
      ],
    };

    // Act
    const widened = fitFileToTable(table, intPrice, { evolution: 'none', widenTypes: true });
    const strict = () => fitFileToTable(table, intPrice, { evolution: 'none', widenTypes: false });
    const narrowing = () => fitFileToTable(table, floatId, { evolution: 'none', widenTypes: true });

    // Assess
    expect(widened.widened).toEqual(['price']);
    expect(widened.fileSchema.columns[0]).toEqual({ name: 'price', type: 'float', nullable: true });
    expect(strict).toThrow(SchemaMismatchError);
    expect(narrowing).toThrow(/"id" is double in the file and "long" in the table/);
  });
});
