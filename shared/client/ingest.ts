/**
 * `ingestData`: data in memory (an Arrow table, row objects or a column map) into a dataset, the way a file
 * upload goes: encoded to Parquet here in the client (parquet.ts), uploaded through a create-only presigned
 * URL (`POST /files/upload-url`, then a PUT straight to the bucket: no API Gateway body limit), then, by
 * default, the pipeline run the upload started is polled until it ends, and its outcome answered.
 *
 * The run and the file are known as soon as the PUT answers: the pipeline derives both ids from the
 * object (bucket, key, and the S3 version id the PUT answers), and `fileIdOfUpload`
 * (domain/file-record.ts, pure) applies the same derivation to the same three values here.
 */
import type { Table } from 'apache-arrow';
import { fileIdOfUpload } from '../domain/file-record.js';
import type { DataType } from '../domain/object-key.js';
import type { RunView } from '../domain/run.js';
import type { TableSchema } from '../domain/table.js';
import { type TableInput, toArrowTable } from './arrow.js';
import { type ClientParquetCompression, encodeParquet } from './parquet.js';
import { waitForRun } from './runs.js';
import type { StrataClient, UploadUrl } from './strata.js';

/** How an ingest ended: the pipeline's outcome, or `UPLOADED` when it was not waited for. */
export type IngestStatus = 'VERSIONED' | 'HELD' | 'QUARANTINED' | 'DUPLICATE' | 'UPLOADED';

export interface IngestOptions {
  dataset: string;
  /** Recorded with the upload (object metadata, then the file record): keys of a-z, 0-9 and `-`. */
  metadata?: Record<string, string>;
  dataType?: DataType;
  /** Wait for the pipeline's outcome (default true); false answers `UPLOADED` once the bytes are stored. */
  wait?: boolean;
  /** The object's name under the dataset (default `sdk-<time>-<random>.parquet`); must end in `.parquet`. */
  fileName?: string;
  /** Give up waiting after this long (default 15 minutes): IngestTimeoutError; the run goes on. */
  timeoutMs?: number;
  /** Types for row objects and column maps instead of inferring them (see arrow.ts `toArrowTable`). */
  schema?: TableSchema;
  /** Parquet codec of the upload (default zstd: the smallest upload, see parquet.ts). */
  compression?: ClientParquetCompression;
  /** Poll interval bounds while waiting (default 250 ms growing to 2 s). */
  pollMs?: { min: number; max: number };
  /** For the PUT (default the global fetch). */
  fetch?: typeof fetch;
}

export interface IngestResult {
  /** The dataset's name (a dataset is identified by its name within the tenant). */
  datasetId: string;
  fileId: string;
  runId: string;
  /** The object written: fresh/<tenant>/<dataset>/<fileName>. */
  key: string;
  status: IngestStatus;
  /** Rows the version holds from this upload (VERSIONED, HELD); 0 otherwise. */
  rowsIngested: number;
  /** Rows sent. */
  rowsUploaded: number;
  /** The uploaded table's column names, in order. */
  columns: string[];
  /** The dataset version the upload made (VERSIONED, HELD). */
  version?: number;
  /** HELD: the gates' reasons; QUARANTINED: `<stage>: <error name>: <message>`; DUPLICATE: the original. */
  reasons: string[];
  /** QUARANTINED: the failure as the run recorded it. */
  failure?: { stage: string; name: string; message: string };
  /** DUPLICATE: the earlier file with the same content. */
  duplicateOf?: string;
  /** Bytes of the Parquet file uploaded. */
  bytes: number;
}

/** The route calls ingestData makes (a `createStrataClient(...)` has them). */
export type IngestClient = Pick<StrataClient, 'createUploadUrl' | 'getRun' | 'getFile' | 'getVersion'>;

/** The run did not end within `timeoutMs`; it goes on, and `runId`/`fileId` say where to look later. */
export class IngestTimeoutError extends Error {
  override readonly name = 'IngestTimeoutError' as const;
  constructor(
    readonly dataset: string,
    readonly fileId: string,
    readonly runId: string,
    readonly timeoutMs: number,
  ) {
    super(
      `the pipeline run ${runId} for file ${fileId} of ${dataset} did not end within ${timeoutMs} ms (it goes on: GET /runs/${runId})`,
    );
  }
}

/** The presigned PUT was refused (412: an object already has that key; 403: size or signature). */
export class UploadRejectedError extends Error {
  override readonly name = 'UploadRejectedError' as const;
  constructor(
    message: string,
    readonly status: number,
    readonly key: string,
    readonly body: string,
  ) {
    super(message);
  }
}

const DEFAULT_TIMEOUT_MS = 15 * 60_000;

function defaultFileName(): string {
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  return `sdk-${stamp}-${Math.random().toString(36).slice(2, 10)}.parquet`;
}

async function put(
  upload: UploadUrl,
  bytes: Uint8Array,
  doFetch: typeof fetch,
): Promise<{ versionId?: string; eTag?: string }> {
  // content-length is set by fetch from the body; the signed value is the same number.
  const headers = Object.fromEntries(
    Object.entries(upload.headers).filter(([k]) => k.toLowerCase() !== 'content-length'),
  );
  const response = await doFetch(upload.url, { method: 'PUT', headers, body: bytes });
  const body = await response.text();
  if (!response.ok) {
    const message = /<Message>([^<]+)<\/Message>/.exec(body)?.[1];
    throw new UploadRejectedError(
      response.status === 412
        ? `${upload.key} already exists: uploads never overwrite a file (choose another fileName)`
        : `upload of ${upload.fileName} answered ${response.status}${message ? `: ${message}` : ''}`,
      response.status,
      upload.key,
      body,
    );
  }
  const versionId = response.headers.get('x-amz-version-id') ?? undefined;
  const eTag = response.headers.get('etag') ?? undefined;
  return { ...(versionId && { versionId }), ...(eTag && { eTag }) };
}

/**
 * Ingests `data` into `options.dataset`: Parquet in the client, a create-only presigned upload, and (unless
 * `wait: false`) the pipeline's outcome. Throws InvalidInputError for data strata cannot hold (before
 * anything is uploaded), ApiError when the API refuses the upload URL, UploadRejectedError when the
 * bucket refuses the PUT, IngestTimeoutError when the run outlasts `timeoutMs`.
 */
export async function ingestData(
  client: IngestClient,
  data: TableInput,
  options: IngestOptions,
): Promise<IngestResult> {
  const table: Table = toArrowTable(data, options.schema ? { schema: options.schema } : {});
  const bytes = encodeParquet(table, options.compression ? { compression: options.compression } : {});
  const upload = await client.createUploadUrl({
    dataset: options.dataset,
    fileName: options.fileName ?? defaultFileName(),
    size: bytes.byteLength,
    format: 'parquet',
    contentType: 'application/vnd.apache.parquet',
    ...(options.dataType && { dataType: options.dataType }),
    ...(options.metadata && { metadata: options.metadata }),
  });
  const stored = await put(upload, bytes, options.fetch ?? fetch);
  const { fileId, runId } = fileIdOfUpload({ bucket: upload.bucket, key: upload.key }, stored);
  const result: IngestResult = {
    datasetId: upload.dataset,
    fileId,
    runId,
    key: upload.key,
    status: 'UPLOADED',
    rowsIngested: 0,
    rowsUploaded: table.numRows,
    columns: table.schema.fields.map((f) => f.name),
    reasons: [],
    bytes: bytes.byteLength,
  };
  if (options.wait === false) return result;

  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const run = await waitForRun(
    client,
    result.runId,
    Date.now() + timeoutMs,
    options.pollMs ?? { min: 250, max: 2000 },
  );
  if (!run) throw new IngestTimeoutError(upload.dataset, result.fileId, result.runId, timeoutMs);
  return outcomeOf(client, run, result);
}

async function outcomeOf(client: IngestClient, run: RunView, result: IngestResult): Promise<IngestResult> {
  if (run.status === 'FAILED') {
    const file = run.failure ? undefined : await client.getFile(run.fileId).catch(() => undefined);
    const failure = run.failure ?? {
      stage: file?.failure?.stage ?? 'unknown',
      name: file?.failure?.errorName ?? 'UnknownError',
      message: file?.failure?.message ?? '',
    };
    return {
      ...result,
      status: 'QUARANTINED',
      failure: { stage: failure.stage, name: failure.name, message: failure.message },
      reasons: [`${failure.stage}: ${failure.name}: ${failure.message}`],
    };
  }
  if (run.outcome === 'DUPLICATE') {
    const file = await client.getFile(run.fileId);
    return {
      ...result,
      status: 'DUPLICATE',
      ...(file.duplicateOf && { duplicateOf: file.duplicateOf }),
      reasons: file.duplicateOf ? [`the same content as file ${file.duplicateOf}`] : [],
    };
  }
  const version = run.version;
  if (version === undefined) {
    return { ...result, status: run.outcome === 'HELD' ? 'HELD' : 'VERSIONED' };
  }
  const record = await client.getVersion(run.dataset, version);
  return {
    ...result,
    status: record.status === 'HELD' ? 'HELD' : 'VERSIONED',
    version,
    rowsIngested: record.rowCount,
    reasons: record.hold?.reasons ?? [],
  };
}
