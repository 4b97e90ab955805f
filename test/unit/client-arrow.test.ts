import {
  DateDay,
  Dictionary,
  Field,
  Int32,
  Int64,
  List,
  makeVector,
  Table,
  TimestampNanosecond,
  tableFromArrays,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import fc from 'fast-check';
import { parquetMetadata } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import {
  arrowTableFrom,
  inferColumn,
  recordBatchesOf,
  recordBatchOf,
  tableSchemaOf,
  toArrowTable,
} from '../../shared/client/arrow.js';
import { decodeParquet, encodeParquet, rowGroupRows } from '../../shared/client/parquet.js';
import {
  type CellValue,
  type ColumnType,
  type RecordBatch,
  rowsOf,
  type TableSchema,
} from '../../shared/domain/table.js';
import { InvalidInputError } from '../../shared/errors.js';
import { openParquet } from '../../shared/formats/parquet.js';

const MAX_MS = 8_640_000_000_000; // ±275,760 years: the range a Date holds

function cellArb(type: ColumnType, nullable: boolean): fc.Arbitrary<CellValue> {
  const value: fc.Arbitrary<CellValue> =
    type === 'int'
      ? fc.maxSafeInteger()
      : type === 'float'
        ? fc.double({ noNaN: true })
        : type === 'bool'
          ? fc.boolean()
          : type === 'string'
            ? fc.string({ unit: 'binary' })
            : fc.integer({ min: -MAX_MS, max: MAX_MS });
  return nullable ? fc.option(value, { nil: null }) : value;
}

/** A schema of distinct column names and a batch list of it. */
const tableArb: fc.Arbitrary<{ schema: TableSchema; batches: RecordBatch[] }> = fc
  .uniqueArray(
    fc.record({
      name: fc.string({ minLength: 1, maxLength: 12 }),
      type: fc.constantFrom<ColumnType>('int', 'float', 'bool', 'string', 'timestamp'),
      nullable: fc.boolean(),
    }),
    { minLength: 1, maxLength: 6, selector: (c) => c.name },
  )
  .chain((columns) => {
    const schema: TableSchema = { columns };
    const batch = fc
      .integer({ min: 1, max: 20 })
      .chain((numRows) =>
        fc
          .tuple(
            ...columns.map((c) =>
              fc.array(cellArb(c.type, c.nullable), { minLength: numRows, maxLength: numRows }),
            ),
          )
          .map((cols): RecordBatch => ({ schema, numRows, columns: cols })),
      );
    return fc.array(batch, { minLength: 1, maxLength: 3 }).map((batches) => ({ schema, batches }));
  });

function allRows(batches: Iterable<RecordBatch>): Record<string, CellValue>[] {
  return [...batches].flatMap((b) => rowsOf(b));
}

async function readWithPipelineReader(bytes: Uint8Array) {
  const file = await openParquet({ size: bytes.length, read: async (s, e) => bytes.subarray(s, e) });
  const rows: Record<string, CellValue>[] = [];
  for await (const batch of file.readRowGroups()) rows.push(...rowsOf(batch));
  return { schema: file.schema, rows };
}

describe('Arrow ↔ strata record batches', () => {
  it('round-trips any strata table through Arrow with the same schema and values', () => {
    fc.assert(
      fc.property(tableArb, ({ schema, batches }) => {
        // Act
        const table = arrowTableFrom(schema, batches);
        const back = [...recordBatchesOf(table)];

        // Assess
        expect(tableSchemaOf(table.schema)).toEqual(schema);
        expect(allRows(back)).toEqual(allRows(batches));
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips any strata table through the client Parquet codec, and the pipeline reader reads the same rows and schema', async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, async ({ schema, batches }) => {
        // Prepare
        const table = arrowTableFrom(schema, batches);

        // Act
        const bytes = encodeParquet(table);
        const decoded = decodeParquet(bytes);
        const piped = await readWithPipelineReader(bytes);

        // Assess
        expect(allRows(recordBatchesOf(decoded))).toEqual(allRows(batches));
        expect(piped.schema).toEqual(schema);
        expect(piped.rows).toEqual(allRows(batches));
      }),
      { numRuns: 60 },
    );
  });

  it('reads other Arrow types as the pipeline reads them: narrow ints, float32, dictionary strings, nanosecond timestamps, dates', () => {
    // Prepare
    const table = tableFromArrays({
      small: Int32Array.from([1, -2, 3]),
      f: Float32Array.from([0.5, Number.NaN, 2]),
    }) as Table;
    const withMore = table.assign(
      new Table({
        cat: vectorFromArray(['a', 'b', 'a'], new Dictionary(new Utf8(), new Int32())),
        ns: makeVector({
          type: new TimestampNanosecond('UTC'),
          data: BigInt64Array.from([1_700_000_000_123_456_789n, -1n, 0n]),
        } as never),
        day: vectorFromArray([new Date(Date.UTC(2026, 0, 2)), null, new Date(0)], new DateDay()),
      }),
    );

    // Act
    const batch = recordBatchOf(withMore);

    // Assess
    expect(batch.schema.columns.map((c) => [c.name, c.type])).toEqual([
      ['small', 'int'],
      ['f', 'float'],
      ['cat', 'string'],
      ['ns', 'timestamp'],
      ['day', 'timestamp'],
    ]);
    expect(rowsOf(batch)).toEqual([
      { small: 1, f: 0.5, cat: 'a', ns: 1_700_000_000_123, day: Date.UTC(2026, 0, 2) },
      // Floored, as the pipeline's reader floors sub-millisecond digits: -1 ns is before the epoch.
      { small: -2, f: null, cat: 'b', ns: -1, day: null },
      { small: 3, f: 2, cat: 'a', ns: 0, day: 0 },
    ]);
  });

  it('refuses an Int64 beyond ±2^53 and a type strata does not store, naming the column', () => {
    // Prepare
    const big = new Table({
      id: makeVector({ type: new Int64(), data: BigInt64Array.from([1n, 2n ** 60n]) } as never),
    });
    const nested = new Table({
      tags: vectorFromArray([['a'], ['b', 'c']], new List(new Field('item', new Utf8(), true))),
    });

    // Act
    const bigError = (() => {
      try {
        toArrowTable(big);
      } catch (e) {
        return e;
      }
    })();

    // Assess
    expect(bigError).toBeInstanceOf(InvalidInputError);
    expect((bigError as Error).message).toContain('"id"');
    expect(() => recordBatchOf(nested)).toThrow(/column "tags" has Arrow type/);
  });
});

describe('toArrowTable', () => {
  it('infers row objects as the pipeline infers JSON records: ints, floats, ISO strings and Dates as timestamps, missing keys as nulls', () => {
    // Prepare
    const rows = [
      { id: 1, amount: 2, at: '2026-01-02T03:04:05Z', when: new Date(Date.UTC(2026, 0, 1)), tag: 'x' },
      { id: 2, amount: 2.5, at: '2026-01-03', when: new Date(Date.UTC(2026, 0, 2)), extra: { a: [1] } },
    ];

    // Act
    const batch = recordBatchOf(toArrowTable(rows));

    // Assess
    expect(batch.schema.columns).toEqual([
      { name: 'id', type: 'int', nullable: false },
      { name: 'amount', type: 'float', nullable: false },
      { name: 'at', type: 'timestamp', nullable: false },
      { name: 'when', type: 'timestamp', nullable: false },
      { name: 'tag', type: 'string', nullable: true },
      { name: 'extra', type: 'string', nullable: true },
    ]);
    expect(rowsOf(batch)[1]).toEqual({
      id: 2,
      amount: 2.5,
      at: Date.UTC(2026, 0, 3),
      when: Date.UTC(2026, 0, 2),
      tag: null,
      extra: '{"a":[1]}',
    });
  });

  it('takes a column map, joins mixed kinds to string as the pipeline does, and refuses ragged columns', () => {
    // Act
    const batch = recordBatchOf(toArrowTable({ a: [1, 2], mixed: [true, 3], big: [2n ** 60n, 1n] }));

    // Assess
    expect(batch.schema.columns.map((c) => c.type)).toEqual(['int', 'string', 'string']);
    expect(rowsOf(batch)).toEqual([
      { a: 1, mixed: 'true', big: '1152921504606846976' },
      { a: 2, mixed: '3', big: '1' },
    ]);
    expect(() => toArrowTable({ a: [1], b: [1, 2] })).toThrow(InvalidInputError);
  });

  it('converts to a given schema and refuses a value that does not convert', () => {
    // Prepare
    const schema: TableSchema = {
      columns: [
        { name: 'id', type: 'string', nullable: false },
        { name: 'score', type: 'float', nullable: true },
      ],
    };

    // Act
    const batch = recordBatchOf(toArrowTable({ id: [1, 2], score: [1, null] }, { schema }));

    // Assess
    expect(rowsOf(batch)).toEqual([
      { id: '1', score: 1 },
      { id: '2', score: null },
    ]);
    expect(() => toArrowTable({ id: ['a'], score: ['high'] }, { schema })).toThrow(/column "score" row 0/);
  });

  it('infers the same type for a column whatever form its values come in (numbers, their JSON, their row objects)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null)),
          { minLength: 1 },
        ),
        (values) => {
          // Act
          const fromColumn = inferColumn('v', values);
          const fromRows = recordBatchOf(toArrowTable(values.map((v) => ({ v, k: 1 })))).schema.columns[0];

          // Assess
          expect(fromRows).toEqual(fromColumn);
          const numbers = values.filter((v): v is number => v !== null);
          const expected =
            numbers.length === 0 ? 'string' : numbers.every(Number.isSafeInteger) ? 'int' : 'float';
          expect(fromColumn.type).toBe(expected);
          expect(fromColumn.nullable).toBe(numbers.length < values.length);
        },
      ),
    );
  });

  it('returns an Arrow table of the canonical types as it is, and converts other types', () => {
    // Prepare
    const canonical = toArrowTable({ id: [1, 2] });
    const narrow = tableFromArrays({ id: Int32Array.from([1, 2]) }) as Table;

    // Act
    const same = toArrowTable(canonical);
    const widened = toArrowTable(narrow);

    // Assess
    expect(same).toBe(canonical);
    expect(String(widened.schema.fields[0]?.type)).toBe('Int64');
    expect(rowsOf(recordBatchOf(widened))).toEqual([{ id: 1 }, { id: 2 }]);
  });
});

describe('encodeParquet', () => {
  it('caps row groups by rows and by the bytes of an average row', () => {
    // Prepare
    const table = toArrowTable({ text: Array.from({ length: 1000 }, (_, i) => `${i}`.padStart(1000, 'x')) });

    // Act
    const byRows = rowGroupRows(table, { rowGroupSize: 300 });
    const byBytes = rowGroupRows(table, { rowGroupBytes: 100_000 });

    // Assess
    expect(byRows).toBe(300);
    expect(byBytes).toBeGreaterThanOrEqual(95);
    expect(byBytes).toBeLessThanOrEqual(100);
  });

  it('writes the file the pipeline reads: strata types, timestamps as UTC microseconds, row groups of the cap', async () => {
    // Prepare
    const table = toArrowTable({
      id: Array.from({ length: 250 }, (_, i) => i),
      at: Array.from({ length: 250 }, (_, i) => new Date(Date.UTC(2026, 0, 1) + i)),
    });

    // Act
    const bytes = encodeParquet(table, { rowGroupSize: 100 });
    const file = await openParquet({ size: bytes.length, read: async (s, e) => bytes.subarray(s, e) });

    // Assess
    expect(file.rowGroups.map((g) => g.numRows)).toEqual([100, 100, 50]);
    const at = parquetMetadata(new Uint8Array(bytes).buffer).schema.find((e) => e.name === 'at');
    expect(at?.type).toBe('INT64');
    expect(at?.logical_type).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' });
  });
});
