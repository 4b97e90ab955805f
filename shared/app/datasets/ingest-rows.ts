/**
 * `POST /datasets/{name}/rows`: a small JSON body of rows (or columns) for callers without an SDK (curl).
 * The rows become one JSONL file under `fresh/<tenant>/<dataset>/rows/`, and the pipeline ingests it like
 * any upload: the S3 event starts its run, register records it (with the body's metadata), the stages
 * version it. JSONL rather than Parquet: the rows are JSON already, and the parse stage then infers their
 * types (integers, floats, ISO timestamps) exactly as for the same rows uploaded as a .jsonl file, so
 * posting rows and uploading them give the same table.
 */
import { checkUploadMetadata, fileIdOfUpload } from '../../domain/file-record.js';
import { sha256Hex } from '../../domain/hashing.js';
import { type DataType, isValidName, objectKey } from '../../domain/object-key.js';
import { InvalidInputError, UploadTooLargeError } from '../../errors.js';
import type { Logger, ObjectStore } from '../../ports.js';

/**
 * The most JSONL bytes one request writes. A Lambda takes at most 6 MB of request (API Gateway answers a
 * larger body itself and it never reaches strata); 5 MiB of rows leaves room for the JSON around them.
 * Larger data goes through an upload URL, which has no such limit.
 */
export const ROWS_MAX_BYTES = 5 * 1024 * 1024;

export type RowCell = string | number | boolean | null;

export interface IngestRowsRequest {
  /** Row objects; a key one row lacks is null there. Exactly one of `rows` and `columns`. */
  rows?: ReadonlyArray<Readonly<Record<string, RowCell>>> | undefined;
  /** Columns of equal length. */
  columns?: Readonly<Record<string, readonly RowCell[]>> | undefined;
  /** Recorded on the file record, as an upload's metadata (same bounds). */
  metadata?: Readonly<Record<string, string>> | undefined;
  dataType?: DataType | undefined;
}

export interface IngestRowsDeps {
  store: ObjectStore;
  logger: Logger;
}

export async function ingestRows(
  deps: IngestRowsDeps,
  tenant: string,
  dataset: string,
  request: IngestRowsRequest,
) {
  if (!isValidName(dataset)) throw new InvalidInputError(`invalid dataset name "${dataset}"`);
  const metadata = request.metadata ?? {};
  checkUploadMetadata(metadata);
  const { rows, columns } = rowsOf(request);
  const body = Buffer.from(`${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);
  if (body.length > ROWS_MAX_BYTES) {
    throw new UploadTooLargeError(
      `the rows take ${body.length} bytes as JSONL, over the ${ROWS_MAX_BYTES} this route takes; ` +
        'upload larger data through POST /files/upload-url',
      body.length,
      ROWS_MAX_BYTES,
    );
  }
  const dataType = request.dataType ?? 'custom';
  // Named by content and by what is declared about it: a retried request is the same object (written only
  // if absent), and the same rows posted with other metadata are another upload (which register then makes
  // a DUPLICATE of the first, as it would an uploaded file).
  const declared = JSON.stringify([dataType, Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : 1))]);
  const digest = sha256Hex(Buffer.concat([body, Buffer.from(`\0${declared}`)]));
  const key = objectKey({ stage: 'fresh', tenant, dataset, fileName: `rows/${digest.slice(0, 32)}.jsonl` });
  const put = await deps.store.put(key, body, {
    contentType: 'application/x-ndjson',
    ifAbsent: true,
    metadata: { ...metadata, 'data-type': dataType, format: 'jsonl' },
  });
  const { fileId, runId } = fileIdOfUpload({ bucket: deps.store.bucket, key }, { versionId: put.versionId });
  deps.logger.info('rows written as a file', {
    tenant,
    dataset,
    key,
    fileId,
    rows: rows.length,
    created: put.created,
  });
  return {
    dataset,
    key,
    fileId,
    runId,
    rows: rows.length,
    columns,
    bytes: body.length,
    created: put.created,
    status: 'ACCEPTED' as const,
    /** Where to follow it: the run (404 until its first stage opens it), then the file. */
    run: `/runs/${runId}`,
    file: `/files/${fileId}`,
  };
}

/** The rows as objects, and their column names in first-seen order. */
function rowsOf(request: IngestRowsRequest): { rows: Array<Record<string, RowCell>>; columns: string[] } {
  if ((request.rows === undefined) === (request.columns === undefined)) {
    throw new InvalidInputError('send either rows ([{column: value}, …]) or columns ({column: [values]})');
  }
  if (request.rows !== undefined) {
    const names = [...new Set(request.rows.flatMap((row) => Object.keys(row)))];
    if (names.length === 0) throw new InvalidInputError('the rows name no column');
    return { rows: request.rows.map((row) => ({ ...row })), columns: names };
  }
  const columns = request.columns ?? {};
  const names = Object.keys(columns);
  const lengths = new Set(names.map((name) => columns[name]?.length ?? 0));
  if (names.length === 0 || lengths.size !== 1) {
    throw new InvalidInputError('columns: at least one, all of one length');
  }
  const count = [...lengths][0] ?? 0;
  if (count === 0) throw new InvalidInputError('columns: at least one row');
  const rows = Array.from({ length: count }, (_, r) =>
    Object.fromEntries(names.map((name) => [name, columns[name]?.[r] ?? null])),
  );
  return { rows, columns: names };
}
