/**
 * `GET /datasets/{name}/rows?last=N` and `?start=&end=`: rows of a version's Parquet snapshot by their
 * timestamp, reading only the row groups whose statistics can hold an answer. The answer says how many
 * row groups and bytes it read, so the skipping is observable.
 */

import type { CellValue, RecordBatch, TableSchema } from '../../domain/table.js';
import {
  BoundedRows,
  comparePositions,
  type Direction,
  type GroupRange,
  groupsInRange,
  groupsInReadOrder,
  type RowPosition,
} from '../../domain/time-range.js';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import { openParquet, type ParquetFile } from '../../formats/parquet.js';
import type { ByteRangeSource, DatasetStore, ObjectStore, VersionStore } from '../../ports.js';

export interface TimeQueryDeps {
  datasets: Pick<DatasetStore, 'getDataset'>;
  versions: Pick<VersionStore, 'getVersion'>;
  store: ObjectStore;
}

export interface RowsQuery {
  /** Default: the dataset's current version. */
  version?: number | undefined;
  /** Default: the dataset's time column setting, else the version's first timestamp column. */
  column?: string | undefined;
  last?: number | undefined;
  /** Epoch ms, inclusive. */
  start?: number | undefined;
  /** Epoch ms, exclusive. */
  end?: number | undefined;
  /** Page size of a range query. */
  limit: number;
  cursor?: string | undefined;
}

/** Counts what a query really fetched from S3: the evidence that row-group skipping works. */
export function countingSource(source: ByteRangeSource) {
  const counter = { requests: 0, bytes: 0 };
  const counted: ByteRangeSource = {
    size: source.size,
    async read(start, end) {
      counter.requests++;
      counter.bytes += end - start;
      return source.read(start, end);
    },
  };
  return { source: counted, counter };
}

export function encodeRowCursor(at: RowPosition): string {
  return Buffer.from(JSON.stringify([at.t, at.group, at.row])).toString('base64url');
}

export function decodeRowCursor(cursor: string): RowPosition {
  try {
    const [t, group, row] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof t === 'number' && Number.isInteger(group) && Number.isInteger(row)) {
      return { t, group: group as number, row: row as number };
    }
  } catch {
    // Falls through to the typed error.
  }
  throw new InvalidInputError('cursor is not one this query returned');
}

function timeColumnOf(schema: TableSchema, requested: string | undefined, configured: string | undefined) {
  const name = requested ?? configured ?? schema.columns.find((c) => c.type === 'timestamp')?.name;
  if (name === undefined) {
    throw new InvalidInputError('the version has no timestamp column: name a numeric one with ?column=');
  }
  const column = schema.columns.find((c) => c.name === name);
  if (!column) throw new InvalidInputError(`column "${name}" is not in the version`);
  if (column.type !== 'timestamp' && column.type !== 'int' && column.type !== 'float') {
    throw new InvalidInputError(`column "${name}" is ${column.type}, not a timestamp or number`);
  }
  return column;
}

function rowOf(batch: RecordBatch, r: number): Record<string, CellValue | string> {
  const row: Record<string, CellValue | string> = {};
  batch.schema.columns.forEach((c, i) => {
    const v = batch.columns[i]?.[r] ?? null;
    // Timestamps leave as ISO 8601: what people and pandas.to_datetime read without a unit.
    row[c.name] = c.type === 'timestamp' && typeof v === 'number' ? new Date(v).toISOString() : v;
  });
  return row;
}

export async function queryRows(deps: TimeQueryDeps, tenant: string, dataset: string, query: RowsQuery) {
  const hasRange = query.start !== undefined || query.end !== undefined;
  if (query.last !== undefined && (hasRange || query.cursor !== undefined)) {
    throw new InvalidInputError('ask either for the last N rows or for a start/end range, not both');
  }
  if (query.last === undefined && !hasRange) {
    throw new InvalidInputError('ask for ?last=N or a ?start=&end= range');
  }
  if (query.start !== undefined && query.end !== undefined && query.end < query.start) {
    throw new InvalidInputError('end must not be before start');
  }
  const record = await deps.datasets.getDataset(tenant, dataset);
  if (!record) throw new NotFoundError(`dataset "${dataset}" not found`);
  const number = query.version ?? record.currentVersion;
  if (number === undefined) throw new NotFoundError(`dataset "${dataset}" has no current version`);
  const version = await deps.versions.getVersion(tenant, dataset, number);
  if (!version || version.status === 'PENDING') {
    throw new NotFoundError(`version ${number} of dataset "${dataset}" not found`);
  }
  const column = timeColumnOf(version.schema, query.column, record.driftSettings?.timeColumn);
  const { source, counter } = countingSource(
    await deps.store.openRange({ bucket: deps.store.bucket, key: version.snapshotKey }),
  );
  const file = await openParquet(source);
  const result = await scanByTime(file, column.name, { ...query, last: query.last });
  return {
    dataset,
    version: number,
    column: column.name,
    count: result.rows.length,
    rows: result.rows,
    ...(result.nextCursor && { nextCursor: result.nextCursor }),
    scan: { ...result.scan, requests: counter.requests, bytesRead: counter.bytes },
  };
}

/**
 * The scan itself, over an open Parquet file: row groups chosen and ordered by the time column's
 * statistics, read one at a time, stopping as soon as no further group can change the answer.
 */
export async function scanByTime(
  file: ParquetFile,
  timeColumn: string,
  query: Pick<RowsQuery, 'last' | 'start' | 'end' | 'limit' | 'cursor'>,
) {
  const groups: GroupRange[] = file.rowGroups.map((g) => {
    const stats = g.columns[timeColumn];
    return {
      index: g.index,
      numRows: g.numRows,
      min: typeof stats?.min === 'number' ? stats.min : undefined,
      max: typeof stats?.max === 'number' ? stats.max : undefined,
    };
  });
  const timeIndex = file.schema.columns.findIndex((c) => c.name === timeColumn);
  const after = query.cursor === undefined ? undefined : decodeRowCursor(query.cursor);
  const direction: Direction = query.last !== undefined ? 'latest' : 'earliest';
  // A range page keeps one row more than it returns: that one says whether there is a next page.
  const keep = new BoundedRows<Record<string, CellValue | string>>(query.last ?? query.limit + 1, direction);
  const start = after === undefined ? query.start : Math.max(after.t, query.start ?? after.t);
  const candidates =
    direction === 'latest' ? groups : groups.filter((g) => groupsInRange([g], start, query.end).length > 0);
  let groupsRead = 0;
  for (const group of groupsInReadOrder(candidates, direction)) {
    if (keep.canStop(group)) break;
    groupsRead++;
    for await (const batch of file.readRowGroups({ rowGroups: [group.index] })) {
      const times = batch.columns[timeIndex] ?? [];
      for (let r = 0; r < batch.numRows; r++) {
        const t = times[r];
        if (typeof t !== 'number' || Number.isNaN(t)) continue;
        if (query.start !== undefined && t < query.start) continue;
        if (query.end !== undefined && t >= query.end) continue;
        const at = { t, group: group.index, row: r };
        if (after && comparePositions(at, after) <= 0) continue;
        keep.offer(at, () => rowOf(batch, r));
      }
    }
  }
  const kept = keep.sorted();
  const page = direction === 'earliest' ? kept.slice(0, query.limit) : kept;
  const last = page.at(-1);
  const more = direction === 'earliest' && kept.length > query.limit && last !== undefined;
  return {
    rows: page.map((k) => k.value),
    nextCursor: more ? encodeRowCursor(last.at) : undefined,
    scan: { rowGroups: groups.length, rowGroupsRead: groupsRead },
  };
}
