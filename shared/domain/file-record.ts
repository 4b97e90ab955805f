/**
 * The file record: what strata knows about one uploaded object. Pure rules only: identities that make
 * every stage idempotent, and the statuses a file can be in.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError, MetadataTooLargeError } from '../errors.js';
import type { DataType, FileFormat } from './object-key.js';
import type { ColumnRename } from './parse/csv.js';
import type { DetectedEncoding } from './parse/encoding.js';

/** Where a file is in its life. QUARANTINED and DUPLICATE are terminal for the pipeline. */
export const FILE_STATUSES = ['FRESH', 'USED', 'ARCHIVED', 'DEPRECATED', 'QUARANTINED', 'DUPLICATE'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

/** The pipeline stages, in order. A record's `stage` is the last one that completed (or failed). */
export const PIPELINE_STAGES = [
  'register',
  'parse',
  'validate',
  'profile',
  'quality',
  'drift',
  'version',
] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

export interface FileRecord {
  fileId: string;
  tenant: string;
  dataset: string;
  bucket: string;
  key: string;
  /** S3 object version (versioned bucket) or, failing that, the ETag: one upload, one identity. */
  objectVersion: string;
  fileName: string;
  sha256: string;
  size: number;
  format: FileFormat;
  dataType: DataType;
  status: FileStatus;
  stage: PipelineStage;
  /** The earlier file of the same dataset with the same content, when status is DUPLICATE. */
  duplicateOf?: string;
  /** What the file says it came from (object metadata): becomes lineage edges of its version. */
  links?: FileLinks;
  /**
   * What the uploader said about the file: the object's user metadata (x-amz-meta-*) without the keys
   * strata reads itself (see `isReservedMetadataKey`), within `USER_METADATA_LIMITS`.
   */
  metadata?: Record<string, string>;
  /**
   * The object carried more user metadata than a record keeps (possible only for objects not uploaded
   * through an upload URL, which refuses it): the record holds the first keys in key order that fit, and the
   * object itself still has all of them.
   */
  metadataTruncated?: boolean;
  uploadedAt: string;
  registeredAt: string;
  failure?: { stage: string; errorName: string; message: string; at: string; reportKey?: string };
  /** Failures of earlier runs, kept when a retried run re-admitted the QUARANTINED file (domain/run.ts). */
  previousFailures?: Array<NonNullable<FileRecord['failure']>>;
  readmittedAt?: string;
  /** Filled in by the stages as the file moves through the pipeline. */
  parse?: {
    stagedKey: string;
    rowCount: number;
    columns: number;
    recordsFailed: number;
    durationMs: number;
    /** Text formats: what the bytes were decoded as. */
    encoding?: DetectedEncoding;
    /** Header names the parser changed (the first 100 of them), when it changed any. */
    renamedColumns?: ColumnRename[];
    /** How many names it changed in all. */
    renamedColumnCount?: number;
  };
  validation?: { status: string; reportKey: string; errors: number; warnings: number };
  profileKey?: string;
  quality?: { status: string; score: number; reportKey: string };
  drift?: { status: string; severity: string; referenceVersion?: number | undefined; reportKey: string };
  /** The dataset version this file produced. */
  version?: number;
  /** Lifecycle (see domain/lifecycle): how often and by which jobs the file was used for training. */
  usageCount?: number;
  usageHistory?: Array<{ jobId: string; trainingSetId?: string; at: string }>;
  trainingJobs?: string[];
  lastUsedAt?: string;
  stateHistory?: Array<{ from: FileStatus; to: FileStatus; at: string; reason: string; jobId?: string }>;
  /**
   * The S3 version now at `key`, once a lifecycle move has put the file there (`objectVersion` stays the
   * identity of the upload, which the file id is derived from).
   */
  keyVersion?: string;
  deprecatedAt?: string;
  /** Set when a DEPRECATED file's object was deleted after its grace period (the record stays). */
  deletedAt?: string;
}

/**
 * Whether the pipeline still owes the file an outcome: a FRESH record whose last completed stage is not
 * `version`. The version stage marks the record last, after the version is READY or HELD (a record can
 * carry its version number while the version is still PENDING); duplicates and quarantined files are
 * done, and the lifecycle statuses come after a version.
 */
export function pipelineUnfinished(record: Pick<FileRecord, 'status' | 'stage'>): boolean {
  return record.status === 'FRESH' && record.stage !== 'version';
}

/** The object an S3 event names, exactly: a re-upload to the same key is a different object. */
export interface ObjectRef {
  bucket: string;
  key: string;
  versionId?: string | undefined;
  eTag?: string | undefined;
}

function objectVersionOf(ref: ObjectRef): string {
  return ref.versionId ?? ref.eTag?.replace(/"/g, '') ?? 'unversioned';
}

function digest(parts: readonly string[]): string {
  // NUL cannot appear in S3 keys or version ids, so the join is unambiguous.
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

/**
 * A file id derived from the object identity, not random: every duplicate delivery of the same
 * S3 event, and every retry of a stage, addresses the same record.
 *
 * The identity includes the S3 version id (on the unversioned bucket of a bare test setup, the ETag),
 * which S3 assigns when the PUT lands, so an upload URL cannot name the id in advance: its answer names
 * the bucket and key, and the uploader applies this same function to the PUT's answer (`x-amz-version-id`,
 * `ETag`), as `fileIdOfUpload` does. An id fixed before the upload (say, a nonce signed into the object's
 * metadata) was weighed and refused: the trigger, the sweeper, the run recorder and quarantine all derive
 * the id from the event's object alone, without reading the object, and a presigned URL used again after
 * its key was freed (a lifecycle move) would give a second object the first one's id. With the version,
 * the same object version always has the same id and two uploads to one key never share one.
 */
export function fileIdFor(ref: ObjectRef): string {
  return `f_${digest([ref.bucket, ref.key, objectVersionOf(ref)]).slice(0, 32)}`;
}

/**
 * A Step Functions execution name for one object. Names are unique per state machine for 90 days,
 * so a second start for the same object is refused by the service itself: at-least-once S3 events
 * become exactly one execution. Names allow at most 80 characters of [A-Za-z0-9_-].
 */
export function executionNameFor(ref: ObjectRef): string {
  return `ingest-${digest([ref.bucket, ref.key, objectVersionOf(ref)]).slice(0, 64)}`;
}

export function objectVersion(ref: ObjectRef): string {
  return objectVersionOf(ref);
}

/**
 * The file id and run id of an upload, from the upload URL's answer (`bucket`, `key`) and the headers of
 * the PUT's answer: `x-amz-version-id` (the data bucket is versioned) and `ETag`. Pure, for clients: the
 * id is known as soon as the PUT answers, before the pipeline has registered the file.
 */
export function fileIdOfUpload(
  upload: { bucket: string; key: string },
  put: { versionId?: string | null | undefined; eTag?: string | null | undefined },
): { fileId: string; runId: string } {
  const ref: ObjectRef = {
    bucket: upload.bucket,
    key: upload.key,
    versionId: put.versionId ?? undefined,
    eTag: put.eTag ?? undefined,
  };
  return { fileId: fileIdFor(ref), runId: executionNameFor(ref) };
}

// ---- user metadata ----------------------------------------------------------------------------------

/**
 * What a file record keeps of an uploader's metadata. S3 allows 2 KB of user metadata per object; these
 * bounds leave room in it for the keys strata sets itself, and keep a file item (and every page of
 * `GET /files`) small.
 */
export const USER_METADATA_LIMITS = {
  maxKeys: 20,
  maxValueLength: 512,
  /** UTF-8 bytes of every key and value together, as S3 counts its 2 KB. */
  maxBytes: 1024,
} as const;

/** S3 lower-cases metadata keys; ours are a safe subset of what it takes. */
export const USER_METADATA_KEY = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** Metadata travels as HTTP headers: printable ASCII only, so a value reads back as it was sent. */
export const USER_METADATA_VALUE = /^[\x20-\x7e]*$/;

/** Keys strata itself sets and reads: `data-type`, `format`, and every `strata-*` (links, connectors). */
const RESERVED_METADATA_KEYS: ReadonlySet<string> = new Set(['data-type', 'format']);
const RESERVED_METADATA_PREFIX = 'strata-';

export function isReservedMetadataKey(key: string): boolean {
  return RESERVED_METADATA_KEYS.has(key) || key.startsWith(RESERVED_METADATA_PREFIX);
}

function metadataBytes(entries: ReadonlyArray<readonly [string, string]>): number {
  return entries.reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

/**
 * Checks the metadata an upload asks to carry, before anything is signed or written: user keys within
 * `USER_METADATA_LIMITS` (else MetadataTooLargeError), and no key strata reserves, except the link keys
 * (`strata-model`, `strata-input`) by which an upload declares its lineage. `data-type` and `format` have
 * their own request fields. `where` prefixes messages (`files[2]: `).
 */
export function checkUploadMetadata(metadata: Readonly<Record<string, string>>, where = ''): void {
  const links = new Set<string>(Object.values(LINK_METADATA));
  const user: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (!USER_METADATA_KEY.test(key) && !links.has(key)) {
      throw new InvalidInputError(`${where}metadata key "${key}" must match ${USER_METADATA_KEY.source}`);
    }
    if (!USER_METADATA_VALUE.test(value)) {
      throw new InvalidInputError(`${where}metadata "${key}": values are printable ASCII`);
    }
    if (links.has(key)) continue;
    if (isReservedMetadataKey(key)) {
      throw new InvalidInputError(
        `${where}metadata key "${key}" is reserved by strata (data-type, format, strata-*); ` +
          'use the request fields dataType and format',
      );
    }
    if (value.length > USER_METADATA_LIMITS.maxValueLength) {
      throw new MetadataTooLargeError(
        `${where}metadata "${key}" has ${value.length} characters, over ${USER_METADATA_LIMITS.maxValueLength}`,
        'valueLength',
        USER_METADATA_LIMITS.maxValueLength,
      );
    }
    user.push([key, value]);
  }
  if (user.length > USER_METADATA_LIMITS.maxKeys) {
    throw new MetadataTooLargeError(
      `${where}metadata has ${user.length} keys, over ${USER_METADATA_LIMITS.maxKeys}`,
      'keys',
      USER_METADATA_LIMITS.maxKeys,
    );
  }
  const bytes = metadataBytes(user);
  if (bytes > USER_METADATA_LIMITS.maxBytes) {
    throw new MetadataTooLargeError(
      `${where}metadata keys and values take ${bytes} bytes, over ${USER_METADATA_LIMITS.maxBytes}`,
      'bytes',
      USER_METADATA_LIMITS.maxBytes,
    );
  }
}

/**
 * The user metadata a file record keeps from its object's metadata: every key strata does not reserve,
 * in key order, as long as it fits `USER_METADATA_LIMITS`. An upload URL refuses more than that, but an
 * object put by other means (an S3 copy, another tool) may carry anything S3 takes: what does not fit
 * (or has a key or value the record cannot hold) is left out and `truncated` says so.
 */
export function userMetadataOf(objectMetadata: Readonly<Record<string, string>>): {
  metadata?: Record<string, string>;
  truncated: boolean;
} {
  const kept: Array<[string, string]> = [];
  let truncated = false;
  let bytes = 0;
  const candidates = Object.entries(objectMetadata)
    .filter(([key]) => !isReservedMetadataKey(key))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, value] of candidates) {
    const size = Buffer.byteLength(key) + Buffer.byteLength(value);
    const fits =
      USER_METADATA_KEY.test(key) &&
      USER_METADATA_VALUE.test(value) &&
      value.length <= USER_METADATA_LIMITS.maxValueLength &&
      kept.length < USER_METADATA_LIMITS.maxKeys &&
      bytes + size <= USER_METADATA_LIMITS.maxBytes;
    if (!fits) {
      truncated = true;
      continue;
    }
    kept.push([key, value]);
    bytes += size;
  }
  return { ...(kept.length > 0 && { metadata: Object.fromEntries(kept) }), truncated };
}

/**
 * `GET /files?metadata=source:crm,region:eu`: `key:value` pairs (the value is everything after the first
 * colon, matched exactly), comma-separated; API Gateway joins a repeated parameter with commas, so
 * `metadata=source:crm&metadata=region:eu` is the same filter. A segment that does not start with
 * `<key>:` continues the previous value, so a value may hold commas unless what follows one looks like a
 * key and a colon. Every pair must match.
 */
export function parseMetadataFilter(text: string): Record<string, string> {
  const filter: Record<string, string> = {};
  let last: string | undefined;
  for (const segment of text.split(',')) {
    const colon = segment.indexOf(':');
    const key = colon > 0 ? segment.slice(0, colon) : '';
    if (USER_METADATA_KEY.test(key)) {
      if (key in filter) throw new InvalidInputError(`metadata filter names "${key}" twice`);
      filter[key] = segment.slice(colon + 1);
      last = key;
    } else if (last !== undefined) {
      filter[last] = `${filter[last]},${segment}`;
    } else {
      throw new InvalidInputError(`metadata filter "${text}": expected key:value[,key:value…]`);
    }
  }
  const pairs = Object.keys(filter).length;
  if (pairs > USER_METADATA_LIMITS.maxKeys) {
    throw new InvalidInputError(`metadata filter has ${pairs} pairs, over ${USER_METADATA_LIMITS.maxKeys}`);
  }
  return filter;
}

/** Lineage a file declares about itself: the model that scored it, the dataset version it scored. */
export interface FileLinks {
  model?: { name: string; version: string } | undefined;
  input?: { dataset: string; version: number } | undefined;
}

/** Object metadata keys (x-amz-meta-*) that declare links: `strata-model: name@1.2.0`, `strata-input: dataset@v3`. */
export const LINK_METADATA = { model: 'strata-model', input: 'strata-input' } as const;

/**
 * Links from object metadata. A malformed value is ignored rather than failing the file: metadata is
 * free text any uploader can set, and a bad link must not block the data.
 */
export function linksFromMetadata(metadata: Readonly<Record<string, string>>): FileLinks | undefined {
  const model = /^([a-z0-9][a-z0-9_.-]{0,62})@(\d{1,6}\.\d{1,6}\.\d{1,6})$/.exec(
    metadata[LINK_METADATA.model] ?? '',
  );
  const input = /^([a-z0-9][a-z0-9_-]{0,62})@v([1-9]\d{0,9})$/.exec(metadata[LINK_METADATA.input] ?? '');
  const links: FileLinks = {
    ...(model && { model: { name: model[1] as string, version: model[2] as string } }),
    ...(input && { input: { dataset: input[1] as string, version: Number(input[2]) } }),
  };
  return links.model || links.input ? links : undefined;
}
