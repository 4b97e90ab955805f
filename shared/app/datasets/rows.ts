/**
 * `GET /datasets/{name}/rows?last=N` (newest first, or `order=asc`) and `?start=&end=` (oldest first,
 * paged): rows of a dataset's Delta table by their timestamp, `columns=` of them, across its data files,
 * reading only the files whose statistics (their add actions', from the log) and then only the row groups
 * whose statistics (the Parquet footer's) can hold an answer. The table is read as it is now, or at the
 * Delta version of `version=`; a held version is in no table version, so its staged file alone is read.
 * The answer says how many files, row groups and bytes it read, so the skipping is observable.
 */

import { fromDeltaSchema } from '../../domain/delta/schema.js';
import { tableSchema } from '../../domain/delta/snapshot.js';
import { datasetTableRoot } from '../../domain/object-key.js';
import type { CellValue, ColumnSchema, RecordBatch, TableSchema } from '../../domain/table.js';
import {
  BoundedRows,
  comparePositions,
  type Direction,
  fileTimeRange,
  type GroupRange,
  groupsInRange,
  groupsInReadOrder,
  type RowPosition,
} from '../../domain/time-range.js';
import type { VersionRecord } from '../../domain/version.js';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import { openParquet, type ParquetFile } from '../../formats/parquet.js';
import type { ByteRangeSource, DatasetStore, DatasetTables, ObjectStore, VersionStore } from '../../ports.js';
import { fileDataFiles, snapshotDataFiles } from '../io/table-files.js';
import { checkReadable } from '../io/table-vacuum.js';

export interface TimeQueryDeps {
  datasets: Pick<DatasetStore, 'getDataset'>;
  versions: Pick<VersionStore, 'getVersion'>;
  store: ObjectStore;
  tables: DatasetTables;
}

export interface RowsQuery {
  /** Default: the table as it is now (the dataset's current version must exist). */
  version?: number | undefined;
  /** Default: the dataset's time column setting, else the first timestamp column. */
  column?: string | undefined;
  last?: number | undefined;
  /** Epoch ms, inclusive. */
  start?: number | undefined;
  /** Epoch ms, exclusive. */
  end?: number | undefined;
  /** The columns to return (the time column always comes too); default every column of the table. */
  columns?: string[] | undefined;
  /** last=N: newest first (default) or oldest first. A range is always oldest first. */
  order?: 'asc' | 'desc' | undefined;
  /** Page size of a range query. */
  limit: number;
  cursor?: string | undefined;
}

/** Counts what a query really fetched from S3: the evidence that file and row-group skipping works. */
export function countingSource(source: ByteRangeSource, counter = { requests: 0, bytes: 0 }) {
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

/** A page's end, and the Delta version the pages read (null when they read one file, not a table). */
export interface RowCursor {
  at: RowPosition;
  deltaVersion: number | null;
}

export function encodeRowCursor(cursor: RowCursor): string {
  const { t, file, group, row } = cursor.at;
  return Buffer.from(JSON.stringify([t, file, group, row, cursor.deltaVersion])).toString('base64url');
}

export function decodeRowCursor(cursor: string): RowCursor {
  try {
    const [t, file, group, row, pinned] = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    ) as unknown[];
    const pin = pinned === null || (Number.isSafeInteger(pinned) && (pinned as number) >= 0);
    if (typeof t === 'number' && [file, group, row].every(Number.isInteger) && pin) {
      return {
        at: { t, file: file as number, group: group as number, row: row as number },
        deltaVersion: pinned as number | null,
      };
    }
  } catch {
    // Falls through to the typed error.
  }
  throw new InvalidInputError('cursor is not one this query returned');
}

/** The table's columns a query asked for, in the table's order, with the time column. */
function projected(schema: TableSchema, names: string[] | undefined, timeColumn: string): TableSchema {
  if (names === undefined) return schema;
  const wanted = new Set(names);
  const missing = names.find((name) => !schema.columns.some((c) => c.name === name));
  if (missing !== undefined) {
    throw new InvalidInputError(`column "${missing.slice(0, 64)}" is not in the version`);
  }
  return { columns: schema.columns.filter((c) => wanted.has(c.name) || c.name === timeColumn) };
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

/** What the query reads: a table version's data files, or a held version's staged file. */
interface RowSource {
  schema: TableSchema;
  deltaVersion: number | null;
  staged: boolean;
  files: Array<{ key: string; stats?: Parameters<typeof fileTimeRange>[0] }>;
}

export async function queryRows(deps: TimeQueryDeps, tenant: string, dataset: string, query: RowsQuery) {
  const hasRange = query.start !== undefined || query.end !== undefined;
  if (query.last !== undefined && (hasRange || query.cursor !== undefined)) {
    throw new InvalidInputError('ask either for the last N rows or for a start/end range, not both');
  }
  if (query.last === undefined && !hasRange) {
    throw new InvalidInputError('ask for ?last=N or a ?start=&end= range');
  }
  if (query.order === 'desc' && query.last === undefined) {
    throw new InvalidInputError('a range is read oldest first: order=desc is for last=N');
  }
  if (query.start !== undefined && query.end !== undefined && query.end < query.start) {
    throw new InvalidInputError('end must not be before start');
  }
  const cursor = query.cursor === undefined ? undefined : decodeRowCursor(query.cursor);
  const record = await deps.datasets.getDataset(tenant, dataset);
  if (!record) throw new NotFoundError(`dataset "${dataset}" not found`);
  const number = query.version ?? record.currentVersion;
  if (number === undefined) throw new NotFoundError(`dataset "${dataset}" has no current version`);
  const version = await deps.versions.getVersion(tenant, dataset, number);
  if (!version || version.status === 'PENDING') {
    throw new NotFoundError(`version ${number} of dataset "${dataset}" not found`);
  }
  const source = await rowSource(deps, version, query.version === undefined, cursor);
  const column = timeColumnOf(source.schema, query.column, record.driftSettings?.timeColumn);
  const schema = projected(source.schema, query.columns, column.name);
  const counter = { requests: 0, bytes: 0 };
  const files: ScanFile[] = source.files.map((f) => ({
    ...fileTimeRange(f.stats, column),
    open: async () =>
      openParquet(
        countingSource(await deps.store.openRange({ bucket: deps.store.bucket, key: f.key }), counter).source,
      ),
  }));
  const result = await scanByTime(files, column.name, schema, {
    ...query,
    cursor,
    deltaVersion: source.deltaVersion,
  });
  return {
    dataset,
    version: number,
    delta_version: source.deltaVersion,
    ...(source.staged && { staged: true }),
    column: column.name,
    count: result.rows.length,
    rows: result.rows,
    ...(result.nextCursor && { nextCursor: result.nextCursor }),
    scan: { ...result.scan, requests: counter.requests, bytesRead: counter.bytes },
  };
}

/**
 * Which files answer for `version`: the table at its Delta version (at the latest Delta version when the
 * query names none, or at the one a cursor pinned, so the pages of one query read one table version).
 */
async function rowSource(
  deps: TimeQueryDeps,
  version: VersionRecord,
  current: boolean,
  cursor: RowCursor | undefined,
): Promise<RowSource> {
  const { tenant, dataset } = version;
  const root = datasetTableRoot(tenant, dataset);
  const placed = version.table;
  if (!placed) {
    throw new NotFoundError(`version ${version.version} of dataset "${dataset}" is in no table`);
  }
  if (placed.version === undefined) {
    if (cursor && cursor.deltaVersion !== null) {
      throw new InvalidInputError('cursor is not one this query returned');
    }
    // A held version: its staged file (each chunk's, in order, for a file staged in chunks), in no commit.
    return {
      schema: version.schema,
      deltaVersion: null,
      staged: true,
      files: fileDataFiles(version.sourceFileId, placed).map((path) => ({ key: `${root}${path}` })),
    };
  }
  let at = current ? undefined : placed.version;
  if (cursor) {
    if (cursor.deltaVersion === null || (at !== undefined && cursor.deltaVersion !== at)) {
      throw new InvalidInputError('cursor is not one this query returned');
    }
    at = cursor.deltaVersion;
  }
  // A named version (or a cursor's) may have lost its data files to vacuum: 410, found beside the load.
  const [snapshot] = await Promise.all([
    deps.tables.open(root).snapshot(at),
    at === undefined
      ? undefined
      : checkReadable(deps.store, {
          tenant,
          dataset,
          deltaVersion: at,
          version: current ? undefined : version.version,
        }),
  ]);
  if (!snapshot) throw new NotFoundError(`the table of dataset "${dataset}" is missing`);
  return {
    schema: fromDeltaSchema(tableSchema(snapshot)),
    deltaVersion: snapshot.version,
    staged: false,
    files: snapshotDataFiles(snapshot, deps.store.bucket, root),
  };
}

/** One data file a scan may read: its time bounds by its statistics, and how to open it. */
export interface ScanFile {
  /** The statistics say it holds no value of the time column: it is never opened. */
  empty?: boolean;
  min?: number | undefined;
  max?: number | undefined;
  open(): Promise<ParquetFile>;
}

function rowOf(
  batch: RecordBatch,
  r: number,
  columns: readonly ColumnSchema[],
  slots: readonly number[],
): Record<string, CellValue | string> {
  const row: Record<string, CellValue | string> = {};
  columns.forEach((c, i) => {
    const slot = slots[i] ?? -1;
    const v = slot < 0 ? null : (batch.columns[slot]?.[r] ?? null);
    // Timestamps leave as ISO 8601: what people and pandas.to_datetime read without a unit.
    row[c.name] = c.type === 'timestamp' && typeof v === 'number' ? new Date(v).toISOString() : v;
  });
  return row;
}

/**
 * The scan itself, over data files in the table version's order: files chosen and ordered by the time
 * column's bounds in their statistics, row groups within an opened file by its footer's, read one at a
 * time, stopping as soon as no further file or group can change the answer. Rows come out with the
 * columns of `schema` (the table's: a file without one of them reads null there).
 */
export async function scanByTime(
  files: readonly ScanFile[],
  timeColumn: string,
  schema: TableSchema,
  query: Pick<RowsQuery, 'last' | 'start' | 'end' | 'limit' | 'order'> & {
    cursor?: RowCursor | undefined;
    deltaVersion?: number | null;
  },
) {
  const after = query.cursor?.at;
  const direction: Direction = query.last !== undefined ? 'latest' : 'earliest';
  // A range page keeps one row more than it returns: that one says whether there is a next page.
  const keep = new BoundedRows<Record<string, CellValue | string>>(query.last ?? query.limit + 1, direction);
  const start = after === undefined ? query.start : Math.max(after.t, query.start ?? after.t);
  const inRange = (ranges: GroupRange[]) =>
    direction === 'latest' ? ranges : ranges.filter((g) => groupsInRange([g], start, query.end).length > 0);
  const fileRanges = files.map(
    (f, index): GroupRange => ({ index, numRows: f.empty ? 0 : 1, min: f.min, max: f.max }),
  );
  const scan = { files: files.length, filesRead: 0, rowGroups: 0, rowGroupsRead: 0 };
  for (const fileRange of groupsInReadOrder(inRange(fileRanges), direction)) {
    if (keep.canStop(fileRange)) break;
    const file = await (files[fileRange.index] as ScanFile).open();
    scan.filesRead++;
    scan.rowGroups += file.rowGroups.length;
    if (!file.schema.columns.some((c) => c.name === timeColumn)) continue;
    const present = schema.columns.filter((c) => file.schema.columns.some((f) => f.name === c.name));
    const names = present.map((c) => c.name);
    const slots = schema.columns.map((c) => names.indexOf(c.name));
    const timeIndex = names.indexOf(timeColumn);
    const groups = file.rowGroups.map((g): GroupRange => {
      const stats = g.columns[timeColumn];
      return {
        index: g.index,
        numRows: g.numRows,
        min: typeof stats?.min === 'number' ? stats.min : undefined,
        max: typeof stats?.max === 'number' ? stats.max : undefined,
      };
    });
    for (const group of groupsInReadOrder(inRange(groups), direction)) {
      if (keep.canStop(group)) break;
      scan.rowGroupsRead++;
      for await (const batch of file.readRowGroups({ rowGroups: [group.index], columns: names })) {
        const times = batch.columns[timeIndex] ?? [];
        for (let r = 0; r < batch.numRows; r++) {
          const t = times[r];
          if (typeof t !== 'number' || Number.isNaN(t)) continue;
          if (query.start !== undefined && t < query.start) continue;
          if (query.end !== undefined && t >= query.end) continue;
          const at = { t, file: fileRange.index, group: group.index, row: r };
          if (after && comparePositions(at, after) <= 0) continue;
          keep.offer(at, () => rowOf(batch, r, schema.columns, slots));
        }
      }
    }
  }
  const kept = keep.sorted();
  const page =
    direction === 'earliest' ? kept.slice(0, query.limit) : query.order === 'asc' ? kept : kept.reverse();
  const last = page.at(-1);
  const more = direction === 'earliest' && kept.length > query.limit && last !== undefined;
  return {
    rows: page.map((k) => k.value),
    nextCursor: more ? encodeRowCursor({ at: last.at, deltaVersion: query.deltaVersion ?? null }) : undefined,
    scan,
  };
}
