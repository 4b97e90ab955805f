/**
 * Every HTTP API route, once: the key API Gateway routes on, its area (first tag: the function
 * `functions/api-<area>/` serves it), who may call it, the zod schemas its handler validates, its success
 * status and answers. Area handlers map each key to a use case (`apiHandler('datasets', {...})` in
 * shared/lambda/http.ts) and shared/http/openapi.ts builds the OpenAPI document from the same entries, so
 * the document cannot drift from what handlers validate. test/infra/openapi.test.ts holds this table and
 * infra/stack.ts to the same route keys and functions.
 */
import type { z } from 'zod';
import * as responses from './responses.js';
import type { HttpMethod, RouteContract } from './route.js';
import * as schemas from './schemas.js';

/** Operation groups of the document, in the order a reader meets them. */
export const TAGS = {
  meta: 'The API itself: liveness and this description. No key.',
  files: 'Uploads (presigned PUTs into fresh/) and the files the pipeline registered.',
  datasets: 'Datasets, their ingestion settings, validation suite, drift settings and rows.',
  versions: 'Dataset versions: records, tags, diffs, downloads, drift and quality reports, promotion.',
  runs: 'Pipeline runs: one per ingested object, with their stages; retries of failed runs.',
  'training-sets': 'Training-set selection, manifests and consumption by training jobs.',
  lifecycle:
    'Statistics, the retention policy, cleanup (fresh → used → archived → deprecated → deleted) and vacuum of dataset tables.',
  features: 'Feature store: versioned features, offline rows, online and point-in-time lookups.',
  lineage: 'The lineage graph and models linked to what they were trained on.',
  connectors: 'Pull connectors: a database, REST API or bucket pulled into fresh/ on a schedule.',
} as const;
export type Tag = keyof typeof TAGS;

/** Error answers a route states itself; 400, 401/403, 429 and 5xx are implied (see openapi.ts). */
export type RouteErrorStatus = 404 | 409 | 410 | 422;

/** Media types of success answers; JSON unless a route says otherwise. */
export type MediaType = 'application/json' | 'text/html' | 'text/plain';

/** A registry entry as written below; `defineRoutes` fills in the key, method, path and defaults. */
interface RouteEntry {
  /** Unique; generated clients name their methods after it. */
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly Tag[];
  /** Default `apiKey`: `x-api-key`, mapped to the tenant by the authorizer. */
  readonly auth?: 'apiKey' | 'none';
  readonly path?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** Default 200. */
  readonly successStatus?: 200 | 201 | 202;
  /** The success answer (JSON); undescribed, it is documented as a JSON object. */
  readonly response?: z.ZodType;
  /** Default `['application/json']`; a text media type is documented as a string. */
  readonly mediaTypes?: readonly MediaType[];
  readonly errors?: readonly RouteErrorStatus[];
}

/** A complete entry, as handlers and the OpenAPI builder see it. */
export interface RouteSpec extends RouteContract, Omit<RouteEntry, keyof RouteContract> {
  /** The area the route belongs to (its first tag): one API function serves each area. */
  readonly area: Tag;
  /** The function folder: functions/<handler>/handler.ts serves the route (`api-<area>`). */
  readonly handler: `api-${Tag}`;
  readonly method: HttpMethod;
  /** API Gateway's path, `{name+}` for a greedy parameter. */
  readonly pathTemplate: string;
  readonly mediaTypes: readonly MediaType[];
  readonly errors: readonly RouteErrorStatus[];
}

type RouteKey = `${HttpMethod} /${string}`;

type Defined<K extends string, E extends RouteEntry> = Omit<
  E,
  'auth' | 'successStatus' | 'mediaTypes' | 'errors'
> &
  RouteSpec & { readonly key: K };

const ROUTE_KEY = /^(GET|POST|PUT|PATCH|DELETE) (\/[A-Za-z0-9._{}+-]*(?:\/[A-Za-z0-9._{}+-]+)*)$/;

function defineRoutes<const T extends Record<RouteKey, RouteEntry>>(
  entries: T,
): { readonly [K in keyof T & RouteKey]: Defined<K, T[K]> } {
  const defined = Object.entries(entries).map(([key, entry]: [string, RouteEntry]) => {
    const [, method, pathTemplate] = ROUTE_KEY.exec(key) ?? [];
    if (!method || !pathTemplate) throw new Error(`route key "${key}": METHOD /path expected`);
    const [area] = entry.tags;
    if (!area) throw new Error(`route "${key}": a tag names its area`);
    const spec: RouteSpec = {
      ...entry,
      key,
      area,
      handler: `api-${area}`,
      method: method as HttpMethod,
      pathTemplate,
      auth: entry.auth ?? 'apiKey',
      successStatus: entry.successStatus ?? 200,
      mediaTypes: entry.mediaTypes ?? ['application/json'],
      errors: entry.errors ?? [],
    };
    return [key, Object.freeze(spec)] as const;
  });
  return Object.freeze(Object.fromEntries(defined)) as never;
}

export const ROUTES = defineRoutes({
  // ---- meta ------------------------------------------------------------------------------------
  'GET /health': {
    operationId: 'getHealth',
    summary: 'Liveness of the API',
    description: 'Calls no dependency and returns no data.',
    tags: ['meta'],
    auth: 'none',
    response: responses.healthResponse,
  },
  'GET /openapi.json': {
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI 3.1 document',
    description:
      'Built from the same route registry the handlers validate with; `servers` names the URL it was fetched from.',
    tags: ['meta'],
    auth: 'none',
    response: responses.openApiResponse,
  },

  // ---- files -----------------------------------------------------------------------------------
  'POST /files/upload-url': {
    operationId: 'createUploadUrl',
    summary: 'Presigned PUT URL for one file',
    description:
      "Into `fresh/<tenant>/<dataset>/`, with data type, metadata and the declared `size` signed in. Metadata too large for a file record is a 422 MetadataTooLargeError. The answer names `bucket` and `key`; the file id follows from them and the PUT answer's `x-amz-version-id` (see `filesRoute`). The PUT must send the returned headers (among them `if-none-match: *`, so an existing file is never overwritten, and `content-length`: S3 refuses a body of any other length); the upload starts the pipeline. A `size` over the deployment's upload limit (default 5 GiB) is a 422 UploadTooLargeError.",
    tags: ['files'],
    body: schemas.uploadRequestBody,
    successStatus: 201,
    response: responses.uploadUrlResponse,
    errors: [422],
  },
  'POST /files/upload-urls': {
    operationId: 'createUploadUrls',
    summary: 'Presigned PUT URLs for up to 100 files',
    description:
      'As `POST /files/upload-url`, per file; one file over the upload limit refuses the whole request (422 UploadTooLargeError).',
    tags: ['files'],
    body: schemas.uploadRequestsBody,
    successStatus: 201,
    response: responses.uploadUrlsResponse,
    errors: [422],
  },
  'GET /files': {
    operationId: 'listFiles',
    summary: 'Files, newest first, paginated',
    description:
      "By `status` (its index), `dataset` (its index), `type`, user `metadata` (`metadata=source:crm,region:eu`: every pair must match) and object `key` (an upload URL's key: the file uploaded there, once register has recorded it; another tenant's key finds nothing). Filters the indexes do not hold (`type`, `metadata`, `key`, `dataset` beside `status`) are applied while paging: a page reads at most `limit` files a query, a few queries a page, so a page may hold fewer than `limit` files, even none, while `nextCursor` goes on; follow it to the end to see every match once.",
    tags: ['files'],
    query: schemas.listFilesQuery,
    response: responses.filesPageResponse,
  },
  'GET /files/{id}': {
    operationId: 'getFile',
    summary: 'One file',
    description:
      "Status, pipeline stage, parse and validation summary, failure (stage, error name, report), the version it produced, and the uploader's `metadata` (`metadataTruncated` when the object carried more than a record keeps).",
    tags: ['files'],
    path: schemas.filePath,
    response: responses.fileResponse,
    errors: [404],
  },

  // ---- datasets --------------------------------------------------------------------------------
  'GET /datasets': {
    operationId: 'listDatasets',
    summary: "The tenant's datasets with file counters",
    tags: ['datasets'],
    query: schemas.listDatasetsQuery,
    response: responses.datasetsPageResponse,
  },
  'GET /datasets/{name}': {
    operationId: 'getDataset',
    summary: 'One dataset',
    description: 'Counters, config, validation suite (and whether it was inferred), current version.',
    tags: ['datasets'],
    path: schemas.datasetPath,
    response: responses.datasetResponse,
    errors: [404],
  },
  'PUT /datasets/{name}/config': {
    operationId: 'putDatasetConfig',
    summary: "Set the dataset's ingestion config",
    description: 'Column mapping, type overrides, dedup keys, maximum error rate.',
    tags: ['datasets'],
    path: schemas.datasetPath,
    body: schemas.datasetConfigBody,
    response: responses.datasetConfigResponse,
  },
  'POST /datasets/{name}/validation-suite': {
    operationId: 'putValidationSuite',
    summary: 'Set the checks every new file must pass',
    description:
      'Replaces the suite; files that arrive from now on are judged by it. The body is a strata suite ' +
      '(`checks`: schema, required columns, completeness, uniqueness, range, allowed values, freshness, ' +
      'distribution (mean, std, median), row count, pattern, column type; severity ERROR, WARNING or INFO) or ' +
      'a Great Expectations expectation suite (`expectations`), told apart by shape. A GE suite is converted: ' +
      'column existence and type (and type lists), not null, unique, between, in set, regex, table row count, ' +
      'column mean/median/stdev between, with `mostly`; each check is named after its expectation and is an ' +
      'ERROR unless the expectation has a `severity`. Expectations (or arguments such as row_condition) strata ' +
      'cannot honour are left out and listed in `unsupported` with the reason; a GE suite with none it can take ' +
      'is refused (400), since storing an empty suite would switch validation off.',
    tags: ['datasets'],
    path: schemas.datasetPath,
    body: schemas.validationSuiteBody,
    response: responses.validationSuiteResponse,
  },
  'GET /datasets/{name}/drift-settings': {
    operationId: 'getDriftSettings',
    summary: 'Drift and quality gates, reference, column roles and effective thresholds',
    tags: ['datasets'],
    path: schemas.datasetPath,
    response: responses.driftSettingsResponse,
    errors: [404],
  },
  'PUT /datasets/{name}/drift-settings': {
    operationId: 'putDriftSettings',
    summary: "Replace the dataset's drift settings",
    description: 'An omitted field is unset: a gate off, the current version as reference.',
    tags: ['datasets'],
    path: schemas.datasetPath,
    body: schemas.driftSettingsBody,
    response: responses.driftSettingsResponse,
  },
  'GET /datasets/{name}/rows': {
    operationId: 'queryRows',
    summary: "Rows of the dataset's Delta table by timestamp",
    description:
      "`last=N`, or `start` (inclusive) / `end` (exclusive) as ISO 8601 or epoch seconds/milliseconds, over the dataset's Delta table as it is now, or at `version`'s Delta version (`delta_version` in the answer; a held version's staged file alone, `staged: true`; a version made before datasets were tables, its snapshot). Reads only the data files whose statistics overlap, and in them the row groups, and says so in `scan` (`files`, `filesRead`, `rowGroups`, `rowGroupsRead`, requests, bytes). A range's pages read the Delta version the first one read.",
    tags: ['datasets'],
    path: schemas.datasetPath,
    query: schemas.rowsQuery,
    response: responses.rowsPageResponse,
    errors: [404, 410],
  },
  'POST /datasets/{name}/rows': {
    operationId: 'ingestRows',
    summary: 'Ingest a small JSON body of rows as a new file',
    description:
      "For callers without the SDK: `{rows: [{…}]}` or `{columns: {name: [values]}}`, optional `metadata` (as an upload's) and `dataType`. The rows become a JSONL file under `fresh/<tenant>/<name>/rows/` (named by content and metadata, so a retried request is one file) and the pipeline ingests it like an upload, inferring types as for a .jsonl file. 202 with the object `key`, the `fileId` and the `runId` to poll (`GET /runs/{id}`, 404 until its first stage starts). At most 5 MiB of JSONL (422 UploadTooLargeError); a body over 6 MB never reaches strata (API Gateway and Lambda refuse it). Larger data: `POST /files/upload-url`.",
    tags: ['datasets'],
    path: schemas.datasetPath,
    body: schemas.ingestRowsBody,
    successStatus: 202,
    response: responses.ingestRowsResponse,
    errors: [422],
  },
  'POST /datasets/{name}/predictions': {
    operationId: 'writePredictions',
    summary: 'Write model predictions back as a new file',
    description:
      'The rows become a Parquet file under `fresh/<tenant>/<name>-predictions/` (named by content, so a retry is one file) declaring the model and the scored version; the pipeline versions it with lineage edges `derived_from` and `scored_by`.',
    tags: ['datasets'],
    path: schemas.datasetPath,
    body: schemas.predictionsBody,
    successStatus: 202,
    response: responses.predictionsAcceptedResponse,
    errors: [404],
  },

  // ---- versions --------------------------------------------------------------------------------
  'GET /datasets/{name}/versions': {
    operationId: 'listVersions',
    summary: 'Versions, newest first, paginated',
    description: 'With `tag`, only the versions carrying it.',
    tags: ['versions'],
    path: schemas.datasetPath,
    query: schemas.listVersionsQuery,
    response: responses.versionsPageResponse,
    errors: [404],
  },
  'GET /datasets/{name}/versions/latest': {
    operationId: 'getLatestVersion',
    summary: 'The current version, with its profile and validation report',
    description: 'The literal `latest` wins over `{v}`; 404 before the first version.',
    tags: ['versions'],
    path: schemas.datasetPath,
    response: responses.versionDetailResponse,
    errors: [404],
  },
  'GET /datasets/{name}/versions/{v}': {
    operationId: 'getVersion',
    summary: 'A version with its profile and validation report',
    tags: ['versions'],
    path: schemas.versionPath,
    response: responses.versionDetailResponse,
    errors: [404],
  },
  'PATCH /datasets/{name}/versions/{v}': {
    operationId: 'updateVersion',
    summary: "Edit a version's tags and description",
    description:
      '`tags` replaces them, `add_tags`/`remove_tags` edit them; `description` "" removes it. Answers the updated version.',
    tags: ['versions'],
    path: schemas.versionPath,
    body: schemas.updateVersionBody,
    response: responses.updatedVersionResponse,
    errors: [404],
  },
  'GET /datasets/{name}/versions/{v}/diff/{other}': {
    operationId: 'diffVersions',
    summary: 'What changed from version v to other',
    description:
      'Either may be `latest`. Schema changes, row count delta, per-column profile shifts, top values that appeared or disappeared; from the records and profiles only.',
    tags: ['versions'],
    path: schemas.versionDiffPath,
    response: responses.versionDiffResponse,
    errors: [404],
  },
  'GET /datasets/{name}/versions/{v}/data': {
    operationId: 'getVersionData',
    summary: 'The version as Parquet or CSV, from its Delta table',
    description:
      "From the dataset's Delta table at the version (a held version: its staged file). One data file: a presigned `url` of it (Parquet) or of its CSV (made once, then kept). Several: Parquet is `files` (each data file presigned; past 500, only `files_route`); CSV is one CSV per data file, made a bounded step per call: `status: pending` with `progress` until all exist, then `ready` with `files`.",
    tags: ['versions'],
    path: schemas.versionPath,
    query: schemas.versionDataQuery,
    response: responses.versionDataResponse,
    errors: [404, 410],
  },
  'GET /datasets/{name}/versions/{v}/files': {
    operationId: 'getVersionFiles',
    summary: "The data files of the dataset's Delta table at the version",
    description:
      "Presigned URLs of the table's data files at the version's Delta version, with their rows and statistics, plus `table_uri` and `delta_version` for engines that read the table itself (Spark, Athena, Polars, pandas). A held version's staged file alone, flagged `staged`. Paged with `limit` and `cursor`.",
    tags: ['versions'],
    path: schemas.versionPath,
    query: schemas.versionFilesQuery,
    response: responses.versionFilesResponse,
    errors: [404, 410],
  },
  'GET /datasets/{name}/versions/{v}/drift': {
    operationId: 'getDriftReport',
    summary: "The version's drift report against its reference",
    tags: ['versions'],
    path: schemas.versionPath,
    response: responses.driftReportResponse,
    errors: [404],
  },
  'GET /datasets/{name}/versions/{v}/drift.html': {
    operationId: 'getDriftReportHtml',
    summary: "The version's drift report as a self-contained HTML page",
    description: 'Rendered from the stored JSON report, with the version number in its header.',
    tags: ['versions'],
    path: schemas.versionPath,
    mediaTypes: ['text/html'],
    errors: [404],
  },
  'GET /datasets/{name}/versions/{v}/quality': {
    operationId: 'getQualityReport',
    summary: "The version's data-quality report",
    tags: ['versions'],
    path: schemas.versionPath,
    response: responses.qualityReportResponse,
    errors: [404],
  },
  'GET /datasets/{name}/versions/{v}/quality.html': {
    operationId: 'getQualityReportHtml',
    summary: "The version's data-quality report as a self-contained HTML page",
    description: 'Rendered from the stored JSON report, with the version number in its header.',
    tags: ['versions'],
    path: schemas.versionPath,
    mediaTypes: ['text/html'],
    errors: [404],
  },
  'POST /datasets/{name}/versions/{v}/promote': {
    operationId: 'promoteVersion',
    summary: 'Make a (held) version current',
    description:
      "Reason, time and the previous current version are recorded on the version. A held version's staged data file is first committed to the dataset's Delta table (once, however often it is promoted); 422 when it no longer fits the table's schema.",
    tags: ['versions'],
    path: schemas.versionPath,
    body: schemas.promoteVersionBody,
    response: responses.promotedVersionResponse,
    errors: [404, 422],
  },

  // ---- runs ------------------------------------------------------------------------------------
  'GET /runs/{id}': {
    operationId: 'getRun',
    summary: 'A pipeline run with its stages',
    description:
      'Status, file, timings, outcome or failure, retry links; per stage start, end, duration, attempts, error. A RUNNING run whose execution ended without a stage recording it is ended FAILED on read (`ExecutionFailed`, `ExecutionTimedOut`, `ExecutionAborted`).',
    tags: ['runs'],
    path: schemas.runPath,
    response: responses.runResponse,
    errors: [404],
  },
  'POST /runs/{id}/retry': {
    operationId: 'retryRun',
    summary: "Run a FAILED run's object through the pipeline again",
    description:
      'A new run `<id>-r<N>` linked both ways (`retryOf`, `retriedBy`); asking again answers with the same retry; 409 for a run that did not fail.',
    tags: ['runs'],
    path: schemas.runPath,
    successStatus: 202,
    response: responses.retriedRunResponse,
    errors: [404, 409],
  },
  'GET /datasets/{name}/runs': {
    operationId: 'listRuns',
    summary: "The dataset's runs, newest first, paginated",
    tags: ['runs'],
    path: schemas.datasetPath,
    query: schemas.listRunsQuery,
    response: responses.runsPageResponse,
  },
  'GET /datasets/{name}/runs/latest-successful': {
    operationId: 'getLatestSuccessfulRun',
    summary: 'The newest SUCCEEDED run with its stages',
    tags: ['runs'],
    path: schemas.datasetPath,
    response: responses.runResponse,
    errors: [404],
  },

  // ---- training sets ---------------------------------------------------------------------------
  'POST /training-sets': {
    operationId: 'createTrainingSet',
    summary: 'Select files into an immutable training set',
    description:
      "The newest FRESH files with a READY version, content duplicates skipped, stopping at the first file over budget; with no fresh match, the dataset's `sample` files. With `dataset` and `version`: that version's Delta table instead, every data file of its Delta version (`selection: table`, the manifest's `table` lists the files with rows and size). Files are read from the datasets' Delta tables. Writes a create-only manifest (and optionally one combined file); 422 `EmptySelectionError` when nothing fits.",
    tags: ['training-sets'],
    body: schemas.createTrainingSetBody,
    successStatus: 201,
    response: responses.trainingSetCreatedResponse,
    errors: [404, 410, 422],
  },
  'GET /training-sets/{id}': {
    operationId: 'getTrainingSet',
    summary: 'The record, its manifest and fresh presigned links',
    tags: ['training-sets'],
    path: schemas.trainingSetPath,
    response: responses.trainingSetResponse,
    errors: [404],
  },
  'POST /training-sets/{id}/consume': {
    operationId: 'consumeTrainingSet',
    summary: "Count a training job's use of every file of the set",
    description:
      'Once per (file, job) under retries and concurrent callers; then FRESH → USED and USED → ARCHIVED past the policy. A repeated call of a complete consumption gets the stored answer (`replayed: true`).',
    tags: ['training-sets'],
    path: schemas.trainingSetPath,
    body: schemas.consumeTrainingSetBody,
    response: responses.trainingSetConsumedResponse,
    errors: [404, 409],
  },
  'POST /files/{id}/consume': {
    operationId: 'consumeFile',
    summary: "Count a training job's use of one file",
    description:
      "For a job that read a file by itself rather than through a training set. Once per (file, job), the same count a training set's consume keeps (a job that marks a file and consumes a set holding it counts once); then FRESH → USED and USED → ARCHIVED past the policy. `outcome: already-counted` for a repeated call. 409 `FileNotConsumableError` for a file not served for training (deprecated, quarantined, a duplicate). Served with the training sets, whose function moves files.",
    tags: ['training-sets', 'files'],
    path: schemas.filePath,
    body: schemas.consumeTrainingSetBody,
    response: responses.fileConsumedResponse,
    errors: [404, 409],
  },

  // ---- lifecycle -------------------------------------------------------------------------------
  'GET /statistics': {
    operationId: 'getStatistics',
    summary: 'Files, bytes and usage by status, data type and dataset',
    tags: ['lifecycle'],
    response: responses.statisticsResponse,
  },
  'GET /retention-policy': {
    operationId: 'getRetentionPolicy',
    summary: "The tenant's retention policy",
    tags: ['lifecycle'],
    response: responses.retentionPolicyResponse,
    errors: [404],
  },
  'PUT /retention-policy': {
    operationId: 'putRetentionPolicy',
    summary: "Set the tenant's retention policy, applied daily by the scheduler",
    tags: ['lifecycle'],
    body: schemas.retentionPolicyBody,
    response: responses.retentionPolicyResponse,
  },
  'POST /cleanup': {
    operationId: 'cleanup',
    summary: 'Deprecate old used files; delete deprecated ones past their grace period',
    description:
      '`days_old` overrides the stored policy; `dry_run` is required and answers what would be done.',
    tags: ['lifecycle'],
    body: schemas.cleanupBody,
    response: responses.cleanupResponse,
  },
  'POST /datasets/{name}/vacuum': {
    operationId: 'vacuumDataset',
    summary: "Delete the table's data files removed longer ago than the table retention",
    description:
      "Deletes the data files of the dataset's Delta table that a commit removed (an overwrite, an upsert) more than the retention policy's `tableRetentionDays` ago (7 without a policy); never a file the latest version reads, never `_delta_log/`. Versions that read a deleted file then answer 410 (`oldestReadableVersion`: the oldest Delta version still readable). `dry_run` answers the files and bytes it would delete and deletes nothing. The daily lifecycle schedule vacuums every dataset of a tenant with a policy.",
    tags: ['lifecycle'],
    path: schemas.datasetPath,
    body: schemas.vacuumBody,
    response: responses.vacuumResponse,
    errors: [404],
  },

  // ---- features --------------------------------------------------------------------------------
  'POST /features/{name}/versions': {
    operationId: 'registerFeatureVersion',
    summary: 'Register a feature version',
    description:
      "From a dataset version (its Delta table at the version's Delta version, every data file) or inline columns: offline Parquet per split and online values. Without `timestamp_column` the version is a static table: served whole offline, online by its `entity_keys` when it names them (one row per entity, else 400), never point in time, and not engineered by a `transform`. 422 `TableTooLargeError` when the table version has more rows than a registration takes.",
    tags: ['features'],
    path: schemas.featurePath,
    body: schemas.registerFeatureBody,
    successStatus: 201,
    response: responses.registeredFeatureResponse,
    errors: [404, 409, 410, 422],
  },
  'GET /features/{name}': {
    operationId: 'getFeatures',
    summary: 'A page of feature rows, or presigned Parquet URLs per split',
    tags: ['features'],
    path: schemas.featurePath,
    query: schemas.getFeaturesQuery,
    response: responses.featuresResponse,
    errors: [404],
  },
  'POST /features/online': {
    operationId: 'getOnlineFeatures',
    summary: 'Latest materialized feature values per entity (≤ 100)',
    description:
      'A static table (no timestamp column) answers its row for the key, with a null event time. 422 `FeatureNotServableError` for a version registered without an entity key: it has no online values.',
    tags: ['features'],
    body: schemas.onlineFeaturesBody,
    response: responses.onlineFeaturesResponse,
    errors: [404, 422],
  },
  'POST /features/historical': {
    operationId: 'getHistoricalFeatures',
    summary: 'Point-in-time correct feature values for entity rows (≤ 10 000)',
    description:
      '422 `FeatureNotServableError` when a reference names a static table (no timestamp column): there is no time to join as of; read it with `GET /features/{name}` or online by its entity key.',
    tags: ['features'],
    body: schemas.historicalFeaturesBody,
    response: responses.historicalFeaturesResponse,
    errors: [404, 422],
  },

  // ---- lineage and models ----------------------------------------------------------------------
  'GET /lineage/{node+}': {
    operationId: 'getLineage',
    summary: 'The lineage graph around a node',
    description:
      'Up, down or both, to `depth` levels; JSON, or a Mermaid flowchart as text with `format=mermaid`.',
    tags: ['lineage'],
    path: schemas.lineagePath,
    query: schemas.lineageQuery,
    response: responses.lineageGraphResponse,
    mediaTypes: ['application/json', 'text/plain'],
  },
  'GET /models/{name}/versions/{v}': {
    operationId: 'getModelVersion',
    summary: 'A model version and what it is linked to',
    tags: ['lineage'],
    path: schemas.modelVersionPath,
    response: responses.modelVersionResponse,
    errors: [404],
  },
  'POST /models/{name}/versions/{v}/links': {
    operationId: 'linkModelVersion',
    summary: 'Record what a model version was trained on',
    description: 'A dataset version, a training set or a feature version; adds a `trained_on` lineage edge.',
    tags: ['lineage'],
    path: schemas.modelVersionPath,
    body: schemas.modelLinkBody,
    successStatus: 201,
    response: responses.modelVersionResponse,
    errors: [404],
  },

  // ---- connectors ------------------------------------------------------------------------------
  'PUT /datasets/{name}/connector': {
    operationId: 'putConnector',
    summary: "Create or replace the dataset's pull connector",
    description:
      'Source `database` (PostgreSQL/MySQL), `rest` or `s3`, the schedule in minutes, enabled. Secrets are ' +
      'named, never sent: Secrets Manager `strata/<tenant>/<name>`. The watermark is kept unless ' +
      '`resetWatermark`; a new or re-enabled connector runs at the next scheduler tick.',
    tags: ['connectors'],
    path: schemas.datasetPath,
    body: schemas.connectorBody,
    errors: [409],
    response: responses.connectorResponse,
  },
  'GET /datasets/{name}/connector': {
    operationId: 'getConnector',
    summary: 'The connector with its watermark, next run and last run',
    tags: ['connectors'],
    path: schemas.datasetPath,
    errors: [404],
    response: responses.connectorResponse,
  },
  'DELETE /datasets/{name}/connector': {
    operationId: 'deleteConnector',
    summary: 'Remove the connector (its runs stay listed)',
    description: 'A run in progress stops at its next batch: it can no longer store a watermark.',
    tags: ['connectors'],
    path: schemas.datasetPath,
    response: responses.connectorDeletedResponse,
    errors: [404],
  },
  'POST /datasets/{name}/connector/runs': {
    operationId: 'startConnectorRun',
    summary: 'Pull now, whatever the schedule says',
    description: 'Answers the run id at once; poll `GET …/connector/runs/{runId}`. 409 while a run is going.',
    tags: ['connectors'],
    path: schemas.datasetPath,
    successStatus: 202,
    errors: [404, 409],
    response: responses.connectorRunStartedResponse,
  },
  'GET /datasets/{name}/connector/runs': {
    operationId: 'listConnectorRuns',
    summary: "The connector's runs, newest first, paginated",
    tags: ['connectors'],
    path: schemas.datasetPath,
    query: schemas.paginationQuery,
    response: responses.connectorRunsPageResponse,
  },
  'GET /datasets/{name}/connector/runs/{runId}': {
    operationId: 'getConnectorRun',
    summary: 'One connector run',
    description:
      'Status, records read / written / failed / skipped, bytes, files written to fresh/, duration, error ' +
      'rate, watermark before and after, error.',
    tags: ['connectors'],
    path: schemas.connectorRunPath,
    errors: [404],
    response: responses.connectorRunResponse,
  },
});

export type RouteKeyOf = keyof typeof ROUTES;

/** Every entry, in the order above. */
export const ROUTE_LIST: readonly RouteSpec[] = Object.values(ROUTES);

/**
 * What API Gateway routes, by area: a greedy route per path prefix of an area (its function then finds the
 * entry by method and path, `resolveRoute` in route.ts), so a new entry under an existing prefix needs no
 * infrastructure. A path under another area's prefix is routed on its own (API Gateway picks the most
 * specific route); public entries keep their exact routes, since they take no authorizer.
 * `test/infra/openapi.test.ts` checks that every entry reaches its own area this way.
 */
export const GATEWAY_ROUTES: readonly { area: Tag; key: string; auth: 'apiKey' | 'none' }[] = [
  { area: 'meta', key: 'GET /health', auth: 'none' },
  { area: 'meta', key: 'GET /openapi.json', auth: 'none' },
  { area: 'files', key: 'ANY /files', auth: 'apiKey' },
  { area: 'files', key: 'ANY /files/{proxy+}', auth: 'apiKey' },
  { area: 'datasets', key: 'ANY /datasets', auth: 'apiKey' },
  { area: 'datasets', key: 'ANY /datasets/{name}', auth: 'apiKey' },
  { area: 'datasets', key: 'ANY /datasets/{name}/{proxy+}', auth: 'apiKey' },
  { area: 'versions', key: 'ANY /datasets/{name}/versions', auth: 'apiKey' },
  { area: 'versions', key: 'ANY /datasets/{name}/versions/{proxy+}', auth: 'apiKey' },
  { area: 'runs', key: 'ANY /runs/{proxy+}', auth: 'apiKey' },
  { area: 'runs', key: 'ANY /datasets/{name}/runs', auth: 'apiKey' },
  { area: 'runs', key: 'ANY /datasets/{name}/runs/{proxy+}', auth: 'apiKey' },
  { area: 'training-sets', key: 'ANY /training-sets', auth: 'apiKey' },
  { area: 'training-sets', key: 'ANY /training-sets/{proxy+}', auth: 'apiKey' },
  { area: 'training-sets', key: 'POST /files/{id}/consume', auth: 'apiKey' },
  { area: 'lifecycle', key: 'ANY /statistics', auth: 'apiKey' },
  { area: 'lifecycle', key: 'ANY /retention-policy', auth: 'apiKey' },
  { area: 'lifecycle', key: 'ANY /cleanup', auth: 'apiKey' },
  { area: 'lifecycle', key: 'ANY /datasets/{name}/vacuum', auth: 'apiKey' },
  { area: 'features', key: 'ANY /features/{proxy+}', auth: 'apiKey' },
  { area: 'lineage', key: 'ANY /lineage/{proxy+}', auth: 'apiKey' },
  { area: 'lineage', key: 'ANY /models/{proxy+}', auth: 'apiKey' },
  { area: 'connectors', key: 'ANY /datasets/{name}/connector', auth: 'apiKey' },
  { area: 'connectors', key: 'ANY /datasets/{name}/connector/{proxy+}', auth: 'apiKey' },
];
