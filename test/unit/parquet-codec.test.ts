import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { parquetReadObjects, snappyUncompress } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { snappyCompress as referenceSnappy } from 'hyparquet-writer/src/snappy.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellValue, ColumnType, RecordBatch, TableSchema } from '../../shared/domain/table.js';
import { openParquet, writeParquet } from '../../shared/formats/parquet.js';
import { snappyCompress } from '../../shared/formats/snappy.js';
import { asBatches, collect, rangeSource } from './parse/sources.js';

const TYPES: ColumnType[] = ['int', 'float', 'bool', 'string', 'timestamp'];
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Extremes each type must keep: ±2^53, signed zero, instants before 1970 and past 2262. */
const EXTREMES: Record<ColumnType, CellValue[]> = {
  int: [
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    0,
    -1,
    2 ** 32,
    -(2 ** 32),
    2 ** 31,
    -(2 ** 31) - 1,
  ],
  float: [-0, 0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1e-300, Number.POSITIVE_INFINITY],
  bool: [true, false],
  string: ['', 'é', '名前', '🙂', '\uFEFFbom', 'a\u0000b', '\uE000', '\uD83D\uDE00x', 'x'.repeat(100)],
  timestamp: [
    0,
    -1,
    -86_400_000 * 365 * 300,
    Date.UTC(2262, 3, 12),
    Date.UTC(9999, 11, 31),
    9_007_199_254_740,
    2 ** 53 - 1,
  ],
};

function cellOf(type: ColumnType): fc.Arbitrary<CellValue> {
  switch (type) {
    case 'int':
      return fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constantFrom(...EXTREMES.int));
    case 'float':
      return fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(...EXTREMES.float));
    case 'bool':
      return fc.boolean();
    case 'string':
      return fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom(...EXTREMES.string));
    case 'timestamp':
      return fc.oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.constantFrom(...EXTREMES.timestamp));
  }
}

interface Case {
  schema: TableSchema;
  rows: CellValue[][];
  rowGroupSize: number;
  compression: 'snappy' | 'gzip' | 'none';
}

/** Columns of any type, nullable or not, some drawn from a pool of 3 (so they get a dictionary). */
const cases: fc.Arbitrary<Case> = fc
  .array(fc.record({ type: fc.constantFrom(...TYPES), nullable: fc.boolean(), pooled: fc.boolean() }), {
    minLength: 1,
    maxLength: 4,
  })
  .chain((specs) => {
    const schema: TableSchema = {
      columns: specs.map((s, i) => ({ name: `c${i}`, type: s.type, nullable: s.nullable })),
    };
    const cell = specs.map((s) =>
      s.pooled
        ? fc.array(cellOf(s.type), { minLength: 1, maxLength: 3 }).chain((pool) => fc.constantFrom(...pool))
        : cellOf(s.type),
    );
    const column = specs.map((s, i) => {
      const value = cell[i] as fc.Arbitrary<CellValue>;
      return s.nullable ? fc.option(value, { nil: null, freq: 4 }) : value;
    });
    return fc.record({
      schema: fc.constant(schema),
      rows: fc.array(fc.tuple(...column), { maxLength: 200 }),
      rowGroupSize: fc.integer({ min: 1, max: 120 }),
      compression: fc.constantFrom('snappy' as const, 'gzip' as const, 'none' as const),
    });
  });

function batchOf(schema: TableSchema, rows: CellValue[][]): RecordBatch {
  return {
    schema,
    numRows: rows.length,
    columns: schema.columns.map((_, c) => rows.map((r) => r[c] ?? null)),
  };
}

/** What a cell reads back as: strings through UTF-8 (lone surrogates → U+FFFD, a leading BOM dropped). */
function readBack(type: ColumnType, v: CellValue): CellValue {
  if (v === null) return null;
  if (type === 'string') return decoder.decode(encoder.encode(v as string));
  return v;
}

async function readRows(bytes: Uint8Array): Promise<CellValue[][]> {
  const file = await openParquet(rangeSource(bytes));
  const rows: CellValue[][] = [];
  for await (const batch of file.readRowGroups()) {
    for (let r = 0; r < batch.numRows; r++) rows.push(batch.columns.map((c) => c[r] ?? null));
  }
  return rows;
}

/** The bytes the writer this codec replaced (hyparquet-writer fed as before) writes for the same rows. */
function hyparquetWriterBytes(c: Case): Uint8Array {
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({
    writer,
    schema: [
      { name: 'root', num_children: c.schema.columns.length },
      ...c.schema.columns.map((col) => {
        const repetition_type = col.nullable ? ('OPTIONAL' as const) : ('REQUIRED' as const);
        const base = { name: col.name, repetition_type };
        switch (col.type) {
          case 'int':
            return { ...base, type: 'INT64' as const };
          case 'float':
            return { ...base, type: 'DOUBLE' as const };
          case 'bool':
            return { ...base, type: 'BOOLEAN' as const };
          case 'string':
            return {
              ...base,
              type: 'BYTE_ARRAY' as const,
              converted_type: 'UTF8' as const,
              logical_type: { type: 'STRING' as const },
            };
          case 'timestamp':
            return {
              ...base,
              type: 'INT64' as const,
              converted_type: 'TIMESTAMP_MICROS' as const,
              logical_type: { type: 'TIMESTAMP' as const, isAdjustedToUTC: true, unit: 'MICROS' as const },
            };
        }
        throw new Error(`no Parquet type for ${col.type}`);
      }),
    ],
    codec: c.compression === 'snappy' ? 'SNAPPY' : 'UNCOMPRESSED',
  });
  if (c.rows.length > 0) {
    parquet.write({
      rowGroupSize: c.rowGroupSize,
      columnData: c.schema.columns.map((col, i) => ({
        name: col.name,
        data: c.rows.map((r) => {
          const v = r[i] ?? null;
          if (v === null || (col.type !== 'int' && col.type !== 'timestamp')) return v;
          return BigInt(v as number) * (col.type === 'timestamp' ? 1000n : 1n);
        }),
      })),
    });
  }
  parquet.finish();
  return writer.getBytes();
}

describe('Parquet codec', () => {
  it('round-trips random columns exactly, read by our reader and by hyparquet, with bounding statistics', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        // Prepare
        const batch = batchOf(c.schema, c.rows);
        const expected = c.rows.map((r) => r.map((v, i) => readBack(c.schema.columns[i]?.type ?? 'int', v)));

        // Act
        const { bytes } = await collect((sink) =>
          writeParquet(c.schema, asBatches([batch]), sink, {
            rowGroupSize: c.rowGroupSize,
            compression: c.compression,
          }),
        );
        const ours = await readRows(bytes);
        const theirs = (await parquetReadObjects({
          file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer,
          parsers: { timestampFromMicroseconds: (v: bigint) => v },
          compressors,
        })) as Record<string, unknown>[];
        const file = await openParquet(rangeSource(bytes));

        // Assess
        expect(ours).toEqual(expected);
        expect(theirs.length).toBe(c.rows.length);
        theirs.forEach((row, r) => {
          c.schema.columns.forEach((col, i) => {
            const want = expected[r]?.[i] ?? null;
            const got = row[col.name] ?? null;
            if (want === null) expect(got).toBeNull();
            else if (col.type === 'int') expect(got).toBe(BigInt(want as number));
            else if (col.type === 'timestamp') expect(got).toBe(BigInt(want as number) * 1000n);
            else expect(got).toBe(want);
          });
        });
        let start = 0;
        for (const group of file.rowGroups) {
          const rows = expected.slice(start, start + group.numRows);
          start += group.numRows;
          c.schema.columns.forEach((col, i) => {
            const stats = group.columns[col.name];
            const values = rows.map((r) => r[i] ?? null).filter((v) => v !== null);
            expect(stats?.nullCount).toBe(rows.length - values.length);
            if (values.length === 0 || col.type === 'string') return;
            const numbers = values.map((v) => Number(v));
            expect(Number(stats?.min)).toBe(
              Math.min(...numbers) === 0 && col.type === 'float' ? -0 : Math.min(...numbers),
            );
            expect(Number(stats?.max)).toBe(Math.max(...numbers) === 0 ? 0 : Math.max(...numbers));
          });
        }
      }),
      { numRuns: 150 },
    );
  });

  it('reads what hyparquet-writer wrote for the same rows, as the files already stored were written', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        // Prepare
        const bytes = hyparquetWriterBytes(c);
        const expected = c.rows.map((r) => r.map((v, i) => readBack(c.schema.columns[i]?.type ?? 'int', v)));

        // Act
        const rows = await readRows(bytes);

        // Assess: signed zeros compared as equal, because hyparquet-writer's dictionary keyed them as one
        // value (its files hold whichever zero came first); the reader gives back what the file holds.
        const unsigned = (table: CellValue[][]) => table.map((r) => r.map((v) => (v === 0 ? 0 : v)));
        expect(unsigned(rows)).toEqual(unsigned(expected));
      }),
      { numRuns: 100 },
    );
  });

  it('rejects a timestamp whose microseconds do not fit INT64, naming its column and row', async () => {
    // Prepare
    const schema: TableSchema = { columns: [{ name: 'at', type: 'timestamp', nullable: true }] };
    const batch = batchOf(schema, [[0], [null], [2 ** 60]]);

    // Act
    const written = collect((sink) => writeParquet(schema, asBatches([batch]), sink));

    // Assess
    await expect(written).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('row 2'),
    });
  });

  it('compresses exactly as the reference snappy does, and decompresses back', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 40 }),
            fc.constantFrom(encoder.encode('abcdabcdabcd'), new Uint8Array(300)),
          ),
          {
            maxLength: 400,
          },
        ),
        (parts) => {
          // Prepare
          const input = new Uint8Array(Buffer.concat(parts));

          // Act
          const compressed = snappyCompress(input).slice();
          const back = new Uint8Array(input.length);
          snappyUncompress(compressed, back);

          // Assess
          expect(Buffer.from(compressed).equals(Buffer.from(referenceSnappy(input)))).toBe(true);
          expect(Buffer.from(back).equals(Buffer.from(input))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  describe('with DuckDB', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'strata-parquet-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const schema: TableSchema = {
      columns: [
        { name: 'id', type: 'int', nullable: false },
        { name: 'amount', type: 'float', nullable: true },
        { name: 'label', type: 'string', nullable: true },
        { name: 'tag', type: 'string', nullable: false },
        { name: 'ok', type: 'bool', nullable: true },
        { name: 'at', type: 'timestamp', nullable: true },
      ],
    };
    const rows: CellValue[][] = Array.from({ length: 5000 }, (_, i) => [
      i - 2500,
      i % 7 === 0 ? null : i * 0.37 - 100,
      i % 11 === 0 ? null : `label ${i} ${'é'.repeat(i % 3)}`,
      ['a', 'b', 'c'][i % 3] as string,
      i % 5 === 0 ? null : i % 2 === 0,
      i % 13 === 0 ? null : Date.UTC(1960, 0, 1) + i * 3_600_123,
    ]);

    it('DuckDB reads our file as the rows written', async () => {
      // Prepare
      const { bytes } = await collect((sink) =>
        writeParquet(schema, asBatches([batchOf(schema, rows)]), sink, { rowGroupSize: 1500 }),
      );
      const path = join(dir, 'ours.parquet');
      writeFileSync(path, bytes);
      const db = await DuckDBInstance.create(':memory:');
      const con = await db.connect();

      // Act
      const reader = await con.runAndReadAll(
        `SELECT id, amount, label, tag, ok, epoch_ms("at") AS at FROM read_parquet('${path}') ORDER BY id`,
      );
      const read = reader.getRows().map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
      con.closeSync();

      // Assess
      expect(read).toEqual(rows);
    });

    it("we read DuckDB's files (v1 pages, dictionaries, snappy and zstd) as the rows DuckDB holds", async () => {
      // Prepare
      const db = await DuckDBInstance.create(':memory:');
      const con = await db.connect();
      await con.run(
        `CREATE TABLE t (id BIGINT NOT NULL, amount DOUBLE, label VARCHAR, tag VARCHAR NOT NULL, ok BOOLEAN, "at" TIMESTAMPTZ)`,
      );
      const appender = await con.createAppender('t');
      for (const r of rows) {
        appender.appendBigInt(BigInt(r[0] as number));
        if (r[1] === null) appender.appendNull();
        else appender.appendDouble(r[1] as number);
        if (r[2] === null) appender.appendNull();
        else appender.appendVarchar(r[2] as string);
        appender.appendVarchar(r[3] as string);
        if (r[4] === null) appender.appendNull();
        else appender.appendBoolean(r[4] as boolean);
        appender.appendNull();
        appender.endRow();
      }
      appender.closeSync();
      await con.run(
        `UPDATE t SET "at" = make_timestamp(((id + 2500) * 3600123 + ${Date.UTC(1960, 0, 1)}) * 1000) WHERE (id + 2500) % 13 <> 0`,
      );
      const files = ['snappy', 'zstd'].map((codec) => join(dir, `duck-${codec}.parquet`));
      for (const [k, codec] of ['snappy', 'zstd'].entries()) {
        await con.run(
          `COPY (SELECT * FROM t ORDER BY id) TO '${files[k]}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 2048)`,
        );
      }
      con.closeSync();

      for (const path of files) {
        // Act
        const read = await readRows(new Uint8Array(readFileSync(path)));

        // Assess
        expect(read).toEqual(rows);
      }
    });
  });
});
