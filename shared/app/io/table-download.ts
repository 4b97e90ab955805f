/**
 * A dataset version as a download, from its Delta table's data files at the version (a held version: its
 * staged file), without ever doing unbounded work inside one API call (API Gateway ends it at 29 s):
 *
 * - one data file (the first version, a held one, a table of one file): a presigned URL of the file itself
 *   (Parquet), or of its CSV, made on the first request and kept (one file's conversion, the bound the
 *   per-version CSV always had);
 * - several data files, Parquet: the files themselves, presigned (no bytes move through the API), up to
 *   DOWNLOAD_FILE_LIMIT; past it, only where the files route pages them;
 * - several data files, CSV: one CSV per data file, made by the requests themselves: each call converts the
 *   files still missing for as long as CSV_STEP_BUDGET_MS allows (at least one), answers `pending` with its
 *   progress until all exist, then `ready` with their URLs. Polling the same route is the job and its status:
 *   no queue, no second function, nothing left running when nobody asks, and every step is one data file's
 *   conversion (a file is one ingested upload, bounded like the CSV of a version always was). One CSV per
 *   data file rather than one concatenated file, because joining them would be the unbounded step again.
 *
 * CSVs are keyed by the data file and the table's columns (a data file never changes; a column that joins
 * the table later changes its header), so versions that share files and columns share their CSVs, and two
 * concurrent pollers write the same bytes to the same key.
 */
import { sha256Hex } from '../../domain/hashing.js';
import { dataFileCsvKey } from '../../domain/object-key.js';
import type { TableSchema } from '../../domain/table.js';
import { InvalidInputError } from '../../errors.js';
import { toCsv } from '../../formats/csv-export.js';
import type { Clock, ObjectStore } from '../../ports.js';
import type { TableDataFile, TableVersionFiles } from './table-files.js';
import { dataFileBatches } from './table-sample.js';

/** Presigned files one answer carries: about 1 KB a URL keeps the answer far below Lambda's 6 MB. */
export const DOWNLOAD_FILE_LIMIT = 500;
/**
 * Conversion time one call spends before it answers `pending`: API Gateway's 29 s, less the table load,
 * presigning and a margin for the file being converted when the budget runs out.
 */
export const CSV_STEP_BUDGET_MS = 15_000;

export interface DownloadedFile {
  path: string;
  url: string;
  /** Rows, from the file's statistics (null when its writer recorded none). */
  rows: number | null;
  /** Bytes of the Parquet data file (of the CSV for a CSV download). */
  size: number;
}

export interface TableDownload {
  format: 'parquet' | 'csv';
  /** null: a held version, its staged data file (in no table version). */
  delta_version: number | null;
  table_uri: string;
  /** `ready`: `url` (one file) or `files` can be fetched; `pending`: call again for the CSV's progress. */
  status: 'ready' | 'pending';
  files_total: number;
  /** The one file of a single-file version. */
  url?: string | undefined;
  /** Each data file (or its CSV), when the version has several and there are at most DOWNLOAD_FILE_LIMIT. */
  files?: DownloadedFile[] | undefined;
  /** Where the version's data files are paged (always valid, the only way past DOWNLOAD_FILE_LIMIT). */
  files_route?: string | undefined;
  /** A pending CSV: how many of the files' CSVs exist. */
  progress?: { ready: number; total: number } | undefined;
  retry_after_seconds?: number | undefined;
  expiresInSeconds: number;
}

export async function downloadTableVersion(
  deps: { store: ObjectStore; clock: Clock },
  at: TableVersionFiles,
  request: {
    tenant: string;
    dataset: string;
    format: 'parquet' | 'csv';
    name: string;
    filesRoute: string;
    expiresInSeconds: number;
  },
): Promise<TableDownload> {
  const { store } = deps;
  const { format, expiresInSeconds } = request;
  const answer = {
    format,
    delta_version: at.deltaVersion,
    table_uri: at.uri,
    files_total: at.files.length,
    files_route: request.filesRoute,
    expiresInSeconds,
  };
  const rowsOf = (f: TableDataFile) => f.stats?.numRecords ?? null;
  const tag = columnsTag(at.schema);
  const csvKey = (f: TableDataFile) => dataFileCsvKey(request.tenant, request.dataset, f.path, tag);
  const [only] = at.files;
  if (at.files.length === 1 && only) {
    let key = only.key;
    if (format === 'csv') {
      key = csvKey(only);
      if (!(await store.exists(key))) await writeCsv(store, at.schema, only, key);
    }
    const url = await store.presignGet(key, expiresInSeconds, `${request.name}.${format}`);
    return { ...answer, status: 'ready', url };
  }
  if (at.files.length > DOWNLOAD_FILE_LIMIT) {
    if (format === 'csv') {
      throw new InvalidInputError(
        `the version has ${at.files.length} data files, more than a CSV download makes (${DOWNLOAD_FILE_LIMIT}): ` +
          `download its Parquet files from ${request.filesRoute}, or read the table at ${at.uri}`,
      );
    }
    return { ...answer, status: 'ready' };
  }
  if (format === 'parquet') {
    const files = await Promise.all(
      at.files.map(async (f) => ({
        path: f.path,
        url: await store.presignGet(f.key, expiresInSeconds),
        rows: rowsOf(f),
        size: f.size,
      })),
    );
    return { ...answer, status: 'ready', files };
  }
  const started = deps.clock.now().getTime();
  const made = new Map<string, { key: string; size: number }>();
  let converted = 0;
  for (const file of at.files) {
    const key = csvKey(file);
    if (await store.exists(key)) {
      made.set(file.path, { key, size: (await store.stat({ bucket: store.bucket, key })).size });
      continue;
    }
    if (converted > 0 && deps.clock.now().getTime() - started > CSV_STEP_BUDGET_MS) continue;
    const { size } = await writeCsv(store, at.schema, file, key);
    made.set(file.path, { key, size });
    converted++;
  }
  if (made.size < at.files.length) {
    return {
      ...answer,
      status: 'pending',
      progress: { ready: made.size, total: at.files.length },
      retry_after_seconds: 1,
    };
  }
  const files = await Promise.all(
    at.files.map(async (f) => {
      const csv = made.get(f.path) as { key: string; size: number };
      return {
        path: f.path,
        url: await store.presignGet(csv.key, expiresInSeconds),
        rows: rowsOf(f),
        size: csv.size,
      };
    }),
  );
  return { ...answer, status: 'ready', files };
}

/** One data file as CSV in the table's columns (a column the file lacks is empty), a row group at a time. */
async function writeCsv(store: ObjectStore, schema: TableSchema, file: TableDataFile, key: string) {
  return store.write(key, toCsv(schema, dataFileBatches(store, schema, file)), { contentType: 'text/csv' });
}

/** The table's columns, shortly: a CSV's header and cells depend on them, not only on its data file. */
function columnsTag(schema: TableSchema): string {
  return sha256Hex(JSON.stringify(schema.columns.map((c) => [c.name, c.type]))).slice(0, 16);
}
