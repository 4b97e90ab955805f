import { describe, expect, it } from 'vitest';
import { type ParseOptions, parseFile, type TextFormat } from '../../../shared/domain/parse/parse-file.js';
import { batchFromRows, type CellValue, rowsOf, type TableSchema } from '../../../shared/domain/table.js';
import { EmptyFileError, ParseError } from '../../../shared/errors.js';
import { writeParquet } from '../../../shared/formats/parquet.js';
import { asBatches, collect, opener, rangeSource } from './sources.js';

async function parseText(format: TextFormat, data: Uint8Array | string, options: ParseOptions = {}) {
  const parsed = await parseFile({ format, open: opener(data) }, options);
  const rows: Record<string, CellValue>[] = [];
  for await (const batch of parsed.batches) rows.push(...rowsOf(batch));
  return { parsed, rows };
}

async function parquetOf(schema: TableSchema, rows: Record<string, CellValue>[]): Promise<Uint8Array> {
  const batches = rows.length === 0 ? [] : [batchFromRows(schema, rows)];
  return (await collect((sink) => writeParquet(schema, asBatches(batches), sink))).bytes;
}

const ID_NAME: TableSchema = {
  columns: [
    { name: 'id', type: 'int', nullable: false },
    { name: 'name', type: 'string', nullable: true },
  ],
};

describe('empty files', () => {
  it.each(['csv', 'jsonl', 'json'] as const)('refuses a 0-byte %s file', async (format) => {
    // Act
    const act = parseText(format, '');

    // Assess
    await expect(act).rejects.toThrow(EmptyFileError);
    await expect(act).rejects.toMatchObject({ name: 'EmptyFileError', statusCode: 422 });
  });

  it('refuses a 0-byte Parquet file without reading it', async () => {
    // Prepare
    const source = rangeSource(new Uint8Array(0));

    // Act
    const act = parseFile({ format: 'parquet', source });

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'EmptyFileError', reason: 'the file has 0 bytes' });
    expect(source.reads).toEqual([]);
  });

  it.each([
    ['csv', '\uFEFF'],
    ['csv', '\r\n\r\n'],
    ['jsonl', '\n  \n'],
    ['json', '[]'],
  ] as const)('refuses a %s file without columns: %j', async (format, text) => {
    // Act
    const act = parseText(format, text);

    // Assess
    await expect(act).rejects.toThrow(EmptyFileError);
    await expect(act).rejects.toThrow(/no columns/);
  });

  it('refuses records without a single field as a file without columns', async () => {
    // Act
    const act = parseText('json', '[{}, {}]');

    // Assess
    await expect(act).rejects.toThrow(
      'empty file: no columns: none of the 2 records read has a readable field',
    );
  });

  it('reports unreadable records as a ParseError, not as an empty file', async () => {
    // Act
    const strict = parseText('jsonl', 'not json\n[1]\n');
    const lenient = parseText('jsonl', 'not json\n[1]\n', { maxErrorRate: 1 });

    // Assess
    await expect(strict).rejects.toThrow(ParseError);
    await expect(lenient).rejects.toThrow(EmptyFileError);
  });

  it('refuses a header-only CSV by default, saying how to allow it', async () => {
    // Act
    const act = parseText('csv', 'id,name\r\n');

    // Assess
    await expect(act).rejects.toThrow(EmptyFileError);
    await expect(act).rejects.toThrow(/header only, 0 rows/);
    await expect(act).rejects.toThrow(/"allowEmptyBatches": true/);
  });

  it('lets a header-only CSV through as its columns and 0 rows when the dataset allows empty batches', async () => {
    // Act
    const { parsed, rows } = await parseText('csv', 'id,name\r\n', { allowEmptyBatches: true });

    // Assess
    expect(parsed.schema.columns.map((c) => c.name)).toEqual(['id', 'name']);
    expect(rows).toEqual([]);
    expect(parsed.metrics()).toMatchObject({ recordsRead: 0, recordsWritten: 0 });
  });

  it('never lets a file without columns through, even when empty batches are allowed', async () => {
    await expect(parseText('csv', '', { allowEmptyBatches: true })).rejects.toThrow(EmptyFileError);
    await expect(parseText('json', '[]', { allowEmptyBatches: true })).rejects.toThrow(EmptyFileError);
  });

  it('refuses a Parquet file with columns and 0 rows unless the dataset allows empty batches', async () => {
    // Prepare
    const bytes = await parquetOf(ID_NAME, []);

    // Act
    const refused = parseFile({ format: 'parquet', source: rangeSource(bytes) });
    const allowed = await parseFile(
      { format: 'parquet', source: rangeSource(bytes) },
      { allowEmptyBatches: true },
    );

    // Assess
    await expect(refused).rejects.toThrow(/empty file: 0 rows/);
    expect(allowed.schema.columns.map((c) => c.name)).toEqual(['id', 'name']);
  });

  it('reads a file with rows as before, whatever allowEmptyBatches says', async () => {
    // Act
    const { rows } = await parseText('csv', 'id,name\n1,ann\n', { allowEmptyBatches: false });

    // Assess
    expect(rows).toEqual([{ id: 1, name: 'ann' }]);
  });
});
