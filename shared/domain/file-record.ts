/**
 * The file record: what strata knows about one uploaded object. Pure rules only: identities that make
 * every stage idempotent, and the statuses a file can be in.
 */
import { createHash } from 'node:crypto';
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
  usageHistory?: Array<{ jobId: string; trainingSetId: string; at: string }>;
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
