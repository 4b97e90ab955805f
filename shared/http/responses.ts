/**
 * Answer schemas of every JSON route, for the OpenAPI document and the client's answer types
 * (shared/client/strata.ts infers them): handlers do not validate what they return. `satisfies` holds each
 * schema to its use case's result type (through `Sent<…>` where a member may be undefined, so absent on the
 * wire), so a field added to or renamed in the result breaks the build until the schema follows. Reports
 * with large per-column details (drift, quality) state their header and leave the details open objects.
 */
import { z } from 'zod';
import type { startConnectorRun } from '../app/connectors/runs.js';
import type { ingestRows } from '../app/datasets/ingest-rows.js';
import type { writePredictions } from '../app/datasets/predictions.js';
import type {
  getDataset,
  getDriftSettings,
  putDriftSettings,
  setDatasetConfig,
  setValidationSuite,
} from '../app/datasets/records.js';
import type { queryRows } from '../app/datasets/rows.js';
import type { describeFeatureVersion } from '../app/features/registration.js';
import type { historicalFeatures, lookupOnline } from '../app/features/serving.js';
import type { listFiles } from '../app/files.js';
import type { ConsumeResponse, FileConsumed } from '../app/lifecycle/consumption.js';
import type { CleanupResult } from '../app/lifecycle/retention.js';
import type { VacuumResult } from '../app/lifecycle/vacuum.js';
import type { getModelVersion, linkModelVersion } from '../app/lineage.js';
import type { listRuns } from '../app/runs/reads.js';
import type { RetriedRun } from '../app/runs/retries.js';
import type { createTrainingSet, getTrainingSet } from '../app/training-sets.js';
import type { createUploadUrls } from '../app/uploads.js';
import type {
  getVersion,
  listVersions,
  promoteVersion,
  updateVersionMetadata,
  VersionDataFile,
  VersionFiles,
} from '../app/versions.js';
import { CONNECTOR_RUN_STATUSES, type ConnectorRunRecord } from '../domain/connector-runs.js';
import type { DatasetSummary } from '../domain/dataset.js';
import { WRITE_MODES } from '../domain/delta/writes.js';
import type { DriftReport } from '../domain/drift/report.js';
import { SEVERITIES as DRIFT_SEVERITIES } from '../domain/drift/severity.js';
import { normalizationParamsSchema } from '../domain/features/normalize.js';
import { FILE_STATUSES, type FileRecord, PIPELINE_STAGES } from '../domain/file-record.js';
import { EDGE_TYPES, type LineageGraph, NODE_TYPES } from '../domain/lineage.js';
import { DATA_TYPES, FILE_FORMATS } from '../domain/object-key.js';
import { TEXT_ENCODINGS } from '../domain/parse/encoding.js';
import type { QualityReport } from '../domain/quality/types.js';
import { QUALITY_STATUSES } from '../domain/quality/types.js';
import { RUN_STATUSES, type RunRecord, type RunView } from '../domain/run.js';
import type { FileStatistics } from '../domain/statistics.js';
import { COLUMN_TYPES } from '../domain/table.js';
import { validationSuiteSchema } from '../domain/validation/suite.js';
import { VERSION_STATUSES, type VersionRecord } from '../domain/version.js';
import type { VersionDiff } from '../domain/version-diff.js';
import type { StoredRetentionPolicy } from '../ports.js';

/** What every error answer of ours carries: the error class name and, below 500, what was wrong. */
export const errorResponse = z
  .object({
    error: z.string().describe('the error class: InvalidInputError, NotFoundError, ConflictError, …'),
    message: z.string().describe('what was wrong; `Internal error` for a 5xx, whose detail stays in the log'),
  })
  .strict();

/** API Gateway's own answers (no key, a bad key, throttled): `{message}` only. */
export const gatewayErrorResponse = z.object({ message: z.string() });

const nextCursor = z
  .string()
  .optional()
  .describe('pass as `cursor` for the next page; absent on the last one');
const isoInstant = z.string().describe('ISO 8601 instant (UTC)');

/**
 * A use case's result as JSON carries it: a member whose value may be `undefined` is left out, so it is
 * optional on the wire. `satisfies z.ZodType<Sent<…>>` holds a schema to the result without making it
 * claim members that may be absent.
 */
type Sent<T> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & { [K in keyof T as undefined extends T[K] ? K : never]?: T[K] };

export const healthResponse = z.object({ status: z.literal('ok'), service: z.literal('strata') });

export const openApiResponse = z
  .looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) })
  .describe('this document (OpenAPI 3.1)');

export const uploadUrlResponse = z
  .object({
    dataset: z.string(),
    fileName: z.string(),
    bucket: z.string().describe('the data bucket the URL writes to'),
    key: z.string().describe('the object key: fresh/<tenant>/<dataset>/<fileName>'),
    size: z.number().int().min(1).describe('the declared size in bytes, signed into the URL'),
    format: z.enum(FILE_FORMATS),
    dataType: z.enum(DATA_TYPES),
    method: z.literal('PUT'),
    url: z
      .string()
      .describe(
        'presigned PUT URL; it takes a body of exactly `size` bytes and never overwrites an existing object',
      ),
    headers: z
      .record(z.string(), z.string())
      .describe(
        'send these with the PUT: they are signed (`if-none-match: *`, `content-length`, content type)',
      ),
    expiresAt: isoInstant,
    filesRoute: z
      .string()
      .describe(
        "`/files?key=<key>`: lists the file once register has recorded it. Its id is known as soon as the PUT answers: `f_` + the first 32 hex digits of SHA-256(`bucket` NUL `key` NUL the PUT answer's `x-amz-version-id`, or its ETag without quotes when the bucket is unversioned); its run id `ingest-` + the first 64 (`fileIdOfUpload` in shared/domain/file-record.ts)",
      ),
  })
  .strict() satisfies z.ZodType<Awaited<ReturnType<typeof createUploadUrls>>[number]>;

export const uploadUrlsResponse = z.object({ uploads: z.array(uploadUrlResponse) });

export const ingestRowsResponse = z
  .object({
    dataset: z.string(),
    key: z.string().describe('the JSONL object written: fresh/<tenant>/<dataset>/rows/<content hash>.jsonl'),
    fileId: z.string().describe('the file the pipeline registers (`GET /files/{id}`)'),
    runId: z.string().describe('its pipeline run (`GET /runs/{id}`: 404 until the first stage starts)'),
    rows: z.number().int(),
    columns: z.array(z.string()).describe('column names, in first-seen order'),
    bytes: z.number().int().describe('size of the JSONL written'),
    created: z.boolean().describe('false: the same request was written before; nothing new was written'),
    status: z.literal('ACCEPTED'),
    run: z.string().describe('`/runs/<runId>`'),
    file: z.string().describe('`/files/<fileId>`'),
  })
  .strict() satisfies z.ZodType<Awaited<ReturnType<typeof ingestRows>>>;

const datasetSummary = z.looseObject({
  tenant: z.string(),
  dataset: z.string(),
  fileCount: z.number().int(),
  duplicateCount: z.number().int(),
  bytes: z.number().int(),
  createdAt: isoInstant,
  updatedAt: isoInstant,
  lastFileId: z.string().optional(),
}) satisfies z.ZodType<DatasetSummary>;

export const datasetsPageResponse = z.object({ datasets: z.array(datasetSummary), nextCursor });

export const validationSuiteResponse = z
  .object({
    dataset: z.string(),
    format: z.enum(['strata', 'great_expectations']).describe('which kind of suite the body was read as'),
    suite: validationSuiteSchema.describe(
      'the strata suite stored: files that arrive from now on are judged by it',
    ),
    converted: z
      .array(
        z
          .object({
            expectation_type: z.string(),
            column: z.string().optional(),
            checks: z
              .array(z.string())
              .describe('names of the checks it became, as validation reports show them'),
          })
          .strict(),
      )
      .describe('GE expectations taken into the suite; empty for a strata suite'),
    unsupported: z
      .array(
        z
          .object({ expectation_type: z.string(), column: z.string().optional(), reason: z.string() })
          .strict(),
      )
      .describe(
        'GE expectations left out (not in the suite), each with the reason; empty for a strata suite',
      ),
  })
  .strict() satisfies z.ZodType<Awaited<ReturnType<typeof setValidationSuite>>>;

export const retriedRunResponse = z
  .object({
    runId: z.string().describe('the new run: `<failed run>-r<N>`'),
    executionArn: z.string(),
    retryOf: z.string(),
    started: z.boolean().describe('false when this retry had been started by an earlier call'),
  })
  .strict() satisfies z.ZodType<RetriedRun>;

const downloadedFile = z
  .object({
    path: z.string().describe('the data file, relative to the table root'),
    url: z.string().describe('presigned GET URL of the data file (Parquet) or of its CSV'),
    rows: z.number().int().nullable(),
    size: z.number().int().describe('bytes of what the URL serves'),
  })
  .strict();

export const versionDataResponse = z
  .object({
    dataset: z.string(),
    version: z.number().int(),
    format: z.enum(['parquet', 'csv']),
    delta_version: z
      .number()
      .int()
      .nullable()
      .describe('the Delta version read; null for a held (staged) version'),
    table_uri: z.string(),
    status: z
      .enum(['ready', 'pending'])
      .describe('pending: a multi-file CSV still being made, one step per call; call again'),
    files_total: z.number().int(),
    url: z.string().optional().describe('presigned GET URL, when the version is one data file'),
    files: z
      .array(downloadedFile)
      .optional()
      .describe('each data file (or its CSV) of a multi-file version, when ready and at most 500'),
    files_route: z.string().optional().describe("the version's files route, which pages any number of files"),
    progress: z.object({ ready: z.number().int(), total: z.number().int() }).strict().optional(),
    retry_after_seconds: z.number().int().optional(),
    expiresInSeconds: z.number().int(),
  })
  .strict();

const statValues = z.record(z.string(), z.union([z.number(), z.boolean(), z.string()]));

const versionDataFile = z
  .object({
    path: z.string().describe("relative to the table root, as the table's log names it"),
    url: z.string().describe('presigned GET URL of the data file'),
    size: z.number().int().describe('bytes'),
    rows: z.number().int().nullable().describe("from the file's statistics; null when it has none"),
    stats: z
      .object({ minValues: statValues, maxValues: statValues, nullCount: z.record(z.string(), z.number()) })
      .strict()
      .nullable()
      .describe("the add action's per-column statistics (timestamps as ISO 8601); null when it has none"),
    staged: z.boolean().describe("a held version's file: under the table root, in no commit yet"),
  })
  .strict() satisfies z.ZodType<VersionDataFile>;

export const versionFilesResponse = z
  .object({
    dataset: z.string(),
    version: z.number().int(),
    table_uri: z.string().describe("the dataset's Delta table: s3://<bucket>/tables/<tenant>/<dataset>/"),
    delta_version: z
      .number()
      .int()
      .nullable()
      .describe('the Delta version of the table this version is; null while the version is held (staged)'),
    staged: z.boolean(),
    expiresInSeconds: z.number().int(),
    filesTotal: z.number().int().describe('data files of the table at that Delta version (1 when staged)'),
    files: z.array(versionDataFile),
    nextCursor,
  })
  .strict() satisfies z.ZodType<VersionFiles>;

// ---- rows and versions ----------------------------------------------------------------------------

export const rowsPageResponse = z
  .object({
    dataset: z.string(),
    version: z
      .number()
      .int()
      .describe('the dataset version read (the current one unless `version` was asked)'),
    delta_version: z
      .number()
      .int()
      .nullable()
      .describe('the Delta version read; null for a held version (its staged file)'),
    staged: z.literal(true).optional().describe("present when a held version's staged file was read"),
    column: z.string().describe('the time column the rows are ordered and filtered by'),
    count: z.number().int().describe('rows in this page'),
    rows: z
      .array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])))
      .describe('timestamps as ISO 8601'),
    nextCursor,
    scan: z
      .object({
        files: z.number().int().describe('data files of the table at the Delta version'),
        filesRead: z.number().int().describe('those whose statistics overlapped the query'),
        rowGroups: z.number().int(),
        rowGroupsRead: z.number().int(),
        requests: z.number().int().describe('ranged GETs made'),
        bytesRead: z.number().int(),
      })
      .strict(),
  })
  .strict() satisfies z.ZodType<Awaited<ReturnType<typeof queryRows>>>;

const columnSchema = z
  .object({ name: z.string(), type: z.enum(COLUMN_TYPES), nullable: z.boolean() })
  .strict();
const tableSchemaResponse = z.object({ columns: z.array(columnSchema) }).strict();

const versionTable = z
  .object({
    version: z
      .number()
      .int()
      .optional()
      .describe('the Delta version that committed the file; absent while held'),
    dataFile: z
      .string()
      .describe(
        '`part-<fileId>.parquet`, or `_staged/part-<fileId>.parquet` while held; a file staged in chunks names its first chunk (`part-<fileId>-c00000.parquet`)',
      ),
    chunkCount: z
      .number()
      .int()
      .optional()
      .describe('how many chunk files the file was staged and committed as, when more than one'),
    rowsAdded: z.number().int(),
    mode: z.enum(WRITE_MODES).optional(),
    filesAdded: z.number().int().optional(),
    filesRemoved: z.number().int().optional(),
    rowsRemoved: z.number().int().optional(),
    rowsUpdated: z.number().int().optional(),
    rowsDuplicate: z.number().int().optional(),
    rowsCopied: z.number().int().optional(),
    rowsTotal: z.number().int().optional(),
    filesTotal: z.number().int().optional(),
    profileKey: z.string().optional(),
  })
  .strict()
  .describe("the version's place in the dataset's Delta table");

const versionHold = z.object({ reasons: z.array(z.string()), at: isoInstant }).strict();
const versionPromotion = z
  .object({ reason: z.string(), at: isoInstant, previousCurrent: z.number().int().optional() })
  .strict();

/** A version record, every field of it (an object type, not loose, so it and the domain's interface agree). */
const versionRecord = z
  .object({
    tenant: z.string(),
    dataset: z.string(),
    version: z.number().int(),
    status: z.enum(VERSION_STATUSES),
    contentHash: z.string(),
    sourceSha256: z.string(),
    sourceFileId: z.string(),
    sourceKey: z.string(),
    rowCount: z.number().int(),
    schema: tableSchemaResponse,
    parentVersion: z.number().int().optional(),
    profileKey: z.string(),
    validationReportKey: z.string(),
    validationStatus: z.enum(['PASSED', 'WARNING']),
    tags: z.array(z.string()),
    description: z.string().optional(),
    createdAt: isoInstant,
    quality: z
      .object({
        status: z.enum(QUALITY_STATUSES),
        score: z.number(),
        reportKey: z.string(),
        htmlKey: z.string(),
      })
      .strict()
      .optional(),
    drift: z
      .object({
        status: z.enum(['COMPARED', 'NO_REFERENCE']),
        severity: z.enum(DRIFT_SEVERITIES),
        referenceVersion: z.number().int().optional(),
        reportKey: z.string(),
        htmlKey: z.string(),
      })
      .strict()
      .optional(),
    hold: versionHold.optional().describe('why a gate held the version (status HELD)'),
    links: z
      .object({
        model: z.object({ name: z.string(), version: z.string() }).strict().optional(),
        input: z.object({ dataset: z.string(), version: z.number().int() }).strict().optional(),
      })
      .strict()
      .optional(),
    promotion: versionPromotion.optional(),
    table: versionTable.optional(),
  })
  .describe('a version record') satisfies z.ZodType<VersionRecord>;

export const versionsPageResponse = z
  .object({
    dataset: z.string(),
    currentVersion: z.number().int().optional(),
    tag: z.string().optional().describe('the tag asked for'),
    versions: z.array(versionRecord),
    nextCursor,
  })
  .strict() satisfies z.ZodType<Sent<Awaited<ReturnType<typeof listVersions>>>>;

export const versionDetailResponse = versionRecord
  .extend({
    profile: z.unknown().describe("the file's profile (what the gates judged)"),
    validation: z.unknown().describe("the file's validation report"),
    tableProfile: z.unknown().optional().describe("the whole table's profile at the version's Delta version"),
  })
  .describe('a version record with its profiles and validation report') satisfies z.ZodType<
  Awaited<ReturnType<typeof getVersion>>
>;

export const updatedVersionResponse = versionRecord satisfies z.ZodType<
  Awaited<ReturnType<typeof updateVersionMetadata>>
>;

export const promotedVersionResponse = z
  .object({
    dataset: z.string(),
    version: z.number().int(),
    status: z.enum(VERSION_STATUSES),
    currentVersion: z.number().int().describe('the version promoted, now current'),
    promotion: versionPromotion.optional(),
    hold: versionHold.optional().describe('the hold it was promoted over, if any'),
    table: versionTable.optional(),
  })
  .strict() satisfies z.ZodType<Sent<Awaited<ReturnType<typeof promoteVersion>>>>;

// ---- runs, files, training sets, consumption, cleanup ----------------------------------------------------

const runError = z.object({ name: z.string(), message: z.string() }).strict();
const stageAttempt = z
  .object({
    stage: z.string(),
    attempt: z.number().int().describe('0 for the first invocation'),
    status: z.enum(RUN_STATUSES),
    enteredAt: isoInstant.optional(),
    startedAt: isoInstant,
    endedAt: isoInstant.optional(),
    durationMs: z.number().optional(),
    error: runError.optional(),
  })
  .strict();

const runRecord = z
  .object({
    runId: z.string(),
    executionArn: z.string(),
    tenant: z.string(),
    dataset: z.string(),
    fileId: z.string(),
    object: z
      .object({
        bucket: z.string(),
        key: z.string(),
        versionId: z.string().optional(),
        eTag: z.string().optional(),
      })
      .strict()
      .describe('the object the execution was started for'),
    status: z.enum(RUN_STATUSES),
    startedAt: isoInstant,
    endedAt: isoInstant.optional(),
    durationMs: z.number().optional(),
    currentStage: z.string().optional().describe('the stage last started'),
    outcome: z.enum(['VERSIONED', 'HELD', 'DUPLICATE']).optional(),
    version: z.number().int().optional(),
    failure: runError.extend({ stage: z.string() }).strict().optional(),
    retryOf: z.string().optional(),
    retriedBy: z.string().optional(),
    retriedAt: isoInstant.optional(),
    updatedAt: isoInstant,
  })
  .strict() satisfies z.ZodType<RunRecord>;

export const runsPageResponse = z
  .object({ runs: z.array(runRecord), nextCursor })
  .strict() satisfies z.ZodType<Sent<Awaited<ReturnType<typeof listRuns>>>>;

/** A run with its stages, each with its attempts. */
export const runResponse = runRecord
  .extend({
    stages: z.array(
      z
        .object({
          stage: z.string(),
          status: z.enum(RUN_STATUSES),
          startedAt: isoInstant,
          endedAt: isoInstant.optional(),
          durationMs: z
            .number()
            .optional()
            .describe("from the first attempt's start to the last one's end (retry waits included)"),
          attempts: z.number().int(),
          error: runError.optional(),
          history: z.array(stageAttempt),
        })
        .strict(),
    ),
  })
  .strict() satisfies z.ZodType<RunView>;

const fileFailure = z
  .object({
    stage: z.string(),
    errorName: z.string(),
    message: z.string(),
    at: isoInstant,
    reportKey: z.string().optional(),
  })
  .strict();

/** A file record, every field of it. */
export const fileResponse = z
  .object({
    fileId: z.string(),
    tenant: z.string(),
    dataset: z.string(),
    bucket: z.string(),
    key: z.string(),
    objectVersion: z.string().describe('the S3 object version of the upload (its ETag when unversioned)'),
    fileName: z.string(),
    sha256: z.string(),
    size: z.number().int(),
    format: z.enum(FILE_FORMATS),
    dataType: z.enum(DATA_TYPES),
    status: z.enum(FILE_STATUSES),
    stage: z.enum(PIPELINE_STAGES),
    duplicateOf: z.string().optional(),
    links: z
      .object({
        model: z.object({ name: z.string(), version: z.string() }).strict().optional(),
        input: z.object({ dataset: z.string(), version: z.number().int() }).strict().optional(),
      })
      .strict()
      .optional(),
    metadata: z
      .record(z.string(), z.string())
      .optional()
      .describe("the uploader's metadata (x-amz-meta-* without strata's own keys)"),
    metadataTruncated: z
      .boolean()
      .optional()
      .describe('the object carried more metadata than a record keeps; the object still has all of it'),
    uploadedAt: isoInstant,
    registeredAt: isoInstant,
    failure: fileFailure.optional(),
    previousFailures: z.array(fileFailure).optional(),
    readmittedAt: isoInstant.optional(),
    parse: z
      .object({
        stagedKey: z.string(),
        rowCount: z.number().int(),
        columns: z.number().int(),
        recordsFailed: z.number().int(),
        durationMs: z.number(),
        encoding: z
          .object({ name: z.enum(TEXT_ENCODINGS), bom: z.boolean() })
          .strict()
          .optional(),
        renamedColumns: z
          .array(z.object({ from: z.string(), to: z.string(), index: z.number().int() }).strict())
          .optional(),
        renamedColumnCount: z.number().int().optional(),
      })
      .strict()
      .optional(),
    validation: z
      .object({
        status: z.string(),
        reportKey: z.string(),
        errors: z.number().int(),
        warnings: z.number().int(),
      })
      .strict()
      .optional(),
    profileKey: z.string().optional(),
    quality: z.object({ status: z.string(), score: z.number(), reportKey: z.string() }).strict().optional(),
    drift: z
      .object({
        status: z.string(),
        severity: z.string(),
        referenceVersion: z.number().int().optional(),
        reportKey: z.string(),
      })
      .strict()
      .optional(),
    version: z.number().int().optional().describe('the dataset version this file produced'),
    usageCount: z.number().int().optional(),
    usageHistory: z
      .array(z.object({ jobId: z.string(), trainingSetId: z.string().optional(), at: isoInstant }).strict())
      .optional(),
    trainingJobs: z.array(z.string()).optional(),
    lastUsedAt: isoInstant.optional(),
    stateHistory: z
      .array(
        z
          .object({
            from: z.enum(FILE_STATUSES),
            to: z.enum(FILE_STATUSES),
            at: isoInstant,
            reason: z.string(),
            jobId: z.string().optional(),
          })
          .strict(),
      )
      .optional(),
    keyVersion: z.string().optional(),
    deprecatedAt: isoInstant.optional(),
    deletedAt: isoInstant.optional(),
  })
  .describe('a file record') satisfies z.ZodType<FileRecord>;

export const filesPageResponse = z
  .object({ files: z.array(fileResponse), nextCursor })
  .strict() satisfies z.ZodType<Sent<Awaited<ReturnType<typeof listFiles>>>>;

const trainingSetCriteria = z
  .object({
    dataset: z.string().optional(),
    version: z.number().int().optional(),
    dataType: z.enum(DATA_TYPES).optional(),
    since: z.string().optional(),
    maxRows: z.number().int().optional(),
    maxBytes: z.number().int().optional(),
    combine: z.enum(['parquet', 'jsonl']).optional(),
  })
  .strict();
const trainingSetSelection = z
  .enum(['fresh', 'sample-fallback', 'table'])
  .describe("fresh files; the dataset's sample files when none was fresh; or a version's whole table");
const trainingSetTotals = z
  .object({ files: z.number().int(), rows: z.number().int(), bytes: z.number().int() })
  .strict();
const trainingSetLinks = {
  manifestKey: z.string(),
  manifestUri: z.string(),
  manifestUrl: z.string().describe('presigned GET URL of the manifest'),
  combinedKey: z.string().optional(),
  combinedUri: z.string().optional(),
  combinedUrl: z.string().optional().describe('presigned GET URL of the combined file, when one was made'),
  expiresInSeconds: z.number().int(),
};

export const trainingSetCreatedResponse = z
  .object({
    id: z.string(),
    createdAt: isoInstant,
    selection: trainingSetSelection,
    totals: trainingSetTotals,
    ...trainingSetLinks,
  })
  .strict() satisfies z.ZodType<Awaited<ReturnType<typeof createTrainingSet>>>;

const trainingSetManifest = z
  .object({
    id: z.string(),
    tenant: z.string(),
    createdAt: isoInstant,
    criteria: trainingSetCriteria,
    selection: trainingSetSelection,
    files: z.array(
      z
        .object({
          fileId: z.string(),
          key: z.string(),
          dataset: z.string(),
          dataType: z.enum(DATA_TYPES),
          sha256: z.string(),
          contentHash: z.string(),
          objectVersion: z.string(),
          uploadedAt: isoInstant,
          version: z.number().int(),
          dataFile: z.object({ path: z.string(), key: z.string(), deltaVersion: z.number().int() }).strict(),
          dataFiles: z
            .array(z.object({ path: z.string(), key: z.string() }).strict())
            .optional()
            .describe('a file committed as its chunk files: every one of them, in row order'),
          rows: z.number().int(),
          bytes: z.number().int(),
        })
        .strict(),
    ),
    table: z
      .object({
        dataset: z.string(),
        version: z.number().int(),
        deltaVersion: z.number().int(),
        uri: z.string(),
        files: z.array(
          z
            .object({ path: z.string(), key: z.string(), rows: z.number().int(), bytes: z.number().int() })
            .strict(),
        ),
      })
      .strict()
      .optional()
      .describe("with `selection: table`: the data files of the version's Delta version"),
    totals: trainingSetTotals,
    combined: z
      .object({ key: z.string(), format: z.enum(['parquet', 'jsonl']), rows: z.number().int() })
      .strict()
      .optional(),
  })
  .strict();

export const trainingSetResponse = z
  .object({
    id: z.string(),
    tenant: z.string(),
    createdAt: isoInstant,
    criteria: trainingSetCriteria,
    selection: trainingSetSelection,
    fileIds: z.array(z.string()),
    totals: trainingSetTotals,
    manifest: trainingSetManifest,
    ...trainingSetLinks,
  })
  .strict() satisfies z.ZodType<Sent<Awaited<ReturnType<typeof getTrainingSet>>>>;

export const trainingSetConsumedResponse = z
  .object({
    trainingSetId: z.string(),
    jobId: z.string(),
    consumedAt: isoInstant,
    files: z.number().int().describe('files in the training set'),
    counted: z.array(z.string()).describe('files whose use by this job this training set recorded'),
    countedBefore: z
      .array(z.string())
      .describe('files the job had used through another training set (or by themselves): counted once'),
    skipped: z.array(
      z
        .object({
          fileId: z.string(),
          reason: z.enum(['missing', 'not-consumable']),
          status: z.enum(FILE_STATUSES).optional(),
        })
        .strict(),
    ),
    moved: z.array(
      z
        .object({
          fileId: z.string(),
          from: z.enum(FILE_STATUSES),
          to: z.enum(FILE_STATUSES),
          at: isoInstant,
        })
        .strict(),
    ),
    truncated: z.boolean(),
    complete: z.boolean().describe('every move finished; a repeated call returns this answer'),
    pendingMoves: z.array(z.string()),
    replayed: z.boolean().describe('the stored answer of an earlier call; nothing was done again'),
  })
  .strict() satisfies z.ZodType<ConsumeResponse>;

export const fileConsumedResponse = z
  .object({
    fileId: z.string(),
    jobId: z.string(),
    outcome: z.enum(['counted', 'already-counted']),
    status: z.enum(FILE_STATUSES),
    usageCount: z.number().int(),
    pendingMove: z.boolean().describe('the move its use called for did not finish yet'),
  })
  .strict() satisfies z.ZodType<FileConsumed>;

export const cleanupResponse = z
  .object({
    dryRun: z.boolean(),
    policy: z.object({ daysOld: z.number().int(), graceDays: z.number().int() }).strict(),
    cutoffs: z.object({ deprecateUploadedBefore: isoInstant, deleteDeprecatedBefore: isoInstant }).strict(),
    deprecated: z.array(
      z
        .object({
          fileId: z.string(),
          key: z.string(),
          from: z.enum(FILE_STATUSES),
          uploadedAt: isoInstant,
          size: z.number().int(),
        })
        .strict(),
    ),
    deleted: z.array(z.object({ fileId: z.string(), key: z.string(), size: z.number().int() }).strict()),
    skipped: z.array(z.object({ fileId: z.string(), reason: z.string() }).strict()),
    totals: z
      .object({
        deprecated: z.number().int(),
        deleted: z.number().int(),
        bytesDeleted: z.number().int(),
        skipped: z.number().int(),
      })
      .strict(),
    truncated: z.boolean(),
  })
  .strict() satisfies z.ZodType<CleanupResult>;

// ---- drift settings ---------------------------------------------------------------------------------

const severityCuts = z
  .object({ low: z.number(), moderate: z.number(), high: z.number(), critical: z.number() })
  .strict()
  .describe('lower bounds (inclusive) of LOW, MODERATE, HIGH and CRITICAL; ascending');
const thresholdFields = {
  psi: severityCuts,
  jsDivergence: severityCuts.describe('Jensen–Shannon divergence in bits'),
  ksStatistic: severityCuts,
  meanShiftSd: severityCuts.describe('|mean shift| in reference standard deviations'),
  logStdRatio: severityCuts,
  nullFractionDelta: severityCuts,
  newCategoryFraction: severityCuts,
  alpha: z.number().describe("significance level for the tests' p-values"),
  performanceDegradation: z
    .number()
    .describe('relative degradation of the prediction metric called concept drift'),
};

export const driftSettingsResponse = z
  .object({
    dataset: z.string(),
    settings: z
      .object({
        driftGate: z.enum(DRIFT_SEVERITIES).optional(),
        qualityGate: z.enum(QUALITY_STATUSES).optional(),
        referenceVersion: z.number().int().optional(),
        thresholds: z.object(thresholdFields).partial().strict().optional(),
        labelColumn: z.string().optional(),
        predictionColumn: z.string().optional(),
        timeColumn: z.string().optional(),
        identifierColumns: z.array(z.string()).optional(),
        inferIdentifiers: z.boolean().optional(),
      })
      .strict()
      .describe('as stored (names in camelCase); an absent field is unset'),
    effectiveThresholds: z
      .object(thresholdFields)
      .strict()
      .describe('the stored thresholds over the defaults: what the drift stage applies'),
  })
  .strict() satisfies z.ZodType<Awaited<ReturnType<typeof getDriftSettings | typeof putDriftSettings>>>;

// ---- datasets, predictions, diffs, models ---------------------------------------------------------------

const datasetConfig = z
  .object({
    columnMapping: z.record(z.string(), z.string()).optional().describe('source column → canonical name'),
    typeOverrides: z.record(z.string(), z.enum(COLUMN_TYPES)).optional(),
    dedupKeys: z.array(z.string()).optional(),
    writeMode: z.enum(WRITE_MODES).optional().describe('default append'),
    keyColumns: z.array(z.string()).optional().describe('upsert: the columns that identify a row'),
    schemaEvolution: z.enum(['none', 'add_columns']).optional(),
    widenTypes: z.boolean().optional(),
    maxErrorRate: z.number().optional(),
    encoding: z.enum(TEXT_ENCODINGS).optional(),
    allowEmptyBatches: z.boolean().optional(),
    maxColumns: z.number().int().optional(),
    maxColumnNameLength: z.number().int().optional(),
    chunkBytes: z.number().int().optional(),
  })
  .strict()
  .describe('as stored (names in camelCase)');

export const datasetConfigResponse = z
  .object({ dataset: z.string(), config: datasetConfig })
  .strict() satisfies z.ZodType<Awaited<ReturnType<typeof setDatasetConfig>>>;

export const datasetResponse = datasetSummary
  .extend({
    config: datasetConfig,
    validationSuite: z.unknown().optional().describe('the strata suite files are judged by'),
    suiteSource: z
      .enum(['api', 'inferred'])
      .optional()
      .describe('set through the API, or inferred from the first file'),
    currentVersion: z.number().int().optional(),
    versionCount: z.number().int(),
    driftSettings: driftSettingsResponse.shape.settings.optional(),
  })
  .describe('the dataset record (loose: its summary counters may grow)') satisfies z.ZodType<
  Awaited<ReturnType<typeof getDataset>>
>;

export const predictionsAcceptedResponse = z
  .object({
    dataset: z.string().describe('`<name>-predictions`, the dataset the rows were written to'),
    fileId: z.string(),
    key: z.string().describe('the Parquet object written under fresh/'),
    rows: z.number().int(),
    model: z.object({ name: z.string(), version: z.string() }).strict(),
    input: z
      .object({ dataset: z.string(), version: z.number().int() })
      .strict()
      .describe('the version scored'),
    created: z.boolean().describe('false: the same rows were written before; nothing new was written'),
    status: z.literal('ACCEPTED'),
  })
  .strict() satisfies z.ZodType<Awaited<ReturnType<typeof writePredictions>>>;

const numberDelta = z
  .object({
    from: z.number().nullable(),
    to: z.number().nullable(),
    delta: z.number().nullable(),
    relative: z.number().nullable().describe('delta / |from|; null when from is 0 or missing'),
  })
  .strict();
const versionSummary = z
  .object({
    version: z.number().int(),
    status: z.enum(VERSION_STATUSES),
    createdAt: isoInstant,
    contentHash: z.string(),
    rowCount: z.number().int(),
    columns: z.number().int(),
    tags: z.array(z.string()),
    source: z.object({ fileId: z.string(), key: z.string(), sha256: z.string() }).strict(),
  })
  .strict();
const topKEntry = z.object({ value: z.string(), count: z.number().int() }).strict();

export const versionDiffResponse = z
  .object({
    dataset: z.string(),
    from: versionSummary,
    to: versionSummary,
    sameContent: z.boolean().describe('same snapshot content hash'),
    sameSource: z.boolean().describe('made from files with the same content'),
    rows: numberDelta.extend({ from: z.number().int(), to: z.number().int(), delta: z.number().int() }),
    schema: z
      .object({
        unchanged: z.boolean(),
        added: z.array(columnSchema),
        removed: z.array(columnSchema),
        typeChanged: z.array(
          z.object({ column: z.string(), from: z.enum(COLUMN_TYPES), to: z.enum(COLUMN_TYPES) }).strict(),
        ),
        nullabilityChanged: z.array(
          z.object({ column: z.string(), from: z.boolean(), to: z.boolean() }).strict(),
        ),
      })
      .strict(),
    profiles: z.object({ from: z.boolean(), to: z.boolean() }).strict().describe('column deltas need both'),
    columns: z.array(
      z
        .object({
          column: z.string(),
          type: z.object({ from: z.enum(COLUMN_TYPES), to: z.enum(COLUMN_TYPES) }).strict(),
          nullFraction: numberDelta,
          nulls: numberDelta,
          distinct: numberDelta.extend({ exact: z.boolean() }),
          numeric: z
            .object({
              mean: numberDelta,
              std: numberDelta,
              min: numberDelta,
              max: numberDelta,
              meanShiftSd: z.number().nullable(),
              quantiles: z
                .object({
                  p5: numberDelta.optional(),
                  p50: numberDelta.optional(),
                  p95: numberDelta.optional(),
                })
                .strict(),
            })
            .strict()
            .optional(),
          topK: z
            .object({ appeared: z.array(topKEntry), disappeared: z.array(topKEntry) })
            .strict()
            .optional(),
        })
        .strict(),
    ),
  })
  .strict() satisfies z.ZodType<VersionDiff>;

export const modelVersionResponse = z
  .object({
    model: z.string(),
    version: z.string(),
    createdAt: isoInstant,
    node: z.string().describe('its lineage node'),
    links: z.array(
      z
        .object({
          kind: z.enum(['dataset_version', 'training_set', 'feature_version']),
          node: z.string(),
          name: z.string(),
          at: isoInstant,
        })
        .strict(),
    ),
  })
  .strict() satisfies z.ZodType<Awaited<ReturnType<typeof getModelVersion | typeof linkModelVersion>>>;

export const connectorDeletedResponse = z.object({ deleted: z.literal(true) }).strict();

// ---- drift and quality reports ------------------------------------------------------------------------

/** What a report route wraps the stored report in: the version's state now. */
const reportEnvelope = {
  dataset: z.string(),
  version: z.number().int(),
  status: z.enum(VERSION_STATUSES),
  hold: versionHold.optional().describe('why a gate held the version'),
  promotion: versionPromotion.optional(),
};
const reportItems = z.array(z.looseObject({}));

export const driftReportResponse = z
  .object({
    ...reportEnvelope,
    report: z
      .looseObject({
        kind: z.literal('drift'),
        status: z.enum(['COMPARED', 'NO_REFERENCE']),
        severity: z
          .enum(DRIFT_SEVERITIES)
          .describe('the highest column severity (concept drift: at least HIGH)'),
        severityCounts: z
          .object({
            NONE: z.number().int(),
            LOW: z.number().int(),
            MODERATE: z.number().int(),
            HIGH: z.number().int(),
            CRITICAL: z.number().int(),
          })
          .strict()
          .describe('columns per severity'),
        current: z.object({ rows: z.number().int() }).strict(),
        reference: z
          .looseObject({ version: z.number().int(), pinned: z.boolean(), rows: z.number().int() })
          .nullable(),
        thresholds: z.object(thresholdFields).strict(),
        columns: reportItems.describe('per column: metrics, severity and why; worst first'),
        excludedColumns: reportItems,
        driftTypes: reportItems,
        recommendations: reportItems,
      })
      .describe(
        'the stored drift report; its header fields are stated, per-column details are open objects (the report format of shared/domain/drift/report.ts)',
      ) satisfies z.ZodType<
      Pick<DriftReport, 'kind' | 'status' | 'severity' | 'severityCounts' | 'current' | 'thresholds'>
    >,
  })
  .strict();

export const qualityReportResponse = z
  .object({
    ...reportEnvelope,
    report: z
      .looseObject({
        kind: z.literal('quality'),
        rows: z.number().int(),
        timeColumn: z.string().optional(),
        order: z.enum(['time', 'file']),
        notes: z.array(z.string()).optional(),
        duplicates: z.object({ count: z.number().int(), fraction: z.number() }).strict(),
        score: z.number().describe("100 minus the issues' penalties, floored at 0"),
        status: z.enum(QUALITY_STATUSES),
        columns: reportItems.describe(
          'per column: completeness, validity, outliers, constant periods, noise',
        ),
        issues: reportItems.describe('most severe first'),
        recommendations: reportItems,
      })
      .describe(
        'the stored quality report; its header fields are stated, per-column details and issues are open objects (the report format of shared/domain/quality/types.ts)',
      ) satisfies z.ZodType<
      Pick<
        QualityReport,
        'kind' | 'rows' | 'timeColumn' | 'order' | 'notes' | 'duplicates' | 'score' | 'status'
      >
    >,
  })
  .strict();

export const retentionPolicyResponse = z
  .object({
    tenant: z.string(),
    policy: z
      .object({
        daysOld: z.number().int(),
        graceDays: z.number().int(),
        archiveAfterUses: z.number().int(),
        tableRetentionDays: z.number().int(),
      })
      .strict(),
    updatedAt: isoInstant,
  })
  .strict() satisfies z.ZodType<StoredRetentionPolicy>;

export const vacuumResponse = z
  .object({
    dataset: z.string(),
    dryRun: z.boolean(),
    deltaVersion: z.number().int().nullable().describe('the table version whose removed files were read'),
    retentionDays: z.number().int(),
    removedBefore: isoInstant.describe('files removed before this instant are deleted'),
    files: z.array(
      z.object({ path: z.string(), size: z.number().int(), removedInVersion: z.number().int() }).strict(),
    ),
    totals: z
      .object({
        files: z.number().int().describe('deleted, or would be in a dry run'),
        bytes: z.number().int(),
        retained: z.number().int().describe('removed files still within the retention, kept for time travel'),
        alreadyGone: z.number().int().describe('due, but deleted by an earlier vacuum'),
      })
      .strict(),
    oldestReadableVersion: z
      .number()
      .int()
      .nullable()
      .describe('Delta versions before it answer 410 (null: every version is readable)'),
    truncated: z.boolean().describe('`files` stops at 1000; the totals count everything'),
  })
  .strict() satisfies z.ZodType<VacuumResult>;

const tally = z
  .object({ files: z.number().int(), bytes: z.number().int(), usage: z.number().int() })
  .strict();

export const statisticsResponse = z
  .object({
    files: z.number().int(),
    bytes: z.number().int(),
    totalUsage: z.number().int(),
    byStatus: z.record(z.string(), tally),
    byType: z.record(z.string(), tally),
    byDataset: z.record(z.string(), tally),
    deleted: z.object({ files: z.number().int(), bytes: z.number().int() }).strict(),
  })
  .strict() satisfies z.ZodType<FileStatistics>;

export const lineageGraphResponse = z
  .object({
    root: z.string(),
    direction: z.enum(['up', 'down', 'both']),
    nodes: z.array(
      z
        .object({ id: z.string(), type: z.enum(NODE_TYPES), name: z.string(), depth: z.number().int() })
        .strict(),
    ),
    edges: z.array(z.object({ from: z.string(), to: z.string(), type: z.enum(EDGE_TYPES) }).strict()),
    truncated: z.boolean().describe('the walk stopped at the node limit before reaching `depth`'),
  })
  .strict() satisfies z.ZodType<LineageGraph>;

// ---- connectors ------------------------------------------------------------------------------------

const watermarkValue = z.union([z.number(), z.string()]).describe('the incremental field’s value');
const watermarkState = z
  .object({
    value: watermarkValue,
    atValue: z.array(z.string()).optional().describe('object sources: keys already taken at exactly `value`'),
  })
  .strict();
const connectorRunCounts = z
  .object({
    read: z.number().int().describe('records (objects) the source returned'),
    written: z.number().int().describe('records written to fresh/ (objects copied)'),
    failed: z.number().int().describe('dropped: a required column missing, a value that fits no type'),
    skipped: z.number().int().describe('at or before the watermark, or without the incremental field'),
    bytes: z.number().int(),
    files: z.number().int(),
  })
  .strict();
const connectorError = z.object({ name: z.string(), message: z.string() }).strict();

export const connectorRunResponse = z
  .object({
    runId: z.string(),
    tenant: z.string(),
    dataset: z.string(),
    sourceType: z.enum(['database', 'rest', 's3']),
    trigger: z.enum(['schedule', 'api']),
    status: z.enum(CONNECTOR_RUN_STATUSES),
    startedAt: isoInstant,
    endedAt: isoInstant.optional(),
    durationMs: z.number().optional(),
    counts: connectorRunCounts,
    errorRate: z.number().describe('failed / read'),
    watermarkBefore: watermarkState.optional(),
    watermarkAfter: watermarkState.optional(),
    files: z.array(z.string()).describe('keys written under fresh/'),
    more: z.boolean().optional().describe('stopped at its time budget; the next run starts at once'),
    recovered: z
      .array(z.string())
      .optional()
      .describe('files a dead run wrote whose watermark this run stored'),
    error: connectorError.optional(),
  })
  .strict() satisfies z.ZodType<ConnectorRunRecord>;

export const connectorRunsPageResponse = z.object({
  runs: z.array(connectorRunResponse),
  cursor: nextCursor,
});

export const connectorRunStartedResponse = z
  .object({ runId: z.string(), status: z.literal('STARTED') })
  .strict() satisfies z.ZodType<Awaited<ReturnType<typeof startConnectorRun>>>;

export const connectorResponse = z.looseObject({
  dataset: z.string(),
  source: z
    .looseObject({ type: z.enum(['database', 'rest', 's3']) })
    .describe('as stored; secrets by name only'),
  scheduleMinutes: z.number().int(),
  enabled: z.boolean(),
  createdAt: isoInstant,
  updatedAt: isoInstant,
  watermark: watermarkValue.nullable(),
  nextRunAt: isoInstant.nullable().describe('null while disabled'),
  running: z.string().nullable().describe('the run holding the lease'),
  consecutiveFailures: z.number().int(),
  lastRun: z
    .looseObject({ runId: z.string(), status: z.enum(CONNECTOR_RUN_STATUSES), counts: connectorRunCounts })
    .nullable(),
});

// ---- feature store -------------------------------------------------------------------------------

const cellValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const featureSplit = z.enum(['train', 'validation', 'test', 'all']);

/** A feature version as callers see it (the record without the tenant and its online storage flag). */
export const featureVersionResponse = z
  .object({
    name: z.string(),
    version: z.string().describe('MAJOR.MINOR.PATCH'),
    description: z.string().optional(),
    metadata: z.record(z.string(), z.string()),
    tags: z.array(z.string()),
    entityKeys: z.array(z.string()).describe('empty: a static table served offline only'),
    timestampColumn: z
      .string()
      .optional()
      .describe('absent: a static table (offline as it is, online by entity key, never point in time)'),
    features: z.array(z.string()).describe('the feature columns (entity keys and timestamp excluded)'),
    schema: z
      .object({
        columns: z.array(
          z.object({ name: z.string(), type: z.enum(COLUMN_TYPES), nullable: z.boolean() }).strict(),
        ),
      })
      .strict(),
    rowCount: z.number().int(),
    entityCount: z.number().int().describe('entities with online values (0 for a static table without key)'),
    files: z.array(
      z
        .object({
          split: featureSplit,
          key: z.string(),
          rows: z.number().int(),
          sha256: z.string().describe("sha256 of the split's Parquet bytes"),
        })
        .strict(),
    ),
    source: z.union([
      z.object({ kind: z.literal('dataset'), dataset: z.string(), version: z.number().int() }).strict(),
      z.object({ kind: z.literal('inline'), sha256: z.string() }).strict(),
    ]),
    transform: z.unknown().optional().describe('the feature spec applied, as registered'),
    normalization: normalizationParamsSchema
      .optional()
      .describe('fitted on the training split; apply at inference'),
    split: z
      .object({
        ratios: z.object({ train: z.number(), validation: z.number(), test: z.number() }).strict(),
        timeOrdered: z.boolean(),
        seed: z.number().int().optional(),
      })
      .strict()
      .optional(),
    contentHash: z.string(),
    createdAt: isoInstant,
  })
  .strict() satisfies z.ZodType<ReturnType<typeof describeFeatureVersion>>;

export const registeredFeatureResponse = featureVersionResponse.extend({
  created: z.boolean().describe('false: the same content was registered before under this version'),
});

/** `GET /features/{name}` with `format=json`: a page of rows in the files' order (splits in order). */
export const featurePageResponse = z
  .object({
    version: z.string(),
    metadata: featureVersionResponse,
    features: z.array(z.record(z.string(), cellValue)).describe('rows; timestamps as epoch milliseconds'),
    nextCursor,
  })
  .strict();

/** `GET /features/{name}` with `format=parquet`: presigned Parquet URLs, one per split. */
export const featureFilesResponse = z
  .object({
    version: z.string(),
    metadata: featureVersionResponse,
    files: z.array(
      z.object({ split: featureSplit, rows: z.number().int(), sha256: z.string(), url: z.string() }).strict(),
    ),
    expiresInSeconds: z.number().int(),
  })
  .strict();

export const featuresResponse = z.union([featurePageResponse, featureFilesResponse]);

const entityKeyValue = z.union([
  z.string(),
  z.number(),
  z.array(z.union([z.string(), z.number()])),
  z.record(z.string(), z.union([z.string(), z.number()])),
]);

export const onlineFeaturesResponse = z
  .object({
    versions: z.record(z.string(), z.string()).describe('each feature name → the version read'),
    results: z.array(
      z
        .object({
          entity_key: entityKeyValue,
          found: z.boolean().describe('some feature had values for the entity'),
          features: z.record(z.string(), cellValue).describe('`<feature>.<column>` → value (null: none)'),
          event_times: z
            .record(z.string(), isoInstant.nullable())
            .describe("per feature: the values' event time; null when not found or a static table"),
        })
        .strict(),
    ),
  })
  .strict() satisfies z.ZodType<Awaited<ReturnType<typeof lookupOnline>>>;

export const historicalFeaturesResponse = z
  .object({
    versions: z.record(z.string(), z.string()),
    rows: z
      .array(z.record(z.string(), cellValue))
      .describe('each entity row with `<feature>.<column>` and `<feature>.event_time` added'),
  })
  .strict() satisfies z.ZodType<Awaited<ReturnType<typeof historicalFeatures>>>;
