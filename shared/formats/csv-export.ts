/**
 * Parquet → CSV for people who want a spreadsheet: one row group at a time, so memory stays bounded by a
 * row group whatever the version's size. Timestamps are written as ISO 8601 (UTC), nulls as empty fields.
 */
import { stringify } from 'csv-stringify';
import type { CellValue, RecordBatch, TableSchema } from '../domain/table.js';

export async function* toCsv(
  schema: TableSchema,
  batches: AsyncIterable<RecordBatch>,
): AsyncIterable<Uint8Array> {
  const timestampColumns = schema.columns.map((c) => c.type === 'timestamp');
  const stringifier = stringify({ header: true, columns: schema.columns.map((c) => c.name) });
  const encoder = new TextEncoder();
  const feed = (async () => {
    try {
      for await (const batch of batches) {
        for (let r = 0; r < batch.numRows; r++) {
          const row = batch.columns.map((column, c) => cell(column[r] ?? null, timestampColumns[c] === true));
          // Respect backpressure: wait for the stringifier to drain before writing more.
          if (!stringifier.write(row)) await new Promise((resolve) => stringifier.once('drain', resolve));
        }
      }
      stringifier.end();
    } catch (error) {
      stringifier.destroy(error as Error);
    }
  })();
  for await (const chunk of stringifier)
    yield typeof chunk === 'string' ? encoder.encode(chunk) : (chunk as Uint8Array);
  await feed;
}

function cell(value: CellValue, timestamp: boolean): string | number | boolean | null {
  if (value === null) return null;
  if (timestamp && typeof value === 'number') return new Date(value).toISOString();
  return value;
}
