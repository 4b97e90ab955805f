/**
 * What the use cases need from the outside world. Adapters in shared/adapters implement these over
 * the AWS SDK; use cases receive them as `deps`, so the same code runs in Lambda, locally and in tests.
 */
import type {
  ConnectorLease,
  ConnectorRecord,
  ConnectorRunRecord,
  ConnectorRunSummary,
  ConnectorSettings,
  PendingWrite,
  WatermarkState,
} from './domain/connector-runs.js';
import type {
  DatabaseConnectorConfig,
  RestConnectorConfig,
  S3ConnectorConfig,
  Watermark,
} from './domain/connectors.js';
import type { DatasetConfig, DatasetRecord, DatasetSummary, DriftSettings } from './domain/dataset.js';
import type { FeatureVersionRecord } from './domain/feature-store.js';
import type { FileRecord, FileStatus, ObjectRef } from './domain/file-record.js';
import type { ConsumptionResult, MoveMarker, RetentionPolicy } from './domain/lifecycle.js';
import type { LineageEdge } from './domain/lineage.js';
import type { RunEvent } from './domain/openlineage.js';
import type { ExecutionDescription, RunEnd, RunRecord, RunStatus, StageAttempt } from './domain/run.js';
import type { SourceColumn } from './domain/source-records.js';
import type { FileFacts } from './domain/statistics.js';
import type { CellValue } from './domain/table.js';
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
  /**
   * Writes a small object in one request, with user metadata. With `ifAbsent` an existing key is left
   * alone and reported (`created: false`) instead of replaced.
   */
  put(
    key: string,
    body: Uint8Array,
    options?: { contentType?: string; metadata?: Record<string, string>; ifAbsent?: boolean },
  ): Promise<{ created: boolean; versionId?: string | undefined }>;
  /** A JSON document of the data bucket, or undefined when there is none at that key. */
  getJson(key: string): Promise<unknown | undefined>;
  exists(key: string): Promise<boolean>;
  /**
   * Removes the current version of `key` of the data bucket. On the versioned data bucket this adds a
   * delete marker: earlier versions stay until the noncurrent-version lifecycle rule expires them.
   */
  delete(key: string): Promise<void>;
  /** A time-limited GET URL for a key of the data bucket. */
  presignGet(key: string, expiresInSeconds: number, downloadName?: string): Promise<string>;
  /** A time-limited PUT URL that can create `key` (never overwrite it), with the headers to send. */
  presignPut(key: string, options: PresignPutOptions): Promise<PresignedPut>;
  /** The data bucket writes go to. */
  readonly bucket: string;
}

/**
 * Create-only writes into one prefix of the data bucket, for a function that may not read objects (the
 * connector pull: it must never be able to read what other tenants dropped). Nothing is ever replaced.
 */
export interface DropBox {
  /** Creates `key` unless it exists (`created: false`, the stored object untouched). */
  put(
    key: string,
    body: Uint8Array,
    options?: { contentType?: string; metadata?: Record<string, string> },
  ): Promise<{ created: boolean }>;
  /** Streams `body` into `key` unless it exists; memory bounded by the part size. */
  write(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options?: { contentType?: string },
  ): Promise<{ created: boolean; size: number }>;
  /** Whether `key` exists, told by listing (no read permission needed). */
  exists(key: string): Promise<boolean>;
}

export interface PresignPutOptions {
  expiresInSeconds: number;
  /** The body's exact length, signed: S3 refuses a PUT of any other length. */
  contentLength: number;
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
   * hash another file of the dataset holds is stored as DUPLICATE of it; a file already recorded is
   * returned as is. A claim held by a file that no longer stands for the content (QUARANTINED, object
   * deleted) is taken over instead.
   */
  registerFile(record: FileRecord): Promise<RegisterOutcome>;
  getFile(tenant: string, fileId: string): Promise<FileRecord | undefined>;
  /**
   * Marks a file QUARANTINED with the failing stage and error; creates the record if register never ran.
   * Releases the file's content-hash claim in the same transaction (only its own; repeating is harmless).
   */
  recordFailure(failure: FileFailure): Promise<void>;
  /**
   * A retried run re-admits a QUARANTINED file that register had recorded: back to FRESH with its content
   * hash claimed again, its failure appended to `previousFailures`; or, when another file of the same
   * content holds the claim now, DUPLICATE of that file. Undefined when the file is not such a file (any
   * more).
   */
  readmitFile(record: FileRecord, at: string): Promise<FileRecord | undefined>;
  /**
   * Removes the record a failure left for a file register never recorded (QUARANTINED, no content hash),
   * so that registering it again records it whole. False when there was no such record.
   */
  discardUnregisteredFile(tenant: string, fileId: string): Promise<boolean>;
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
  putDriftSettings(tenant: string, dataset: string, settings: DriftSettings): Promise<void>;
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
  /**
   * READY (promoted to current when it is newer than current) or HELD (not promoted) with the gates'
   * reasons. Repeating it is harmless; a version a person already promoted stays promoted.
   */
  completeVersion(
    tenant: string,
    dataset: string,
    version: number,
    status: 'READY' | 'HELD',
    hold?: VersionRecord['hold'],
  ): Promise<{ promoted: boolean }>;
  /**
   * A person's decision: the version (READY or HELD) becomes READY and the dataset's current version,
   * with the reason recorded. Throws NotFoundError for a missing or PENDING version.
   */
  promoteVersion(
    tenant: string,
    dataset: string,
    version: number,
    promotion: { reason: string; at: string },
  ): Promise<VersionRecord>;
  getVersion(tenant: string, dataset: string, version: number): Promise<VersionRecord | undefined>;
  listVersions(
    tenant: string,
    dataset: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<VersionRecord>>;
  /**
   * Sets a complete version's tags and description, its only mutable metadata, and keeps the tag index
   * in step in the same transaction. `update` computes them from the stored record and is called again
   * when another writer changed the tags meanwhile (`description: null` removes it). Throws NotFoundError
   * for a missing or PENDING version.
   */
  updateVersionMetadata(
    tenant: string,
    dataset: string,
    version: number,
    update: (current: VersionRecord) => { tags: string[]; description?: string | null | undefined },
  ): Promise<VersionRecord>;
  /** The versions carrying `tag`, newest first, paginated like `listVersions`. */
  listVersionsByTag(
    tenant: string,
    dataset: string,
    tag: string,
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
  /**
   * Records a training set once (the id is new, so a conflict is a bug, not a race) with its lineage
   * edges: in one transaction when they fit (≤ 99), else the overflow edges first, so a visible training
   * set always has all its lineage.
   */
  putTrainingSet(record: TrainingSetRecord, edges?: readonly LineageEdge[]): Promise<void>;
  getTrainingSet(tenant: string, id: string): Promise<TrainingSetRecord | undefined>;
}

export type UsageOutcome =
  /** This call recorded the job's use (once per file and job, whoever calls). */
  | { outcome: 'counted'; record: FileRecord }
  /** The job was already recorded for the file. */
  | { outcome: 'already-counted'; record: FileRecord }
  /** The file is in a status that is not served for training (deprecated, quarantined, duplicate). */
  | { outcome: 'not-consumable'; record: FileRecord }
  | { outcome: 'missing' };

export type BeginMoveOutcome =
  | { outcome: 'started' }
  /** Another move of the file is under way (or was interrupted): finish that one first. */
  | { outcome: 'in-progress'; marker: MoveMarker }
  /** The record is no longer at the move's source (status or key changed): nothing to move. */
  | { outcome: 'record-changed' }
  /** Another file has claimed the destination key: move to the fallback key instead. */
  | { outcome: 'key-taken' };

export interface CompleteMoveOutcome {
  /** `updated` by this call, `already-done` by an earlier one, or `conflict`: the record went elsewhere. */
  outcome: 'updated' | 'already-done' | 'conflict';
  record: FileRecord | undefined;
}

export interface StoredRetentionPolicy {
  tenant: string;
  policy: RetentionPolicy;
  updatedAt: string;
}

export interface ConsumptionClaim {
  tenant: string;
  trainingSetId: string;
  jobId: string;
  startedAt: string;
  /** Set once the consumption completed; a repeated call returns it. */
  result?: ConsumptionResult | undefined;
}

export interface FileFilter {
  /** ISO instant: only files uploaded strictly before it (a key range of the status index). */
  uploadedBefore?: string | undefined;
  minUsage?: number | undefined;
  notDeleted?: boolean | undefined;
}

/** The lifecycle's view of the metadata table: use counts, move markers, policies, consumption claims. */
export interface LifecycleStore {
  /** Strongly consistent: move decisions must not act on a stale status. */
  getFileConsistent(tenant: string, fileId: string): Promise<FileRecord | undefined>;
  /** Adds one use by the job unless that job is already recorded for the file (atomic, one request). */
  recordUsage(
    tenant: string,
    fileId: string,
    usage: { jobId: string; trainingSetId: string; at: string },
  ): Promise<UsageOutcome>;
  /**
   * Writes the marker (owned by its `leaseOwner`) if the file has none, its record is still at the
   * marker's source and no other file has claimed the destination key; claims the key for the file.
   */
  beginMove(marker: MoveMarker): Promise<BeginMoveOutcome>;
  getMove(tenant: string, fileId: string): Promise<MoveMarker | undefined>;
  /** Takes over a move whose lease ran out (or was released); undefined while another owner holds it. */
  takeMove(marker: MoveMarker, owner: string, until: string, now: string): Promise<MoveMarker | undefined>;
  /** Gives the lease up at once (the owner failed); the next worker may take the move over. */
  releaseMove(marker: MoveMarker): Promise<void>;
  /** Points the marker at the fallback destination (only while the caller still owns the move). */
  redirectMove(marker: MoveMarker, toKey: string): Promise<MoveMarker>;
  /** Status, key, key version, status index and history in one conditional update. */
  completeMove(marker: MoveMarker, keyVersion: string, at: string): Promise<CompleteMoveOutcome>;
  /** Removes the marker if it is still this move. */
  clearMove(marker: MoveMarker): Promise<void>;
  /** Pending markers of one tenant, or of every tenant. */
  listMoves(tenant?: string): AsyncIterable<MoveMarker>;
  /** USED/ARCHIVED → DEPRECATED (record only), refused while a move of the file is pending. */
  deprecateFile(
    tenant: string,
    fileId: string,
    from: FileStatus,
    at: string,
    reason: string,
  ): Promise<boolean>;
  /**
   * Records that a DEPRECATED file's object was deleted (once), releasing its content-hash claim in the
   * same transaction (only its own), so the same bytes uploaded again are a new file.
   */
  markDeleted(
    file: Pick<FileRecord, 'tenant' | 'fileId' | 'dataset' | 'sha256'>,
    at: string,
  ): Promise<boolean>;
  filesInStatus(tenant: string, status: FileStatus, filter?: FileFilter): AsyncIterable<FileRecord>;
  /** The few attributes statistics need, for every file of the tenant. */
  fileFacts(tenant: string): AsyncIterable<FileFacts>;
  getRetentionPolicy(tenant: string): Promise<StoredRetentionPolicy | undefined>;
  putRetentionPolicy(stored: StoredRetentionPolicy): Promise<void>;
  listRetentionPolicies(): AsyncIterable<StoredRetentionPolicy>;
  /** The claim of a (training set, job), created by the first call. */
  claimConsumption(
    tenant: string,
    trainingSetId: string,
    jobId: string,
    at: string,
  ): Promise<ConsumptionClaim>;
  /** Stores the result unless one is stored already; returns the stored one (first writer wins). */
  completeConsumption(claim: ConsumptionClaim, result: ConsumptionResult): Promise<ConsumptionResult>;
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

/** The current version of an object, as a listing gives it. */
export interface ListedObject {
  key: string;
  /** Absent on an unversioned bucket (S3 lists those as "null"; events carry none). */
  versionId?: string | undefined;
  eTag: string;
  size: number;
  lastModified: Date;
}

/** Lists the current objects under a prefix of the data bucket, in key order, page by page. */
export interface ObjectLister {
  readonly bucket: string;
  listCurrent(prefix: string): AsyncIterable<ListedObject>;
}

export interface Orchestrator {
  startIngestion(name: string, input: unknown): Promise<StartedExecution>;
  /** Status, stop and error of an execution of the state machine (never its data); undefined if none. */
  describeExecution(executionArn: string): Promise<ExecutionDescription | undefined>;
}

/** What opens a run: facts of its execution, written by whoever sees the run first and never changed. */
export interface RunStart {
  runId: string;
  executionArn: string;
  tenant: string;
  dataset: string;
  fileId: string;
  object: ObjectRef;
  startedAt: string;
  retryOf?: string | undefined;
}

export interface RunQuery {
  status?: RunStatus | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Pipeline runs (domain/run.ts): one per execution, with an item per stage attempt; every write idempotent. */
export interface RunStore {
  /** Creates the run (RUNNING) unless it exists, and marks the stage it is in. */
  openRun(run: RunStart, at: string, currentStage?: string): Promise<void>;
  /** Records an attempt as RUNNING, once per (run, stage, attempt). */
  startAttempt(tenant: string, runId: string, attempt: StageAttempt): Promise<void>;
  /** Ends a RUNNING attempt; false when it had ended already (or never started). */
  endAttempt(
    tenant: string,
    runId: string,
    end: Pick<StageAttempt, 'stage' | 'attempt' | 'status' | 'endedAt' | 'durationMs' | 'error'>,
  ): Promise<boolean>;
  /** Ends a RUNNING run (and moves it in the status index); false when it had ended already. */
  endRun(
    tenant: string,
    dataset: string,
    runId: string,
    end: RunEnd & { endedAt: string; durationMs?: number | undefined },
  ): Promise<boolean>;
  getRun(tenant: string, runId: string): Promise<{ run: RunRecord; attempts: StageAttempt[] } | undefined>;
  /** A dataset's runs, newest first by start, all or in one status. */
  listRuns(tenant: string, dataset: string, query: RunQuery): Promise<Page<RunRecord>>;
  /**
   * Names the retry of a FAILED run, once: the first caller claims it, later ones learn the name already
   * claimed (`already-retried`); `not-failed` when the run is missing or not FAILED.
   */
  claimRetry(
    tenant: string,
    runId: string,
    retryRunId: string,
    at: string,
  ): Promise<{ outcome: 'claimed' | 'already-retried'; retriedBy: string } | { outcome: 'not-failed' }>;
}

/** Which run an OpenLineage event belongs to: what an archive files it under. */
export interface LineageEventTarget {
  tenant: string;
  runId: string;
  /** The run's start: archives date a run's events by it. */
  runStartedAt: string;
}

/** Where OpenLineage run events go (S3 `lineage/`, an HTTP endpoint such as Marquez). */
export interface LineageEventSink {
  /** For logs: which sink failed. */
  readonly name: string;
  /** Delivers one event; emitting the same event again is harmless (a retried stage does). */
  emit(event: RunEvent, target: LineageEventTarget): Promise<void>;
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

/** The feature registry: immutable feature versions, newest by semantic version. */
export interface FeatureRegistry {
  /**
   * Records a version once. A second registration of the same name and version returns the stored one
   * (`created: false`); the caller compares content hashes to tell a retry from a conflict.
   */
  putFeatureVersion(
    record: FeatureVersionRecord,
    /** In the record's transaction when they fit (≤ 99), else the overflow edges first. */
    edges?: readonly LineageEdge[],
  ): Promise<{ created: boolean; record: FeatureVersionRecord }>;
  getFeatureVersion(tenant: string, name: string, version: string): Promise<FeatureVersionRecord | undefined>;
  /** The highest version by semver order. */
  latestFeatureVersion(tenant: string, name: string): Promise<FeatureVersionRecord | undefined>;
  listFeatureVersions(
    tenant: string,
    name: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<FeatureVersionRecord>>;
}

export interface OnlineFeatureItem {
  entityKey: string;
  eventTime: number;
  values: Record<string, CellValue>;
}

/**
 * The online values of one content of a feature version. Two registrations of one version with different
 * content each write their own set; the registry's record names the one that won.
 */
export interface OnlineFeatureSet {
  tenant: string;
  name: string;
  version: string;
  /**
   * The content hash of the registration that wrote the set. Undefined only to read a version registered
   * before sets were told apart by content (its values sit under the version alone).
   */
  contentHash: string | undefined;
}

/** Latest feature values per entity key, one set per feature version's content, for low-latency lookups. */
export interface OnlineFeatureStore {
  /** Idempotent: writing the same rows again leaves the same items; another content's set is untouched. */
  materialize(set: OnlineFeatureSet, rows: readonly OnlineFeatureItem[]): Promise<void>;
  /** Up to 100 keys per call; missing entities are absent from the map. Reads only the named set. */
  lookup(set: OnlineFeatureSet, entityKeys: readonly string[]): Promise<Map<string, OnlineFeatureItem>>;
  /** Deletes a set's items (of a content that lost its version to another); repeating it is harmless. */
  discard(set: OnlineFeatureSet, entityKeys: readonly string[]): Promise<void>;
}

/** The lineage table: edges by their source (outgoing) and by their target (incoming, through gsi1). */
export interface LineageStore {
  /** Idempotent: an edge is keyed by (from, type, to). */
  putEdges(tenant: string, edges: readonly LineageEdge[], at: string): Promise<void>;
  outgoing(node: string): Promise<LineageEdge[]>;
  incoming(node: string): Promise<LineageEdge[]>;
}

export interface ModelLink {
  kind: 'dataset_version' | 'training_set' | 'feature_version';
  /** The lineage node linked as the model version's input. */
  node: string;
  at: string;
}

export interface ModelVersionRecord {
  tenant: string;
  model: string;
  version: string;
  createdAt: string;
  links: ModelLink[];
}

export interface ModelStore {
  /**
   * Adds a link to the model version (creating its record on first use) and the `trained_on` edge, in one
   * transaction; linking the same input again changes nothing.
   */
  linkModelVersion(
    tenant: string,
    model: string,
    version: string,
    link: ModelLink,
  ): Promise<ModelVersionRecord>;
  getModelVersion(tenant: string, model: string, version: string): Promise<ModelVersionRecord | undefined>;
}

// ---------------------------------------------------------------- pull connectors

/**
 * Connector settings and state, one item per (tenant, dataset), with the dataset's run records beside it.
 * Every state change after the lease is conditional on the caller's run holding it, so a run that lost its
 * lease (it outlived it, or the connector was deleted) can never move a watermark.
 */
export interface ConnectorStore {
  /**
   * Creates or replaces the settings; keeps the state unless `resetWatermark`. `existing` is the record as
   * the caller just read it (undefined: none), which saves reading it again.
   */
  putConnector(
    tenant: string,
    dataset: string,
    settings: ConnectorSettings,
    options: { at: string; resetWatermark: boolean; existing?: ConnectorRecord | undefined },
  ): Promise<ConnectorRecord>;
  getConnector(tenant: string, dataset: string): Promise<ConnectorRecord | undefined>;
  /** False when there was none. */
  deleteConnector(tenant: string, dataset: string): Promise<boolean>;
  /** Enabled connectors whose next run is due at `now`, oldest due first, across tenants. */
  listDue(now: string, limit: number): Promise<Array<{ tenant: string; dataset: string; nextRunAt: string }>>;
  /**
   * Takes the lease for a new run unless a live run holds it: the record as leased, or undefined (taken).
   * `dueAt` (the scheduler) additionally requires the run to still be due at that time, so two scheduler
   * ticks that saw the same due connector start one run.
   */
  acquireLease(
    tenant: string,
    dataset: string,
    lease: ConnectorLease,
    now: string,
    dueAt?: string,
  ): Promise<ConnectorRecord | undefined>;
  /** Records the batch about to be written, and extends the lease. ConflictError: the lease is gone. */
  setPending(tenant: string, dataset: string, pending: PendingWrite, leaseUntil: string): Promise<void>;
  /**
   * Stores the watermark of a written batch and clears `pending` (both only if `pending` is that batch's).
   * ConflictError: the lease is gone.
   */
  commitWatermark(
    tenant: string,
    dataset: string,
    runId: string,
    watermark: WatermarkState | undefined,
    leaseUntil: string,
  ): Promise<void>;
  /** Drops a `pending` whose files were never written. */
  clearPending(tenant: string, dataset: string, runId: string): Promise<void>;
  /** Releases the lease and schedules the next run; no-op (false) when the lease is not this run's. */
  finishRun(
    tenant: string,
    dataset: string,
    runId: string,
    outcome: { nextRunAt: string; consecutiveFailures: number; lastRun: ConnectorRunSummary },
  ): Promise<boolean>;
  putRun(run: ConnectorRunRecord): Promise<void>;
  getRun(tenant: string, dataset: string, runId: string): Promise<ConnectorRunRecord | undefined>;
  /** Newest first. */
  listRuns(
    tenant: string,
    dataset: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<ConnectorRunRecord>>;
}

/** Secrets by name, scoped to a tenant (Secrets Manager in AWS; environment variables locally). */
export interface SecretStore {
  /** The secret's string value; SourceError when there is none (the message names it, never a value). */
  getSecret(tenant: string, name: string): Promise<string>;
}

/** Starts another of our functions without waiting for it (Lambda's asynchronous invocation). */
export interface FunctionInvoker {
  invokeAsync(payload: unknown): Promise<void>;
}

/** One batch of records from a database or REST source, in source order. */
export interface SourceRecordBatch {
  records: Record<string, unknown>[];
  /** Column types the source declares (database result metadata); REST sources leave them to inference. */
  columns?: SourceColumn[] | undefined;
  /**
   * The watermark once this batch is stored: never behind the starting one. A source cuts batches only
   * between different incremental values, so every record at this watermark is in this batch or earlier.
   */
  watermark: Watermark | undefined;
  /** Records the source returned for this batch (including skipped ones). */
  read: number;
  /** Records at or before the watermark, or without the incremental field (this batch). */
  skipped: number;
}

/**
 * The slice of `fetch` a REST source uses; global `fetch` satisfies it, the host guard gives one pinned to
 * checked addresses, tests may pass a fake.
 */
export type FetchLike = (
  url: string,
  init: { method: 'GET'; headers: Record<string, string> },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

/** A database table/query or a REST API, read from a watermark on. Closing the iterator releases it. */
export interface RecordSource {
  pull(from: Watermark | undefined): AsyncIterable<SourceRecordBatch>;
}

export interface SourceObject {
  key: string;
  size: number;
  eTag: string;
  lastModified: Date;
}

/** One batch of new objects of a foreign bucket/prefix, oldest first. */
export interface SourceObjectBatch {
  objects: SourceObject[];
  watermark: WatermarkState;
  /** Objects listed under the prefix that were already taken (at or before the watermark). */
  skipped: number;
}

/** Another bucket/prefix (AWS or an S3-compatible endpoint). */
export interface ObjectSource {
  list(from: WatermarkState | undefined, batchSize: number): AsyncIterable<SourceObjectBatch>;
  read(key: string): AsyncIterable<Uint8Array>;
}

/** Builds the source a connector names; the one place that knows drivers and foreign clients (wiring). */
export interface SourceFactory {
  records(config: DatabaseConnectorConfig | RestConnectorConfig, secret: string | undefined): RecordSource;
  objects(config: S3ConnectorConfig, secret: string | undefined): ObjectSource;
}
