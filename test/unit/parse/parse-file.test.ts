import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { type ParseOptions, parseFile } from '../../../shared/domain/parse/parse-file.js';
import {
  batchFromRows,
  type CellValue,
  type ReadBatch,
  rowsOf,
  type TableSchema,
} from '../../../shared/domain/table.js';
import { ParseError } from '../../../shared/errors.js';
import { writeParquet } from '../../../shared/formats/parquet.js';
import { asBatches, collect, fixture, opener, rangeSource } from './sources.js';

async function rowsFrom(batches: AsyncIterable<ReadBatch>): Promise<Record<string, CellValue>[]> {
  const rows: Record<string, CellValue>[] = [];
  for await (const batch of batches) rows.push(...rowsOf(batch));
  return rows;
}

const PEOPLE_CSV = 'id,name,age\n1,ann,34\n2,bob,x\n3,cy,51\n1,ann again,35\n';

describe('parseFile', () => {
  it('cuts batches by bytes as well as rows, so wide rows never fill a 10,000-row batch', async () => {
    // Prepare: 40 rows of ~100 KB each; a 1 MB budget holds about 5 of them
    const cell = 'x'.repeat(50_000);
    const csv = `id,a,b\n${Array.from({ length: 40 }, (_, i) => `${i},${cell},${cell}`).join('\n')}\n`;

    // Act
    const parsed = await parseFile({ format: 'csv', open: opener(csv) }, { batchBytes: 1_000_000 });
    const sizes: number[] = [];
    for await (const batch of parsed.batches) sizes.push(batch.numRows);

    // Assess: every row once, no batch past the budget by more than one row
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(40);
    expect(Math.max(...sizes)).toBe(5);
    expect(sizes.length).toBe(8);
  });

  it('refuses a Parquet file whose row group declares more bytes than a parse may hold, before reading it', async () => {
    // Prepare
    const schema: TableSchema = { columns: [{ name: 's', type: 'string', nullable: false }] };
    const rows = Array.from({ length: 50 }, (_, i) => ({ s: `${i}`.padEnd(2_000, 'y') }));
    const { bytes } = await collect((sink) =>
      writeParquet(schema, asBatches([batchFromRows(schema, rows)]), sink),
    );
    const source = rangeSource(bytes);

    // Act
    const parsed = parseFile({ format: 'parquet', source }, { maxRowGroupBytes: 10_000 });

    // Assess
    await expect(parsed).rejects.toThrow(/row group 0 declares \d+ uncompressed bytes, more than the 10000/);
    await expect(parseFile({ format: 'parquet', source: rangeSource(bytes) })).resolves.toBeDefined();
  });

  it('refuses a byte budget that is not a positive integer', async () => {
    await expect(parseFile({ format: 'csv', open: opener('a\n1\n') }, { batchBytes: 0 })).rejects.toThrow(
      /batchBytes must be a positive integer/,
    );
  });

  it('renames columns, overrides types and keeps the first record of each dedup key', async () => {
    // Prepare
    const options: ParseOptions = {
      columnMapping: { name: 'full_name', id: 'person_id' },
      typeOverrides: { person_id: 'string' },
      dedupKeys: ['person_id'],
      maxErrorRate: 0.5,
    };

    // Act
    const parsed = await parseFile({ format: 'csv', open: opener(PEOPLE_CSV) }, options);
    const rows = await rowsFrom(parsed.batches);

    // Assess
    expect(parsed.schema.columns).toEqual([
      { name: 'person_id', type: 'string', nullable: false },
      { name: 'full_name', type: 'string', nullable: false },
      { name: 'age', type: 'string', nullable: false }, // "x" makes it a string column
    ]);
    expect(rows.map((r) => [r.person_id, r.full_name])).toEqual([
      ['1', 'ann'],
      ['2', 'bob'],
      ['3', 'cy'],
    ]);
    expect(parsed.metrics()).toMatchObject({
      recordsRead: 4,
      recordsWritten: 3,
      recordsFailed: 0,
      duplicatesDropped: 1,
      bytesRead: PEOPLE_CSV.length,
      errorRate: 0,
    });
  });

  it('fails records that do not convert under a type override and counts them', async () => {
    // Act
    const parsed = await parseFile(
      { format: 'csv', open: opener(PEOPLE_CSV) },
      { typeOverrides: { age: 'int' }, maxErrorRate: 0.25 },
    );
    const rows = await rowsFrom(parsed.batches);

    // Assess
    expect(parsed.schema.columns[2]).toEqual({ name: 'age', type: 'int', nullable: false });
    expect(rows.map((r) => r.age)).toEqual([34, 51, 35]);
    expect(parsed.metrics()).toMatchObject({
      recordsRead: 4,
      recordsWritten: 3,
      recordsFailed: 1,
      errorRate: 0.25,
    });
  });

  it('quarantines the file when the error rate exceeds the allowed one, before any batch', async () => {
    // Act
    const act = parseFile({ format: 'csv', open: opener(PEOPLE_CSV) }, { typeOverrides: { age: 'int' } });

    // Assess
    await expect(act).rejects.toThrow(ParseError);
    await expect(act).rejects.toMatchObject({
      record: 2,
      reason: expect.stringMatching(/1 of 4.*"x".*"age"/),
    });
  });

  it('emits batches of the requested size', async () => {
    // Prepare
    const csv = `n\n${Array.from({ length: 25 }, (_, i) => i).join('\n')}\n`;

    // Act
    const parsed = await parseFile({ format: 'csv', open: opener(csv) }, { batchSize: 10 });
    const sizes: number[] = [];
    for await (const b of parsed.batches) sizes.push(b.numRows);

    // Assess
    expect(sizes).toEqual([10, 10, 5]);
  });

  it.each([
    ['presized', 10],
    ['grown', 1 << 20],
  ])('leaves no cell of a skipped record in a %s batch', async (_, batchSize) => {
    // Prepare: the last record fails its override after its first cell was placed.
    const csv = 'a,b\n1,10\nz,20\n2,x\n3,30\n4,y\n';

    // Act
    const parsed = await parseFile(
      { format: 'csv', open: opener(csv) },
      { batchSize, maxErrorRate: 1, typeOverrides: { b: 'int' } },
    );
    const batches: ReadBatch[] = [];
    for await (const batch of parsed.batches) batches.push(batch);

    // Assess
    expect(batches.flatMap((b) => rowsOf(b))).toEqual([
      { a: '1', b: 10 },
      { a: 'z', b: 20 },
      { a: '3', b: 30 },
    ]);
    for (const batch of batches) for (const cells of batch.columns) expect(cells).toHaveLength(batch.numRows);
  });

  it.each([
    ['csv', 'a\n1\n2\n'],
    ['jsonl', '{"a":1}\n{"a":2}\n'],
    ['json', '[{"a":1},{"a":2}]'],
  ] as const)(
    'reads a %s file beyond replayBytes twice, and one within it once, to the same rows',
    async (format, text) => {
      // Prepare
      let opens = 0;
      const open = () => {
        opens++;
        return opener(text, 3)();
      };
      const parse = async (replayBytes: number) => {
        opens = 0;
        const parsed = await parseFile({ format, open }, { replayBytes });
        const afterInference = opens;
        return { rows: await rowsFrom(parsed.batches), opens: [afterInference, opens] };
      };

      // Act
      const twice = await parse(text.length - 1);
      const once = await parse(text.length);

      // Assess
      expect(twice.opens).toEqual([1, 2]);
      expect(once.opens).toEqual([1, 1]);
      expect(once.rows).toEqual(twice.rows);
      expect(once.rows).toEqual([{ a: 1 }, { a: 2 }]);
    },
  );

  it('dedups JSON Lines on a key, counting the dropped duplicate', async () => {
    // Act
    const parsed = await parseFile(
      { format: 'jsonl', open: opener(fixture('events.jsonl')) },
      { dedupKeys: ['event_id'] },
    );
    const rows = await rowsFrom(parsed.batches);

    // Assess
    expect(rows.map((r) => r.event_id)).toEqual([1, 2, 3]);
    expect(parsed.metrics()).toMatchObject({ recordsRead: 4, recordsWritten: 3, duplicatesDropped: 1 });
  });

  it.each([
    [{ dedupKeys: ['nope'] }, /dedup key "nope"/],
    [{ columnMapping: { id: 'name' } }, /two columns the name "name"/],
    [{ typeOverrides: { id: 'integer' as never } }, /unknown type "integer"/],
    [{ maxErrorRate: 2 }, /maxErrorRate/],
  ])('rejects options that do not fit the file: %j', async (options, message) => {
    await expect(parseFile({ format: 'csv', open: opener(PEOPLE_CSV) }, options)).rejects.toThrow(message);
  });

  it('parses Parquet with the same mapping, overrides and dedup, counting the bytes fetched', async () => {
    // Prepare
    const schema: TableSchema = {
      columns: [
        { name: 'id', type: 'int', nullable: false },
        { name: 'code', type: 'string', nullable: false },
      ],
    };
    const rows = [
      { id: 1, code: '10' },
      { id: 2, code: 'n/a' },
      { id: 1, code: '30' },
      { id: 3, code: 'x' },
    ];
    const { bytes } = await collect((sink) =>
      writeParquet(schema, asBatches([batchFromRows(schema, rows)]), sink),
    );
    const source = rangeSource(bytes);

    // Act
    const parsed = await parseFile(
      { format: 'parquet', source },
      {
        columnMapping: { code: 'score' },
        typeOverrides: { score: 'float' },
        dedupKeys: ['id'],
        maxErrorRate: 0.25,
      },
    );
    const out = await rowsFrom(parsed.batches);

    // Assess
    expect(parsed.schema.columns).toEqual([
      { name: 'id', type: 'int', nullable: false },
      { name: 'score', type: 'float', nullable: true }, // text → number may turn "n/a" into null
    ]);
    expect(out).toEqual([
      { id: 1, score: 10 },
      { id: 2, score: null },
    ]);
    expect(parsed.metrics()).toMatchObject({
      recordsRead: 4,
      recordsWritten: 2,
      recordsFailed: 1,
      duplicatesDropped: 1,
      bytesRead: bytes.length,
    });
  });

  it('stops a Parquet parse once failures exceed the error budget for the whole file', async () => {
    // Prepare
    const schema: TableSchema = { columns: [{ name: 'v', type: 'string', nullable: false }] };
    const rows = ['1', 'a', 'b', '2'].map((v) => ({ v }));
    const { bytes } = await collect((sink) =>
      writeParquet(schema, asBatches([batchFromRows(schema, rows)]), sink),
    );

    // Act
    const parsed = await parseFile(
      { format: 'parquet', source: rangeSource(bytes) },
      { typeOverrides: { v: 'int' }, maxErrorRate: 0.25 },
    );

    // Assess
    await expect(rowsFrom(parsed.batches)).rejects.toMatchObject({ name: 'ParseError', record: 2 });
  });

  it('keeps heap growth far below the size of a ~50 MB CSV', { timeout: 120_000 }, async () => {
    // Prepare: a generated file (no disk), and a real gc so heapUsed measures what is retained.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const encoder = new TextEncoder();
    const size = 50_000_000;
    async function* csv(): AsyncIterable<Uint8Array> {
      let text = 'id,name,amount,at,flag\n';
      let bytes = 0;
      for (let i = 0; bytes < size; i++) {
        const minute = String(i % 60).padStart(2, '0');
        text += `${i},"name ${i % 1000}",${(i % 10_000) / 100},2026-01-01T00:${minute}:00Z,${i % 2 === 0}\n`;
        if (text.length >= 65_536) {
          const chunk = encoder.encode(text);
          bytes += chunk.length;
          text = '';
          yield chunk;
        }
      }
    }
    gc();
    const before = process.memoryUsage().heapUsed;

    // Act
    const parsed = await parseFile({ format: 'csv', open: csv });
    let peak = 0;
    let batches = 0;
    for await (const _ of parsed.batches) {
      if (++batches % 20 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - before);
      }
    }

    // Assess
    expect(parsed.metrics().bytesRead).toBeGreaterThanOrEqual(size);
    expect(parsed.schema.columns.map((c) => c.type)).toEqual(['int', 'string', 'float', 'timestamp', 'bool']);
    expect(peak).toBeLessThan(size / 10);
  });
});
