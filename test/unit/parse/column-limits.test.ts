import { describe, expect, it } from 'vitest';
import { type ParseOptions, parseFile, type TextFormat } from '../../../shared/domain/parse/parse-file.js';
import { batchFromRows, type CellValue, rowsOf, type TableSchema } from '../../../shared/domain/table.js';
import { ColumnNameTooLongError, ParseError, TooManyColumnsError } from '../../../shared/errors.js';
import { writeParquet } from '../../../shared/formats/parquet.js';
import { asBatches, collect, opener, rangeSource } from './sources.js';

async function parseText(format: TextFormat, data: string, options: ParseOptions = {}) {
  const parsed = await parseFile({ format, open: opener(data) }, options);
  const rows: Record<string, CellValue>[] = [];
  for await (const batch of parsed.batches) rows.push(...rowsOf(batch));
  return { parsed, rows };
}

/** A CSV with `width` columns c1..cN and one row of numbers. */
function wideCsv(width: number, header = true): string {
  const names = Array.from({ length: width }, (_, i) => `c${i + 1}`);
  const values = names.map((_, i) => String(i));
  return `${header ? `${names.join(',')}\n` : ''}${values.join(',')}\n`;
}

describe('column limits', () => {
  it('refuses a CSV with more than 2,000 columns by default, saying how to raise the limit', async () => {
    // Act
    const act = parseText('csv', wideCsv(2_001));

    // Assess
    await expect(act).rejects.toThrow(TooManyColumnsError);
    await expect(act).rejects.toMatchObject({ name: 'TooManyColumnsError', columns: 2_001, limit: 2_000 });
    await expect(act).rejects.toThrow(/maxColumns/);
  });

  it('reads exactly 2,000 columns, and more when the dataset config raises the limit', async () => {
    // Act
    const atLimit = await parseText('csv', wideCsv(2_000));
    const raised = await parseText('csv', wideCsv(2_001), { maxColumns: 2_001 });

    // Assess
    expect(atLimit.parsed.schema.columns).toHaveLength(2_000);
    expect(raised.parsed.schema.columns).toHaveLength(2_001);
  });

  it('counts the columns of a headerless CSV the same way', async () => {
    await expect(parseText('csv', wideCsv(4, false), { maxColumns: 3 })).rejects.toMatchObject({
      name: 'TooManyColumnsError',
      columns: 4,
    });
  });

  it('refuses JSON Lines as soon as the union of keys passes the limit', async () => {
    // Act
    const act = parseText('jsonl', '{"a":1}\n{"b":1}\n{"c":1}\n{"d":1}\n', { maxColumns: 2 });

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'TooManyColumnsError', columns: 3, limit: 2 });
  });

  it('refuses a Parquet file with too many columns', async () => {
    // Prepare
    const schema: TableSchema = {
      columns: ['a', 'b', 'c'].map((name) => ({ name, type: 'int' as const, nullable: false })),
    };
    const { bytes } = await collect((sink) =>
      writeParquet(schema, asBatches([batchFromRows(schema, [{ a: 1, b: 2, c: 3 }])]), sink),
    );

    // Act
    const act = parseFile({ format: 'parquet', source: rangeSource(bytes) }, { maxColumns: 2 });

    // Assess
    await expect(act).rejects.toThrow(TooManyColumnsError);
  });

  it('refuses a column name longer than 256 characters by default, naming the column', async () => {
    // Act
    const atLimit = await parseText('csv', `id,${'n'.repeat(256)}\n1,x\n`);
    const act = parseText('csv', `id,${'n'.repeat(257)}\n1,x\n`);

    // Assess
    expect(atLimit.parsed.schema.columns).toHaveLength(2);
    await expect(act).rejects.toThrow(ColumnNameTooLongError);
    await expect(act).rejects.toMatchObject({ index: 1, length: 257, limit: 256 });
    await expect(act).rejects.toThrow(/column 2 has a name of 257 characters.*maxColumnNameLength/);
  });

  it('counts characters, not UTF-16 units, in a name', async () => {
    // Prepare: 200 emoji are 400 UTF-16 units.
    const name = '😀'.repeat(200);

    // Act
    const { parsed } = await parseText('jsonl', `{"${name}":1}\n`);

    // Assess
    expect(parsed.schema.columns[0]?.name).toBe(name);
  });

  it('checks names after the column mapping and honours a raised limit', async () => {
    // Prepare
    const long = 'k'.repeat(300);

    // Act
    const mapped = await parseText('jsonl', `{"${long}":1}\n`, { columnMapping: { [long]: 'k' } });
    const raised = await parseText('jsonl', `{"${long}":1}\n`, { maxColumnNameLength: 300 });
    const refused = parseText('jsonl', `{"a":1,"${long}":2}\n`);

    // Assess
    expect(mapped.rows).toEqual([{ k: 1 }]);
    expect(raised.parsed.schema.columns[0]?.name).toBe(long);
    await expect(refused).rejects.toMatchObject({ name: 'ColumnNameTooLongError', index: 1, length: 300 });
  });

  it.each([
    [{ maxColumns: 0 }, /maxColumns must be a positive integer/],
    [{ maxColumnNameLength: 1.5 }, /maxColumnNameLength must be a positive integer/],
    [{ encoding: 'ebcdic' as never }, /unknown encoding "ebcdic"/],
  ])('rejects limits and encodings that make no sense: %j', async (options, message) => {
    const act = parseText('csv', 'a\n1\n', options);
    await expect(act).rejects.toThrow(ParseError);
    await expect(act).rejects.toThrow(message);
  });
});
