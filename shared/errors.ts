/**
 * The one error hierarchy. Every class has a literal `name`: Lambda reports it as `errorType`, and the
 * state machine's Retry/Catch match on it, so renaming a class is a breaking change to the pipeline.
 * HTTP handlers map `statusCode`; for 5xx only the name leaves the process, never the message.
 */
export abstract class StrataError extends Error {
  abstract override readonly name: string;
  /** HTTP status when the error reaches an API caller. */
  abstract readonly statusCode: number;
  /** Retrying the same input may succeed (throttling, timeouts, a dependency that is down). */
  readonly retryable: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  /** What an API caller may see. */
  toPublic(): { error: string; message: string } {
    return this.statusCode >= 500
      ? { error: this.name, message: 'Internal error' }
      : { error: this.name, message: this.message };
  }
}

/** An object key that does not follow `<prefix>/<tenant>/<dataset>/<file>` or names no known format. */
export class InvalidObjectKeyError extends StrataError {
  override readonly name = 'InvalidObjectKeyError' as const;
  readonly statusCode = 400;
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid object key "${key}": ${reason}`);
  }
}

/**
 * An upload declared larger than the deployment lets a presigned URL take (`UPLOAD_MAX_BYTES`), or rows
 * posted to the API in a body larger than the rows route takes.
 */
export class UploadTooLargeError extends StrataError {
  override readonly name = 'UploadTooLargeError' as const;
  readonly statusCode = 422;
  constructor(
    message: string,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(message);
  }
}

/**
 * Upload metadata over the bounds a file record keeps (domain/file-record.ts `USER_METADATA_LIMITS`): too
 * many keys, a value too long, or too many bytes in all. Refused when the upload is asked for, so nothing
 * an uploader declared is cut off later. 422: the request is well formed; `limit` names the bound.
 */
export class MetadataTooLargeError extends StrataError {
  override readonly name = 'MetadataTooLargeError' as const;
  readonly statusCode = 422;
  constructor(
    message: string,
    readonly limit: 'keys' | 'valueLength' | 'bytes',
    readonly maximum: number,
  ) {
    super(message);
  }
}

/** A request or event that does not match its schema. */
export class InvalidInputError extends StrataError {
  override readonly name = 'InvalidInputError' as const;
  readonly statusCode = 400;
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class UnauthorizedError extends StrataError {
  override readonly name = 'UnauthorizedError' as const;
  readonly statusCode = 401;
}

export class NotFoundError extends StrataError {
  override readonly name = 'NotFoundError' as const;
  readonly statusCode = 404;
}

/** No route of the API serves the request's method and path (API Gateway's own answer is a 404 too). */
export class RouteNotFoundError extends StrataError {
  override readonly name = 'RouteNotFoundError' as const;
  readonly statusCode = 404;
}

/** The object an event names is gone (deleted or overwritten before we read it). Not retryable. */
export class ObjectMissingError extends StrataError {
  override readonly name = 'ObjectMissingError' as const;
  readonly statusCode = 404;
  constructor(
    readonly bucket: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`object s3://${bucket}/${key} does not exist`, options);
  }
}

/** A conditional write lost against another writer; the caller decides whether that is benign. */
export class ConflictError extends StrataError {
  override readonly name = 'ConflictError' as const;
  readonly statusCode = 409;
}

/**
 * A file a training job asked to mark as read whose status is not served for training (deprecated,
 * quarantined, a duplicate). 409: the file is there, its state refuses the use.
 */
export class FileNotConsumableError extends StrataError {
  override readonly name = 'FileNotConsumableError' as const;
  readonly statusCode = 409;
}

/**
 * A well-formed request that selects nothing (no training-set file matches the criteria, or the budget is
 * smaller than the newest match). 422, not 400: the same request may succeed once matching data arrives.
 */
export class EmptySelectionError extends StrataError {
  override readonly name = 'EmptySelectionError' as const;
  readonly statusCode = 422;
}

/**
 * A file's content cannot be read as its format (a ragged CSV row, a JSON array that does not close), or
 * too many of its records fail conversion. Not retryable: the same bytes fail the same way, so the file is
 * quarantined. `line` (text formats) or `record` (1-based) locate the first problem when one is known.
 */
export class ParseError extends StrataError {
  override readonly name = 'ParseError' as const;
  readonly statusCode = 422;
  readonly line: number | undefined;
  readonly record: number | undefined;
  constructor(
    readonly reason: string,
    where: { line?: number; record?: number } = {},
    options?: { cause?: unknown },
  ) {
    const at = [
      where.line === undefined ? '' : `line ${where.line}`,
      where.record === undefined ? '' : `record ${where.record}`,
    ]
      .filter((s) => s !== '')
      .join(', ');
    super(at === '' ? `cannot parse file: ${reason}` : `cannot parse file at ${at}: ${reason}`, options);
    this.line = where.line;
    this.record = where.record;
  }
}

/**
 * The bad input one chunk of a file hit (ParseError, EncodingError, …), raised again by the merge of the
 * chunks under that error's own name and message, so that the state machine's Catch, the quarantine and
 * the file record see what the file parsed whole would have raised. The one class here whose `name` is
 * not a literal: it is the chunk's error's.
 */
export class ChunkFailedError extends StrataError {
  override readonly name: string;
  readonly statusCode = 422;
  constructor(
    name: string,
    message: string,
    readonly chunk: number,
  ) {
    super(message);
    this.name = name;
  }
}

/**
 * A file with nothing to version: no bytes, no columns, or columns without a single row when its dataset
 * does not allow empty batches. Quarantined rather than parsed, so that it cannot become an empty current
 * version. Not retryable.
 */
export class EmptyFileError extends StrataError {
  override readonly name = 'EmptyFileError' as const;
  readonly statusCode = 422;
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`empty file: ${reason}`, options);
  }
}

/**
 * A text file's bytes are not valid in the encoding it was read as (detected from its byte-order mark,
 * UTF-8 by default, or set in the dataset config). Decoding with replacement characters would lose data
 * without a trace, so the file is refused instead. `line` (1-based) and `offset` (0-based byte offset in the
 * file) locate the first invalid byte. Not retryable.
 */
export class EncodingError extends StrataError {
  override readonly name = 'EncodingError' as const;
  readonly statusCode = 422;
  constructor(
    readonly reason: string,
    /** The encoding the bytes were read as. */
    readonly encoding: string,
    readonly line: number,
    readonly offset: number,
    options?: { cause?: unknown },
  ) {
    super(`cannot decode file as ${encoding} at line ${line}, byte offset ${offset}: ${reason}`, options);
  }
}

/**
 * A file with more columns than its dataset allows (default 2,000; the dataset config's `maxColumns`).
 * Such a width is nearly always a misread file (a wrong delimiter, binary data), and every column costs
 * memory in every stage. Not retryable.
 */
export class TooManyColumnsError extends StrataError {
  override readonly name = 'TooManyColumnsError' as const;
  readonly statusCode = 422;
  constructor(
    readonly columns: number,
    readonly limit: number,
  ) {
    super(
      `the file has ${columns} columns, more than the ${limit} allowed; ` +
        'raise maxColumns in the dataset config (PUT /datasets/{name}/config) if this is intended',
    );
  }
}

/**
 * A column name longer than its dataset allows (default 256 characters; the dataset config's
 * `maxColumnNameLength`): usually a header that is really data. Not retryable.
 */
export class ColumnNameTooLongError extends StrataError {
  override readonly name = 'ColumnNameTooLongError' as const;
  readonly statusCode = 422;
  constructor(
    /** 0-based position of the column. */
    readonly index: number,
    readonly length: number,
    readonly limit: number,
    preview: string,
  ) {
    super(
      `column ${index + 1} has a name of ${length} characters (${preview}), more than the ${limit} allowed; ` +
        'raise maxColumnNameLength in the dataset config (PUT /datasets/{name}/config) if this is intended',
    );
  }
}

/**
 * A file failed an ERROR check of its dataset's validation suite. Not retryable: the same file fails the
 * same way. The report (with counts and samples) is stored beside the quarantined copy; the message names
 * the failed checks.
 */
export class ValidationFailedError extends StrataError {
  override readonly name = 'ValidationFailedError' as const;
  readonly statusCode = 422;
  constructor(
    message: string,
    /** Names of the failed ERROR checks. */
    readonly failedChecks: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A dependency failed in a way that a retry may fix. Step Functions retries this name with backoff. */
export class TransientError extends StrataError {
  override readonly name = 'TransientError' as const;
  readonly statusCode = 503;
  override readonly retryable = true;
}

/**
 * A pull connector's source refused or failed in a way a retry will not fix: authentication, a missing
 * table, a missing secret, a record array that is not there, or rows without a critical column (the
 * source changed shape). The run fails and the watermark stays where it was.
 */
export class SourceError extends StrataError {
  override readonly name = 'SourceError' as const;
  readonly statusCode = 502;
}

/**
 * The table catalog (Glue Data Catalog) refused a registration in a way a retry will not fix: missing
 * permissions, a limit, an input it does not accept. The Delta table itself is unaffected.
 */
export class CatalogError extends StrataError {
  override readonly name = 'CatalogError' as const;
  readonly statusCode = 502;
}

/** The environment is missing or malformed: a deployment bug, raised at cold start. */
export class ConfigError extends StrataError {
  override readonly name = 'ConfigError' as const;
  readonly statusCode = 500;
}

/** Anything we did not anticipate, wrapped so that its detail stays in the logs. */
export class InternalError extends StrataError {
  override readonly name = 'InternalError' as const;
  readonly statusCode = 500;
}

export function isStrataError(error: unknown): error is StrataError {
  return error instanceof StrataError;
}

/**
 * Another file's version stage holds the dataset's writer lease: this file's turn comes when it is
 * released. Step Functions retries this name on its own schedule (many attempts, short delays), since a
 * burst of files into one dataset queues here for as long as the files before it take.
 */
export class TableBusyError extends StrataError {
  override readonly name = 'TableBusyError' as const;
  readonly statusCode = 409;
  override readonly retryable = true;
}

/** Names the state machine treats as worth retrying. Kept beside the classes so they cannot drift. */
export const RETRYABLE_ERROR_NAMES = ['TransientError'] as const;

/**
 * A Delta table's log cannot be read as the protocol says: an entry that is not JSON or a malformed
 * action, a gap in the versions, a snapshot without protocol or metadata. Not retryable: the same log
 * reads the same way; someone has to look at the table.
 */
export class TableLogCorruptError extends StrataError {
  override readonly name = 'TableLogCorruptError' as const;
  readonly statusCode = 500;
}

/** Why a Delta commit that lost the race cannot be committed on top of the winner. */
export type TableConflictReason =
  | 'ProtocolChanged'
  | 'MetadataChanged'
  | 'ConcurrentAppend'
  | 'ConcurrentDeleteRead'
  | 'ConcurrentDeleteDelete'
  | 'ConcurrentTransaction';

/**
 * A Delta commit lost the race to a commit it does not commute with (a concurrent schema or protocol
 * change, a concurrent removal of files it read or removes). Not retryable as is: the writer has to read
 * the table again and redo its work.
 */
export class TableCommitConflictError extends StrataError {
  override readonly name = 'TableCommitConflictError' as const;
  readonly statusCode = 409;
  constructor(
    readonly reason: TableConflictReason,
    /** The version of the winning commit. */
    readonly winningVersion: number,
    detail: string,
  ) {
    super(`commit conflicts with version ${winningVersion} (${reason}): ${detail}`);
  }
}

/**
 * A Delta table that strata must not write: a protocol above reader 1 / writer 2 (table features it does
 * not implement), or writer-2 duties it cannot honour (column invariants, an append-only table asked to
 * remove data). Not retryable.
 */
export class UnsupportedTableError extends StrataError {
  override readonly name = 'UnsupportedTableError' as const;
  readonly statusCode = 422;
}

/**
 * A file whose columns do not fit its dataset's Delta table (names, Delta types, nullability) under the
 * dataset's schema policy. `differences` lists each one, so the quarantine record says all that is wrong,
 * not just the first thing. Not retryable.
 */
export class SchemaMismatchError extends StrataError {
  override readonly name = 'SchemaMismatchError' as const;
  readonly statusCode = 422;
  readonly differences: string[];

  constructor(message: string, options?: { cause?: unknown; differences?: string[] }) {
    super(message, options);
    this.differences = options?.differences ?? [message];
  }
}

/**
 * A version of a dataset's Delta table whose data files vacuum deleted after the retention grace: its log
 * entry is still there, its files are not, so it can no longer be read (410: it existed, and never comes
 * back). The message names the oldest Delta version still readable.
 */
export class VersionVacuumedError extends StrataError {
  override readonly name = 'VersionVacuumedError' as const;
  readonly statusCode = 410;
  constructor(
    readonly dataset: string,
    /** The dataset version asked for, or undefined when a Delta version was asked for directly. */
    readonly version: number | undefined,
    readonly deltaVersion: number,
    readonly oldestReadableDeltaVersion: number,
    readonly retentionDays: number,
  ) {
    const which =
      version === undefined
        ? `Delta version ${deltaVersion} of dataset "${dataset}"`
        : `version ${version} of dataset "${dataset}" (Delta version ${deltaVersion})`;
    super(
      `${which} is gone: its data files were vacuumed after the retention grace of ${retentionDays} days; ` +
        `the oldest version still readable is Delta version ${oldestReadableDeltaVersion} ` +
        '(a dataset version whose delta_version is at least that, or the table as it is now)',
    );
  }
}

/**
 * A table version with more rows than a synchronous use case reads in one API call (feature registration
 * takes `limit` rows). 422: the request is well formed; a smaller (filtered) dataset version would do.
 */
export class TableTooLargeError extends StrataError {
  override readonly name = 'TableTooLargeError' as const;
  readonly statusCode = 422;
  constructor(
    message: string,
    readonly rows: number,
    readonly limit: number,
  ) {
    super(message);
  }
}

/**
 * A feature version asked for a kind of serving its shape cannot give: online lookup of a version with no
 * entity key, or a point-in-time join of a static table (no timestamp column). 422: the request is well
 * formed and the version exists; `needs` names what the version lacks.
 */
export class FeatureNotServableError extends StrataError {
  override readonly name = 'FeatureNotServableError' as const;
  readonly statusCode = 422;
  constructor(
    message: string,
    readonly feature: string,
    readonly version: string,
    readonly needs: 'entity_key' | 'timestamp_column',
  ) {
    super(message);
  }
}
