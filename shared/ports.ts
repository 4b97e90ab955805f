/**
 * What the use cases need from the outside world. Adapters in shared/adapters implement these over
 * the AWS SDK; use cases receive them as `deps`, so the same code runs in Lambda, locally and in tests.
 */
import type { DatasetConfig, DatasetRecord, DatasetSummary } from './domain/dataset.js';
import type { FileRecord, FileStatus, ObjectRef } from './domain/file-record.js';
import type { TrainingSetRecord } from './domain/training-set.js';
import type { VersionRecord } from './domain/version.js';

export interface ObjectInfo {
  size: number;
  eTag: string;
  versionId?: string | undefined;
  lastModified: Date;
  /** User metadata (x-amz-meta-*), keys lower-cased. */
  metadata: Record<string, string>;
}

export interface ObjectStore {
  /** Throws ObjectMissingError when the object (or that version of it) does not exist. */
  stat(ref: ObjectRef): Promise<ObjectInfo>;
  /** Streams the object's bytes; memory does not grow with its size. */
  read(ref: ObjectRef): AsyncIterable<Uint8Array>;
  /** Server-side copy within the bucket; the destination is written only if absent. */
  copy(from: ObjectRef, toKey: string): Promise<void>;
  /** Random access by byte range (Parquet footers and row groups), without reading the rest. */
  openRange(ref: ObjectRef): Promise<ByteRangeSource>;
  /** Streams `body` into the data bucket (multipart), memory bounded by the part size. */
  write(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options?: { contentType?: string },
  ): Promise<{ size: number }>;
  /**
   * Writes a JSON document. With `ifAbsent` the key is only created, never replaced: a ConflictError
   * says a document is already there (immutable records such as training-set manifests).
   */
  putJson(key: string, value: unknown, options?: { ifAbsent?: boolean }): Promise<void>;
  /** A JSON document of the data bucket, or undefined when there is none at that key. */
  getJson(key: string): Promise<unknown | undefined>;
  exists(key: string): Promise<boolean>;
  /** A time-limited GET URL for a key of the data bucket. */
  presignGet(key: string, expiresInSeconds: number, downloadName?: string): Promise<string>;
  /** A time-limited PUT URL that can create `key` (never overwrite it), with the headers to send. */
  presignPut(key: string, options: PresignPutOptions): Promise<PresignedPut>;
  /** The data bucket writes go to. */
  readonly bucket: string;
}

export interface PresignPutOptions {
  expiresInSeconds: number;
  /** Stored as x-amz-meta-*; signed into the URL. */
  metadata?: Record<string, string>;
  contentType?: string;
}

export interface PresignedPut {
  url: string;
  /** Headers the uploader must send with the PUT (they are part of the signature). */
  headers: Record<string, string>;
}

export interface ByteRangeSource {
  size: number;
  /** Bytes [start, end). */
  read(start: number, end: number): Promise<Uint8Array>;
}

export type RegisterOutcome =
  | { outcome: 'registered'; record: FileRecord }
  | { outcome: 'duplicate'; record: FileRecord }
  | { outcome: 'already-registered'; record: FileRecord };

export interface FileFailure {
  tenant: string;
  dataset: string;
  fileId: string;
  bucket: string;
  key: string;
  stage: string;
  errorName: string;
  message: string;
  quarantineKey: string;
  /** The validation report, when the file failed validation. */
  reportKey?: string;
  at: string;
}

export interface MetadataStore {
  /**
   * Records a new file atomically with its content-hash claim and the dataset's counters. A file whose
   * hash the dataset already has is stored as DUPLICATE; a file already recorded is returned as is.
   */
  registerFile(record: FileRecord): Promise<RegisterOutcome>;
  getFile(tenant: string, fileId: string): Promise<FileRecord | undefined>;
  /** Marks a file QUARANTINED with the failing stage and error; creates the record if register never ran. */
  recordFailure(failure: FileFailure): Promise<void>;
  listDatasets(tenant: string, page?: { limit: number; cursor?: string }): Promise<Page<DatasetSummary>>;
  listFiles(tenant: string, query: FileQuery): Promise<Page<FileRecord>>;
}

export interface DatasetStore {
  getDataset(tenant: string, dataset: string): Promise<DatasetRecord | undefined>;
  /** Stores a suite; with `onlyIfAbsent` it leaves an existing one alone and returns false. */
  putValidationSuite(
    tenant: string,
    dataset: string,
    suite: unknown,
    source: 'api' | 'inferred',
    onlyIfAbsent: boolean,
  ): Promise<boolean>;
  putDatasetConfig(tenant: string, dataset: string, config: DatasetConfig): Promise<void>;
  /** Records what a stage learned about a file (stage name plus its summary fields). */
  updateFile(tenant: string, fileId: string, fields: Partial<FileRecord>): Promise<void>;
}

/** What a stage knows before a number is allocated; the store fills in number, status, parent, snapshot key. */
export type VersionDraft = Omit<VersionRecord, 'version' | 'status' | 'parentVersion' | 'snapshotKey'>;

export interface VersionStore {
  /**
   * Allocates the next version number for the file's dataset and records the version (PENDING), the
   * file → version link and the lineage edge in one transaction. Gapless and unique under concurrency;
   * a file that already has a version gets that one back (`created: false`).
   */
  commitVersion(draft: VersionDraft): Promise<{ record: VersionRecord; created: boolean }>;
  /** READY (promoted to current when it is newer than current) or HELD (not promoted). */
  completeVersion(
    tenant: string,
    dataset: string,
    version: number,
    status: 'READY' | 'HELD',
  ): Promise<{ promoted: boolean }>;
  getVersion(tenant: string, dataset: string, version: number): Promise<VersionRecord | undefined>;
  listVersions(
    tenant: string,
    dataset: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<VersionRecord>>;
}

export interface FileQuery {
  status?: FileStatus | undefined;
  dataset?: string | undefined;
  dataType?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface TrainingSetStore {
  /** Records a training set once; the id is new, so a conflict is a bug, not a race. */
  putTrainingSet(record: TrainingSetRecord): Promise<void>;
  getTrainingSet(tenant: string, id: string): Promise<TrainingSetRecord | undefined>;
}

export interface ApiKeyRecord {
  tenant: string;
  name: string;
  createdAt: string;
}

export interface ApiKeyStore {
  /** Keys are stored only as their SHA-256: a table dump does not leak usable keys. */
  putApiKey(keyHash: string, record: ApiKeyRecord): Promise<void>;
  getApiKey(keyHash: string): Promise<ApiKeyRecord | undefined>;
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  cursor?: string | undefined;
}

export interface StartedExecution {
  executionArn: string;
  /** False when the execution for this name already existed (a duplicate event). */
  started: boolean;
}

export interface Orchestrator {
  startIngestion(name: string, input: unknown): Promise<StartedExecution>;
}

export interface Clock {
  now(): Date;
}

/** The part of Powertools' Logger that use cases use, so tests can pass any structured logger. */
export type LogAttributes = Record<string, unknown>;
export interface Logger {
  debug(message: string, ...extra: LogAttributes[]): void;
  info(message: string, ...extra: LogAttributes[]): void;
  warn(message: string, ...extra: LogAttributes[]): void;
  error(message: string, ...extra: LogAttributes[]): void;
}

/** Business metrics (records read, bytes, …); in Lambda, CloudWatch EMF through Powertools. */
export interface MetricsRecorder {
  add(name: string, unit: 'Count' | 'Bytes' | 'Milliseconds' | 'Percent', value: number): void;
}

export const systemClock: Clock = { now: () => new Date() };
