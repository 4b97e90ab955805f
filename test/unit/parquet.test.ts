import fc from 'fast-check';
import { parquetMetadata } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { createDriftCollector } from '../../shared/domain/drift/compare.js';
import { createProfiler } from '../../shared/domain/profile/index.js';
import { createQualityAssessor } from '../../shared/domain/quality/index.js';
import {
  batchFromRows,
  type CellValue,
  type ColumnType,
  type ReadBatch,
  type RecordBatch,
  rowsOf,
  type TableSchema,
} from '../../shared/domain/table.js';
import { InvalidInputError, ParseError } from '../../shared/errors.js';
import { openParquet, type ReadRowGroupsOptions, writeParquet } from '../../shared/formats/parquet.js';
import { asBatches, collect, fixture, rangeSource } from './parse/sources.js';

const ORDERS: TableSchema = {
  columns: [
    { name: 'id', type: 'int', nullable: false },
    { name: 'amount', type: 'float', nullable: true },
    { name: 'sku', type: 'string', nullable: true },
    { name: 'paid', type: 'bool', nullable: false },
    { name: 'at', type: 'timestamp', nullable: true },
  ],
};

function orderRows(n: number, from = 0): Record<string, CellValue>[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      id: i,
      amount: i % 3 === 0 ? null : i * 1.25,
      sku: i % 4 === 0 ? null : `sku-${i}`,
      paid: i % 2 === 0,
      at: i % 5 === 0 ? null : Date.UTC(2026, 0, 1) + i * 60_000,
    };
  });
}

async function writeToBytes(schema: TableSchema, batches: RecordBatch[], rowGroupSize?: number) {
  return collect((sink) =>
    writeParquet(schema, asBatches(batches), sink, rowGroupSize === undefined ? {} : { rowGroupSize }),
  );
}

async function readAll(bytes: Uint8Array, options?: ReadRowGroupsOptions & { typed?: false }) {
  const file = await openParquet(rangeSource(bytes));
  const rows: Record<string, CellValue>[] = [];
  for await (const batch of file.readRowGroups(options)) rows.push(...rowsOf(batch));
  return { file, rows };
}

describe('writeParquet / openParquet', () => {
  it("closes a row group by bytes as well as rows, and declares each one's uncompressed size", async () => {
    // Prepare: 30 rows whose sku holds ~20 KB; a 100 KB budget holds about 5 rows
    const schema: TableSchema = {
      columns: [
        { name: 'id', type: 'int', nullable: false },
        { name: 'sku', type: 'string', nullable: false },
      ],
    };
    const rows = Array.from({ length: 30 }, (_, i) => ({ id: i, sku: `${i}`.padEnd(10_000, 'x') }));

    // Act
    const { bytes } = await collect((sink) =>
      writeParquet(schema, asBatches([batchFromRows(schema, rows)]), sink, { rowGroupBytes: 100_000 }),
    );
    const { file, rows: back } = await readAll(bytes);

    // Assess
    expect(back).toEqual(rows);
    expect(file.rowGroups.map((g) => g.numRows)).toEqual([5, 5, 5, 5, 5, 5]);
    for (const g of file.rowGroups) expect(g.uncompressedBytes).toBeGreaterThan(5 * 10_000);
  });

  it('closes each row group at the row that fills its rows or crosses its bytes, however batches are cut', async () => {
    const schema: TableSchema = {
      columns: [
        { name: 'id', type: 'int', nullable: false },
        { name: 'note', type: 'string', nullable: true },
      ],
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.nat(300)), { minLength: 1, maxLength: 80 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 4_000 }),
        async (lengths, cuts, rowGroupSize, rowGroupBytes) => {
          // Prepare: a row costs 8 bytes for the id and 16 + 2 per character of its note (8 for a null).
          const rows = lengths.map((n, id) => ({ id, note: n === null ? null : 'x'.repeat(n) }));
          const batches: RecordBatch[] = [];
          for (let at = 0, k = 0; at < rows.length; k++) {
            const size = cuts[k % cuts.length] as number;
            batches.push(batchFromRows(schema, rows.slice(at, at + size)));
            at += size;
          }
          const expected: number[] = [];
          let groupRows = 0;
          let groupBytes = 0;
          for (const row of rows) {
            groupRows++;
            groupBytes += 8 + (row.note === null ? 8 : 16 + 2 * row.note.length);
            if (groupRows === rowGroupSize || groupBytes >= rowGroupBytes) {
              expected.push(groupRows);
              groupRows = 0;
              groupBytes = 0;
            }
          }
          if (groupRows > 0) expected.push(groupRows);

          // Act
          const { bytes } = await collect((sink) =>
            writeParquet(schema, asBatches(batches), sink, { rowGroupSize, rowGroupBytes }),
          );
          const { file } = await readAll(bytes);

          // Assess
          expect(file.rowGroups.map((g) => g.numRows)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads back what it wrote, regrouping batches into row groups of the requested size', async () => {
    // Prepare
    const rows = orderRows(25);
    const batches = [batchFromRows(ORDERS, rows.slice(0, 7)), batchFromRows(ORDERS, rows.slice(7))];

    // Act
    const { result, bytes, chunks } = await writeToBytes(ORDERS, batches, 10);
    const { file, rows: read } = await readAll(bytes);

    // Assess
    expect(result).toEqual({ rowCount: 25, rowGroups: 3, bytes: bytes.length });
    expect(chunks.length).toBe(4); // one per row group, then the footer
    expect(file.schema).toEqual(ORDERS);
    expect(file.rowGroups.map((g) => g.numRows)).toEqual([10, 10, 5]);
    expect(read).toEqual(rows);
  });

  it('reads back the schema it wrote, every type nullable or not, as the stages after parse rely on', async () => {
    // Prepare: the footer is where validate, profile, quality, drift and version take the schema from.
    const types: ColumnType[] = ['int', 'float', 'bool', 'string', 'timestamp'];
    const schema: TableSchema = {
      columns: types.flatMap((type) => [
        { name: `${type} required`, type, nullable: false },
        { name: `${type}.nullable`, type, nullable: true },
      ]),
    };
    const value: Record<ColumnType, CellValue> = {
      int: 7,
      float: 0.5,
      bool: true,
      string: 'é',
      timestamp: Date.UTC(2026, 0, 1),
    };
    const row = Object.fromEntries(schema.columns.map((c) => [c.name, c.nullable ? null : value[c.type]]));

    // Act
    const empty = await writeToBytes(schema, []);
    const one = await writeToBytes(schema, [batchFromRows(schema, [row])]);

    // Assess
    expect((await openParquet(rangeSource(empty.bytes))).schema).toEqual(schema);
    const read = await readAll(one.bytes);
    expect(read.file.schema).toEqual(schema);
    expect(read.rows).toEqual([row]);
  });

  it('reads back 2,000 columns of 256-character names of any script, with a footer beyond the first fetch', async () => {
    // Prepare
    const types: ColumnType[] = ['int', 'float', 'bool', 'string', 'timestamp'];
    const alphabets = ['a', 'é', '名', '🙂', ' ', '.', '"', '\\'];
    const schema: TableSchema = {
      columns: Array.from({ length: 2000 }, (_, i) => {
        const head = `${i}:`;
        const fill = alphabets[i % alphabets.length] as string;
        // 256 characters (code points, as the parser counts them), unique by their prefix.
        const name = head + fill.repeat(256 - head.length);
        return { name, type: types[i % types.length] as ColumnType, nullable: i % 3 === 0 };
      }),
    };

    // Act
    const { bytes } = await writeToBytes(schema, []);
    const source = rangeSource(bytes);
    const file = await openParquet(source);

    // Assess
    expect(bytes.length).toBeGreaterThan(64 * 1024);
    expect(source.reads.length).toBe(2);
    expect(file.schema).toEqual(schema);
  });

  it('writes min, max and null count for every column chunk', async () => {
    // Prepare
    const rows = orderRows(20);

    // Act
    const { bytes } = await writeToBytes(ORDERS, [batchFromRows(ORDERS, rows)], 10);
    const file = await openParquet(rangeSource(bytes));

    // Assess
    expect(file.rowGroups[1]?.columns).toEqual({
      id: { min: 10, max: 19, nullCount: 0 },
      amount: { min: 12.5, max: 23.75, nullCount: 3 },
      sku: { min: 'sku-10', max: 'sku-19', nullCount: 2 },
      paid: { min: false, max: true, nullCount: 0 },
      at: { min: Date.UTC(2026, 0, 1) + 11 * 60_000, max: Date.UTC(2026, 0, 1) + 19 * 60_000, nullCount: 2 },
    });
  });

  it("gives a string column chunk its values' smallest and largest in UTF-8 byte order", async () => {
    // Units where UTF-16 and code point order part, an empty string, and first units to skip by.
    const unit = fc.constantFrom(
      '',
      'a',
      'm',
      'z',
      '\u00e9',
      '\ud7ff',
      '\ue000',
      '\uffff',
      '\ud83d\ude00',
      '\udfff',
    );
    const value = fc.array(unit, { maxLength: 4 }).map((units) => units.join(''));
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 60, size: 'max' }), async (values) => {
        // Prepare
        const schema: TableSchema = { columns: [{ name: 's', type: 'string', nullable: false }] };
        const utf8 = (s: string) => Buffer.from(s, 'utf8');
        const sorted = [...values].sort((a, b) => Buffer.compare(utf8(a), utf8(b)));

        // Act
        const { bytes } = await writeToBytes(schema, [
          batchFromRows(
            schema,
            values.map((s) => ({ s })),
          ),
        ]);
        const file = await openParquet(rangeSource(bytes));

        // Assess: as written (a lone surrogate as U+FFFD).
        const { min, max } = file.rowGroups[0]?.columns.s ?? {};
        expect(utf8(min as string)).toEqual(utf8(sorted[0] as string));
        expect(utf8(max as string)).toEqual(utf8(sorted.at(-1) as string));
      }),
      { numRuns: 500 },
    );
  });

  it('uses INT64, DOUBLE, BOOLEAN, UTF8, TIMESTAMP(MICROS, UTC); OPTIONAL only when nullable', async () => {
    // Act
    const { bytes } = await writeToBytes(ORDERS, [batchFromRows(ORDERS, orderRows(3))]);
    const metadata = parquetMetadata(bytes.buffer as ArrayBuffer);
    // Without parsers the footer's statistics stay the stored INT64s.
    const raw = parquetMetadata(bytes.buffer as ArrayBuffer, {
      parsers: { timestampFromMicroseconds: (v: bigint) => v },
    });

    // Assess
    const [, ...columns] = metadata.schema;
    expect(columns.map((c) => [c.name, c.type, c.repetition_type, c.logical_type?.type ?? null])).toEqual([
      ['id', 'INT64', 'REQUIRED', null],
      ['amount', 'DOUBLE', 'OPTIONAL', null],
      ['sku', 'BYTE_ARRAY', 'OPTIONAL', 'STRING'],
      ['paid', 'BOOLEAN', 'REQUIRED', null],
      ['at', 'INT64', 'OPTIONAL', 'TIMESTAMP'],
    ]);
    expect(columns[4]?.logical_type).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' });
    expect(columns[4]?.converted_type).toBe('TIMESTAMP_MICROS');
    // Rows 1 and 2 hold the instants; a Delta reader takes the stored value as microseconds.
    expect(raw.row_groups[0]?.columns[4]?.meta_data?.statistics).toMatchObject({
      min_value: BigInt(Date.UTC(2026, 0, 1) + 60_000) * 1000n,
      max_value: BigInt(Date.UTC(2026, 0, 1) + 2 * 60_000) * 1000n,
    });
  });

  it('fetches only the footer and the chunks of the requested row groups and columns', async () => {
    // Prepare: three columns of ~160 KB per row group, so chunks are far apart and the footer fetch is small.
    const schema: TableSchema = {
      columns: [
        { name: 'a', type: 'float', nullable: false },
        { name: 'b', type: 'float', nullable: false },
        { name: 'c', type: 'float', nullable: false },
      ],
    };
    const n = 80_000;
    const noise = (i: number, k: number) => Math.sin(i * 12.9898 + k * 78.233) * 43758.5453;
    const batch: RecordBatch = {
      schema,
      numRows: n,
      columns: [0, 1, 2].map((k) => Array.from({ length: n }, (_, i) => noise(i, k))),
    };
    const { bytes } = await writeToBytes(schema, [batch], 20_000);
    const source = rangeSource(bytes);
    const metadata = parquetMetadata(bytes.buffer as ArrayBuffer);
    const chunk = metadata.row_groups[1]?.columns[1]?.meta_data;
    const chunkStart = Number(chunk?.dictionary_page_offset ?? chunk?.data_page_offset);
    const chunkEnd = chunkStart + Number(chunk?.total_compressed_size);

    // Act
    const file = await openParquet(source);
    const footerReads = source.reads.length;
    const values: CellValue[] = [];
    for await (const b of file.readRowGroups({ rowGroups: [1], columns: ['b'] }))
      values.push(...(b.columns[0] ?? []));

    // Assess
    expect(footerReads).toBe(1);
    expect(source.reads[0]?.[1]).toBe(bytes.length);
    expect(source.reads.slice(1)).toEqual([[chunkStart, chunkEnd]]);
    expect(chunkEnd - chunkStart).toBeLessThan(bytes.length / 8);
    expect(values).toEqual(batch.columns[1]?.slice(20_000, 40_000));
  });

  it('returns the requested columns in the requested order, row group by row group', async () => {
    // Prepare
    const rows = orderRows(30);
    const { bytes } = await writeToBytes(ORDERS, [batchFromRows(ORDERS, rows)], 10);

    // Act
    const file = await openParquet(rangeSource(bytes));
    const batches: RecordBatch[] = [];
    for await (const b of file.readRowGroups({ rowGroups: [2, 0], columns: ['sku', 'id'] })) batches.push(b);

    // Assess
    expect(batches.map((b) => b.schema.columns.map((c) => c.name))).toEqual([
      ['sku', 'id'],
      ['sku', 'id'],
    ]);
    expect(batches.map((b) => b.columns[1]?.[0])).toEqual([20, 0]);
    await expect(async () => {
      for await (const _ of file.readRowGroups({ rowGroups: [3] })) void _;
    }).rejects.toThrow(InvalidInputError);
    await expect(async () => {
      for await (const _ of file.readRowGroups({ columns: ['nope'] })) void _;
    }).rejects.toThrow(/nope/);
  });

  it('writes a valid file with no row groups when there are no rows', async () => {
    // Act
    const { result, bytes } = await writeToBytes(ORDERS, []);
    const { file, rows } = await readAll(bytes);

    // Assess
    expect(result).toMatchObject({ rowCount: 0, rowGroups: 0 });
    expect(file.numRows).toBe(0);
    expect(file.schema.columns.map((c) => c.name)).toEqual(['id', 'amount', 'sku', 'paid', 'at']);
    expect(rows).toEqual([]);
  });

  it.each(['gzip', 'none'] as const)('reads back a %s-compressed file', async (compression) => {
    // Prepare
    const rows = orderRows(12);

    // Act
    const { bytes } = await collect((sink) =>
      writeParquet(ORDERS, asBatches([batchFromRows(ORDERS, rows)]), sink, { compression }),
    );

    // Assess
    expect((await readAll(bytes)).rows).toEqual(rows);
  });

  it('rejects values that break the schema: null where not nullable, a fraction in an int', async () => {
    // Prepare
    const nullId = batchFromRows(ORDERS, [{ ...orderRows(1)[0], id: null }]);
    const fractionalId = batchFromRows(ORDERS, [{ ...orderRows(1)[0], id: 1.5 }]);
    const wrongSchema = batchFromRows({ columns: ORDERS.columns.slice(1) }, []);

    // Act
    const write = (batch: RecordBatch) => writeToBytes(ORDERS, [batch]);

    // Assess
    await expect(write(nullId)).rejects.toThrow(/"id" row 0: null/);
    await expect(write(fractionalId)).rejects.toThrow(InvalidInputError);
    await expect(write(wrongSchema)).rejects.toThrow(
      'batch columns do not match the file\'s: 4 columns against 5, column 1 is "amount" where the file has "id"',
    );
  });

  it('refuses bytes that are not Parquet with a ParseError', async () => {
    // Act
    const act = openParquet(rangeSource(new TextEncoder().encode('id,name\n1,a\n')));

    // Assess
    await expect(act).rejects.toThrow(ParseError);
  });

  it('maps a DuckDB file: INT32, INT64, FLOAT, DATE, TIMESTAMP micros, DECIMAL, LIST', async () => {
    // Prepare: events/data/duckdb-orders.parquet (ZSTD, data page v2, 3 row groups; see parquet-fixtures.md)
    const bytes = fixture('duckdb-orders.parquet');

    // Act
    const file = await openParquet(rangeSource(bytes));
    const first: Record<string, CellValue>[] = [];
    for await (const b of file.readRowGroups({ rowGroups: [0] })) first.push(...rowsOf(b).slice(0, 2));

    // Assess
    expect(file.numRows).toBe(4500);
    expect(file.rowGroups.map((g) => g.numRows)).toEqual([2048, 2048, 404]);
    expect(file.schema.columns.map((c) => `${c.name}:${c.type}${c.nullable ? '?' : ''}`)).toEqual([
      'id:int?', // DuckDB declares every column OPTIONAL
      'big_id:int?',
      'amount:float?',
      'ratio:float?',
      'flag:bool?',
      'sku:string?',
      'event_time:timestamp?',
      'event_date:timestamp?',
      'price:float?',
      'tags:string', // a REQUIRED list, as JSON text
    ]);
    expect(first[1]).toEqual({
      id: 1,
      big_id: 1_000_000_007,
      amount: 0.25,
      ratio: 0.25,
      flag: false,
      sku: 'sku-0001',
      event_time: Date.UTC(2026, 2, 1, 0, 1, 0, 1), // 1001 µs floored to 1 ms
      event_date: Date.UTC(2026, 0, 1),
      price: 3.14,
      tags: '[1,7]',
    });
    expect(file.rowGroups[1]?.columns.event_time).toMatchObject({
      min: Date.UTC(2026, 2, 1) + 2048 * 60_000 + 1,
      max: Date.UTC(2026, 2, 1) + 4095 * 60_000 + 1,
      nullCount: 0,
    });
  });

  it('maps the types of a pyarrow file: nanosecond timestamps, uint32, NaN, int64 beyond 2^53', async () => {
    // Prepare: events/data/pyarrow-events.parquet (snappy, dictionary strings, 2 row groups)
    const bytes = fixture('pyarrow-events.parquet');

    // Act
    const { file, rows } = await readAll(bytes);

    // Assess
    expect(file.schema.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
      'user:string',
      'seen_at:timestamp',
      'score:float',
      'visits:int',
      'account:string', // its statistics reach 2^60: text keeps every digit
      'label:string',
    ]);
    expect(rows.map((r) => r.seen_at)).toEqual([
      Date.UTC(2026, 4, 1, 12, 0, 0, 123),
      null,
      -1, // 1969-12-31T23:59:59.999999: floored, not rounded toward zero
      Date.UTC(2026, 4, 2),
      Date.UTC(2026, 4, 3),
    ]);
    expect(rows.map((r) => r.score)).toEqual([1.5, null, null, 2, -0.25]);
    expect(rows.map((r) => r.account)).toEqual(['1152921504606846976', '1', '2', '3', '-4']);
    expect(file.rowGroups[0]?.columns.account).toEqual({ nullCount: 0 });
  });

  it('round-trips random batches exactly, with statistics that bound every row group', async () => {
    const types: ColumnType[] = ['int', 'float', 'bool', 'string', 'timestamp'];
    const arbitraryOf: Record<ColumnType, fc.Arbitrary<CellValue>> = {
      int: fc.maxSafeInteger(),
      float: fc.double({ noNaN: true }),
      bool: fc.boolean(),
      string: fc.string({ unit: 'binary', maxLength: 20 }),
      timestamp: fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }),
    };
    const columns = fc.uniqueArray(
      fc.record({
        name: fc.string({ minLength: 1, maxLength: 8 }),
        type: fc.constantFrom(...types),
        nullable: fc.boolean(),
      }),
      { minLength: 1, maxLength: 5, selector: (c) => c.name },
    );
    const table = columns.chain((cols) =>
      fc.record({
        schema: fc.constant<TableSchema>({ columns: cols }),
        rows: fc.array(
          fc.tuple(
            ...cols.map((c) =>
              c.nullable ? fc.option(arbitraryOf[c.type], { nil: null }) : arbitraryOf[c.type],
            ),
          ),
          { maxLength: 120 },
        ),
        batchSize: fc.integer({ min: 1, max: 40 }),
        rowGroupSize: fc.integer({ min: 1, max: 50 }),
      }),
    );

    await fc.assert(
      fc.asyncProperty(table, async ({ schema, rows, batchSize, rowGroupSize }) => {
        const batches: RecordBatch[] = [];
        for (let i = 0; i < rows.length; i += batchSize) {
          const slice = rows.slice(i, i + batchSize);
          batches.push({
            schema,
            numRows: slice.length,
            columns: schema.columns.map((_, c) => slice.map((r) => r[c] ?? null)),
          });
        }
        const { bytes } = await writeToBytes(schema, batches, rowGroupSize);
        const file = await openParquet(rangeSource(bytes));
        const read: CellValue[][] = [];
        let index = 0;
        for await (const b of file.readRowGroups()) {
          for (let r = 0; r < b.numRows; r++) read.push(b.columns.map((col) => col[r] ?? null));
          const group = file.rowGroups[index++];
          schema.columns.forEach((c, i) => {
            const values = (b.columns[i] ?? []).filter((v) => v !== null);
            const stats = group?.columns[c.name];
            expect(stats?.nullCount).toBe(b.numRows - values.length);
            if (c.type === 'int' || c.type === 'float' || c.type === 'timestamp') {
              for (const v of values) {
                expect(v).toBeGreaterThanOrEqual(stats?.min as number);
                expect(v).toBeLessThanOrEqual(stats?.max as number);
              }
            }
          });
        }
        expect(file.schema).toEqual(schema);
        expect(read).toEqual(rows);
      }),
      { numRuns: 60 },
    );
  });

  it('reads numeric chunks without a null as Float64Arrays: the same cells, profiles, quality and drift as the untyped read', async () => {
    // Prepare: numbers from a few values (dictionary pages) or many, NaN and -0 among them, nulls or not
    const numbers = fc.oneof(
      fc.double(),
      fc.constantFrom(1.5, -0, 0, Number.NaN, 2 ** 53 - 1),
      fc.constantFrom(3, 4, 5),
    );
    const arbitraryOf: Record<ColumnType, fc.Arbitrary<CellValue>> = {
      int: fc.oneof(fc.maxSafeInteger(), fc.constantFrom(7, 8)),
      float: numbers,
      bool: fc.boolean(),
      string: fc.string({ maxLength: 6 }),
      timestamp: fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }),
    };
    const table = fc
      .uniqueArray(
        fc.record({
          name: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
          type: fc.constantFrom<ColumnType>('int', 'float', 'bool', 'string', 'timestamp'),
          nullable: fc.boolean(),
          nulls: fc.boolean(),
        }),
        { minLength: 1, maxLength: 5, selector: (c) => c.name },
      )
      .chain((cols) =>
        fc.record({
          schema: fc.constant<TableSchema>({ columns: cols.map(({ nulls: _, ...c }) => c) }),
          rows: fc.array(
            fc.tuple(
              ...cols.map((c) =>
                c.nullable && c.nulls ? fc.option(arbitraryOf[c.type], { nil: null }) : arbitraryOf[c.type],
              ),
            ),
            { minLength: 1, maxLength: 150 },
          ),
          rowGroupSize: fc.integer({ min: 1, max: 80 }),
        }),
      );
    let typedChunks = 0;

    await fc.assert(
      fc.asyncProperty(table, async ({ schema, rows, rowGroupSize }) => {
        const batch = {
          schema,
          numRows: rows.length,
          columns: schema.columns.map((_, c) => rows.map((r) => r[c] ?? null)),
        };
        const { bytes } = await writeToBytes(schema, [batch], rowGroupSize);
        const file = await openParquet(rangeSource(bytes));
        const profiled = createProfiler(schema);
        const profiledTyped = createProfiler(schema);

        // Act
        const plain: RecordBatch[] = [];
        for await (const b of file.readRowGroups()) plain.push(b);
        const typed: ReadBatch[] = [];
        for await (const b of file.readRowGroups({ typed: true })) typed.push(b);

        // Assess
        expect(typed).toHaveLength(plain.length);
        typed.forEach((b, g) => {
          b.columns.forEach((cells, c) => {
            const expected = plain[g]?.columns[c] ?? [];
            if (cells instanceof Float64Array) {
              typedChunks++;
              expect(schema.columns[c]?.type).toMatch(/^(int|float|timestamp)$/);
              expect(expected).not.toContain(null);
            }
            expect(Array.from(cells as ArrayLike<CellValue>)).toEqual(expected);
          });
          profiled.add(plain[g] as RecordBatch);
          profiledTyped.add(b);
        });
        const profile = profiled.result();
        expect(profiledTyped.result()).toEqual(profile);
        // Every consumer that takes typed batches gives the same result from them.
        const assessed = [createQualityAssessor(schema, profile), createQualityAssessor(schema, profile)];
        const collected = [createDriftCollector(schema), createDriftCollector(schema)];
        plain.forEach((b, g) => {
          for (const [i, batches] of [plain, typed].entries()) {
            assessed[i]?.add(batches[g] as ReadBatch);
            collected[i]?.add(batches[g] as ReadBatch);
          }
          expect(b.numRows).toBe(typed[g]?.numRows);
        });
        expect(assessed[1]?.result()).toEqual(assessed[0]?.result());
        expect(collected[1]?.result()).toEqual(collected[0]?.result());
      }),
      { numRuns: 100 },
    );
    // Not vacuous: typed chunks were read.
    expect(typedChunks).toBeGreaterThan(0);
  });
});

describe('openParquet over a source of views', () => {
  it('reads a file whose ranges come as views into a larger, pooled buffer (Node Buffers)', async () => {
    // Prepare: Buffer.concat of small chunks lands in Node's shared pool, at an offset within it.
    const schema: TableSchema = {
      columns: [
        { name: 'a', type: 'int', nullable: true },
        { name: 's', type: 'string', nullable: true },
      ],
    };
    const rows = Array.from({ length: 50 }, (_, i) => ({ a: i, s: `v${i}` }));
    const chunks: Uint8Array[] = [];
    await writeParquet(schema, asBatches([batchFromRows(schema, rows)]), async (c) => void chunks.push(c));
    const bytes = Buffer.concat(chunks);

    // Act
    const file = await openParquet({ size: bytes.length, read: async (s, e) => bytes.subarray(s, e) });
    const ids: CellValue[] = [];
    for await (const batch of file.readRowGroups()) ids.push(...(batch.columns[0] ?? []));

    // Assess
    expect(bytes.byteOffset > 0 || bytes.buffer.byteLength > bytes.byteLength).toBe(true);
    expect(ids).toEqual(rows.map((r) => r.a));
  });
});
