/**
 * Whole tables in memory, for the use cases that need every row at once (feature engineering, point-in-
 * time joins, predictions written back): read from a Parquet object, built from inline JSON columns,
 * encoded to Parquet bytes.
 */
import type { CellValue, ColumnType, RecordBatch, TableSchema } from '../../domain/table.js';
import { InvalidInputError } from '../../errors.js';
import { openParquet, writeParquet } from '../../formats/parquet.js';
import type { ObjectStore } from '../../ports.js';

export const MAX_INLINE_ROWS = 10_000;

export async function readTable(store: ObjectStore, key: string, maxRows = Number.POSITIVE_INFINITY) {
  const file = await openParquet(await store.openRange({ bucket: store.bucket, key }));
  if (file.numRows > maxRows) {
    throw new InvalidInputError(
      `${file.numRows} rows is more than a synchronous registration takes (${maxRows}); register a filtered version`,
    );
  }
  const columns = file.schema.columns.map(() => new Array<CellValue>(file.numRows));
  let offset = 0;
  for await (const batch of file.readRowGroups()) {
    batch.columns.forEach((cells, i) => {
      const target = columns[i];
      if (!target) return;
      for (let r = 0; r < batch.numRows; r++) target[offset + r] = cells[r] ?? null;
    });
    offset += batch.numRows;
  }
  return { schema: file.schema, numRows: file.numRows, columns } satisfies RecordBatch;
}

/**
 * Inline columns `{name: [values]}` as a table. Types come from the values: numbers (int when every one
 * is a safe integer), booleans, strings; the timestamp column accepts epoch ms or ISO 8601 strings.
 */
export function inlineTable(columns: Record<string, CellValue[]>, timestampColumn: string): RecordBatch {
  const names = Object.keys(columns);
  const lengths = new Set(names.map((n) => columns[n]?.length ?? 0));
  if (names.length === 0 || lengths.size !== 1) {
    throw new InvalidInputError('inline data needs at least one column and all columns of one length');
  }
  const numRows = [...lengths][0] ?? 0;
  if (numRows > MAX_INLINE_ROWS) {
    throw new InvalidInputError(`inline data is limited to ${MAX_INLINE_ROWS} rows; register from a dataset`);
  }
  const schema: TableSchema = { columns: [] };
  const data: CellValue[][] = [];
  for (const name of names) {
    let values = columns[name] ?? [];
    let type: ColumnType;
    if (name === timestampColumn) {
      values = values.map((v) => {
        if (v === null || typeof v === 'number') return v;
        const ms = typeof v === 'string' ? Date.parse(v) : Number.NaN;
        if (Number.isNaN(ms)) throw new InvalidInputError(`"${String(v)}" in ${name} is not a timestamp`);
        return ms;
      });
      type = 'timestamp';
    } else {
      const present = values.filter((v) => v !== null);
      const kinds = new Set(present.map((v) => typeof v));
      if (kinds.size > 1)
        throw new InvalidInputError(`inline column "${name}" mixes ${[...kinds].join(' and ')}`);
      const kind = [...kinds][0] ?? 'string';
      type =
        kind === 'number'
          ? present.every((v) => Number.isSafeInteger(v))
            ? 'int'
            : 'float'
          : kind === 'boolean'
            ? 'bool'
            : 'string';
    }
    schema.columns.push({ name, type, nullable: values.some((v) => v === null) });
    data.push(values);
  }
  return { schema, numRows, columns: data };
}

export async function parquetBytes(table: RecordBatch): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  async function* one() {
    yield table;
  }
  await writeParquet(table.schema, one(), async (chunk) => {
    chunks.push(chunk);
  });
  return new Uint8Array(Buffer.concat(chunks));
}

/** Row objects → inline columns (the union of their keys; a key a row lacks is null there). */
export function columnsOfRows(rows: ReadonlyArray<Record<string, CellValue>>): Record<string, CellValue[]> {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(names.map((n) => [n, rows.map((r) => r[n] ?? null)]));
}
