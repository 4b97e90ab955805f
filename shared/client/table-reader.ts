/**
 * Reading a dataset's Delta table from the client: the version's data files come from the files route
 * (presigned, paged), each is read straight from the bucket with ranged GETs by strata's Parquet reader,
 * and every batch is put in the table's schema (a file written before a column was added reads nulls
 * there). Nothing goes through the API's body limit, and a reader holds one row group at a time.
 */
import type { CellValue, ColumnSchema, ColumnType, RecordBatch, TableSchema } from '../domain/table.js';
import { openParquet } from '../formats/parquet.js';
import { ApiError } from './http.js';
import { httpRangeSource } from './range-source.js';
import type { StrataClient } from './strata.js';

/** One data file to read: its presigned URL, and how to get a fresh one when that one has expired. */
export interface TableFile {
  path: string;
  size: number;
  rows: number | null;
  url: string;
  refresh(): Promise<string>;
}

export interface TableSource {
  dataset: string;
  version: number;
  /** The Delta version the files are (null for a held version's staged file). */
  deltaVersion: number | null;
  schema: TableSchema;
  files: TableFile[];
}

export interface ReadCounter {
  requests: number;
  bytes: number;
}

/** A row as the client hands it out: timestamps as ISO 8601, like the rows route answers them. */
export type Row = Record<string, CellValue>;

/** The dataset's current version, or an `ApiError` 404 as the API answers for a dataset without one. */
export async function currentVersion(client: StrataClient, name: string): Promise<number> {
  const record = await client.getDataset(name);
  if (record.currentVersion === undefined) {
    throw new ApiError(404, 'NotFoundError', `dataset "${name}" has no current version yet`, undefined);
  }
  return record.currentVersion;
}

/** Every data file of the version (all pages of the files route). */
async function listVersionFiles(client: StrataClient, name: string, version: number) {
  const first = await client.versionFiles(name, version);
  const files = [...first.files];
  let cursor = first.nextCursor;
  while (cursor !== undefined) {
    const page = await client.versionFiles(name, version, { cursor });
    files.push(...page.files);
    cursor = page.nextCursor;
  }
  return { first, files };
}

/**
 * The version's files and its table's schema. The schema is the table profile's columns (the whole
 * table's at that Delta version, in table order); a version whose record has no table profile gets the
 * union of its files' footers.
 */
export async function tableSource(
  client: StrataClient,
  name: string,
  version: number | undefined,
  options: { fetch?: typeof fetch } = {},
): Promise<TableSource> {
  const v = version ?? (await currentVersion(client, name));
  const [detail, listing] = await Promise.all([
    client.getVersion(name, v),
    listVersionFiles(client, name, v),
  ]);
  // One re-listing serves every file whose URL expired at about the same time.
  let relisting: Promise<Map<string, string>> | undefined;
  const refreshed = (path: string) => async () => {
    relisting ??= listVersionFiles(client, name, v).then((l) => new Map(l.files.map((f) => [f.path, f.url])));
    const urls = await relisting;
    relisting = undefined;
    const url = urls.get(path);
    if (url === undefined)
      throw new ApiError(410, 'GoneError', `data file ${path} left the table`, undefined);
    return url;
  };
  const files = listing.files.map((f) => ({
    path: f.path,
    size: f.size,
    rows: f.rows,
    url: f.url,
    refresh: refreshed(f.path),
  }));
  const schema =
    schemaOfProfile(detail.tableProfile) ?? (await schemaOfFooters(files, options.fetch ?? fetch));
  return { dataset: name, version: v, deltaVersion: listing.first.delta_version, schema, files };
}

const COLUMN_TYPES: readonly string[] = ['int', 'float', 'bool', 'string', 'timestamp'];

/** The table profile's columns as a schema; undefined when the version has none. */
export function schemaOfProfile(profile: unknown): TableSchema | undefined {
  const { columns, rowCount } = (profile ?? {}) as { columns?: unknown; rowCount?: unknown };
  if (!Array.isArray(columns) || columns.length === 0) return undefined;
  const schema: ColumnSchema[] = [];
  for (const c of columns as Array<{ name?: unknown; type?: unknown; nulls?: unknown; count?: unknown }>) {
    if (typeof c.name !== 'string' || typeof c.type !== 'string' || !COLUMN_TYPES.includes(c.type)) {
      return undefined;
    }
    // Rows of files without the column are not in its count: they read as nulls too.
    const nullable = c.nulls !== 0 || c.count !== rowCount;
    schema.push({ name: c.name, type: c.type as ColumnType, nullable });
  }
  return { columns: schema };
}

/**
 * The union of schemas in order of first appearance; a column that is int in one and float in another
 * is float (the table widens it so), a column some schema lacks is nullable.
 */
export function unionSchemas(schemas: readonly TableSchema[]): TableSchema {
  const columns = new Map<string, ColumnSchema>();
  for (const schema of schemas) {
    for (const c of schema.columns) {
      const seen = columns.get(c.name);
      if (!seen) {
        columns.set(c.name, { ...c });
        continue;
      }
      seen.nullable ||= c.nullable;
      if (seen.type !== c.type) {
        const numeric = (t: ColumnType) => t === 'int' || t === 'float';
        seen.type = numeric(seen.type) && numeric(c.type) ? 'float' : 'string';
      }
    }
  }
  for (const c of columns.values()) {
    if (schemas.some((s) => !s.columns.some((x) => x.name === c.name))) c.nullable = true;
  }
  return { columns: [...columns.values()] };
}

async function schemaOfFooters(files: readonly TableFile[], doFetch: typeof fetch): Promise<TableSchema> {
  const schemas: TableSchema[] = [];
  for (const file of files) schemas.push((await openFile(file, doFetch)).schema);
  return unionSchemas(schemas);
}

function refreshingSource(file: TableFile, doFetch: typeof fetch, counter?: ReadCounter) {
  let url = file.url;
  const options = { size: file.size, fetch: doFetch, ...(counter && { counter }) };
  return {
    size: file.size,
    async read(start: number, end: number) {
      try {
        return await httpRangeSource(url, options).read(start, end);
      } catch (error) {
        // Presigned URLs live minutes; a long read outlives them. Ask for a fresh one once, then retry.
        if (!(error instanceof ApiError) || error.status !== 403) throw error;
        url = await file.refresh();
        file.url = url;
        return httpRangeSource(url, options).read(start, end);
      }
    },
  };
}

async function openFile(file: TableFile, doFetch: typeof fetch, counter?: ReadCounter) {
  try {
    return await openParquet(refreshingSource(file, doFetch, counter));
  } catch (error) {
    throw unwrap(error);
  }
}

/** The Parquet reader wraps what its source threw; an HTTP failure is the caller's to see as such. */
function unwrap(error: unknown): unknown {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof ApiError ? cause : error;
}

/** The columns to read: the named ones (in that order), each of which must be in the table. */
export function projectSchema(schema: TableSchema, columns: readonly string[] | undefined): TableSchema {
  if (columns === undefined) return schema;
  return {
    columns: columns.map((name) => {
      const column = schema.columns.find((c) => c.name === name);
      if (!column) {
        throw new ApiError(400, 'InvalidInputError', `column "${name}" is not in the table`, undefined);
      }
      return column;
    }),
  };
}

/** A batch of some file's columns as a batch of `target`'s: reordered, absent columns all null. */
export function conformBatch(batch: RecordBatch, target: TableSchema): RecordBatch {
  const index = new Map(batch.schema.columns.map((c, i) => [c.name, i]));
  return {
    schema: target,
    numRows: batch.numRows,
    columns: target.columns.map((c) => {
      const i = index.get(c.name);
      const cells = i === undefined ? undefined : batch.columns[i];
      if (!cells) return new Array<CellValue>(batch.numRows).fill(null);
      const from = batch.schema.columns[i as number]?.type;
      // An int file in a float column needs nothing (both are numbers); a column the table holds as
      // text takes any other type's values as text.
      if (from === c.type || c.type !== 'string') return cells;
      return cells.map((v) =>
        v === null ? null : from === 'timestamp' ? new Date(v as number).toISOString() : String(v),
      );
    }),
  };
}

/** A data file opened for reading one row group at a time, their sizes known from the footer. */
export interface OpenedFile {
  rowGroups: number[];
  read(index: number): Promise<RecordBatch>;
}

export async function openTableFile(
  file: TableFile,
  target: TableSchema,
  options: { fetch?: typeof fetch; counter?: ReadCounter } = {},
): Promise<OpenedFile> {
  const parquet = await openFile(file, options.fetch ?? fetch, options.counter);
  const present = new Set(parquet.schema.columns.map((c) => c.name));
  const columns = target.columns.map((c) => c.name).filter((name) => present.has(name));
  return {
    rowGroups: parquet.rowGroups.map((g) => g.numRows),
    async read(index) {
      try {
        for await (const batch of parquet.readRowGroups({ rowGroups: [index], columns })) {
          return conformBatch(batch, target);
        }
      } catch (error) {
        throw unwrap(error);
      }
      return conformBatch({ schema: { columns: [] }, numRows: 0, columns: [] }, target);
    },
  };
}

/**
 * The file's rows in `target`'s columns, one batch per row group (the reader's unit: a row group is
 * fetched and decoded whole, so it is the least a reader can hold).
 */
export async function* readFileBatches(
  file: TableFile,
  target: TableSchema,
  options: { fetch?: typeof fetch; counter?: ReadCounter } = {},
): AsyncGenerator<RecordBatch> {
  const parquet = await openFile(file, options.fetch ?? fetch, options.counter);
  const present = new Set(parquet.schema.columns.map((c) => c.name));
  const columns = target.columns.map((c) => c.name).filter((name) => present.has(name));
  try {
    for await (const batch of parquet.readRowGroups({ columns })) yield conformBatch(batch, target);
  } catch (error) {
    throw unwrap(error);
  }
}

/** The batch's rows as objects, timestamps as ISO 8601 (null stays null). */
export function batchRows(batch: RecordBatch): Row[] {
  const rows: Row[] = new Array(batch.numRows);
  const { columns } = batch.schema;
  for (let r = 0; r < batch.numRows; r++) {
    const row: Row = {};
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c] as ColumnSchema;
      const value = batch.columns[c]?.[r] ?? null;
      row[column.name] =
        column.type === 'timestamp' && typeof value === 'number' ? new Date(value).toISOString() : value;
    }
    rows[r] = row;
  }
  return rows;
}
