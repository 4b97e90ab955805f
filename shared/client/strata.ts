/**
 * The strata HTTP API from TypeScript, route by route (what the CLI uses): datasets and their config,
 * versions, the table's rows, files and downloads, promotion, vacuum, drift reports, uploads, files, runs,
 * training sets, lineage, cleanup, pull connectors. Answers are typed by the route registry's answer
 * schemas (shared/http/responses.ts, each held to its use case's result); errors are `ApiError` (see
 * http.ts). The feature store has its own client (feature-store.ts).
 */

import type { z } from 'zod';
import type { connectorView } from '../app/connectors/settings.js';
import type { ConnectorSettingsInput } from '../domain/connector-runs.js';
import type { DatasetConfig } from '../domain/dataset.js';
import type { DriftReport } from '../domain/drift/report.js';
import type { FileStatus } from '../domain/file-record.js';
import type { DataType } from '../domain/object-key.js';
import type { QualityReport } from '../domain/quality/types.js';
import type { RunStatus } from '../domain/run.js';
import type {
  cleanupResponse,
  connectorDeletedResponse,
  connectorRunResponse,
  connectorRunStartedResponse,
  connectorRunsPageResponse,
  datasetConfigResponse,
  datasetResponse,
  datasetsPageResponse,
  driftReportResponse,
  driftSettingsResponse,
  fileConsumedResponse,
  fileResponse,
  filesPageResponse,
  ingestRowsResponse,
  lineageGraphResponse,
  modelVersionResponse,
  predictionsAcceptedResponse,
  promotedVersionResponse,
  qualityReportResponse,
  retentionPolicyResponse,
  retriedRunResponse,
  rowsPageResponse,
  runResponse,
  runsPageResponse,
  statisticsResponse,
  trainingSetConsumedResponse,
  trainingSetCreatedResponse,
  trainingSetResponse,
  updatedVersionResponse,
  uploadUrlResponse,
  uploadUrlsResponse,
  vacuumResponse,
  validationSuiteResponse,
  versionDataResponse,
  versionDetailResponse,
  versionDiffResponse,
  versionFilesResponse,
  versionsPageResponse,
} from '../http/responses.js';
import type {
  driftSettingsBody,
  ingestRowsBody,
  modelLinkBody,
  retentionPolicyBody,
  validationSuiteBody,
} from '../http/schemas.js';
import { type ClientConfig, createHttpClient } from './http.js';

export interface UploadUrlRequest {
  dataset: string;
  fileName: string;
  /** Bytes the PUT will send; signed into the URL, which then takes a body of exactly this length. */
  size: number;
  dataType?: DataType;
  format?: 'csv' | 'jsonl' | 'json' | 'parquet';
  contentType?: string;
  metadata?: Record<string, string>;
}

/** `POST /files/upload-url`'s answer: where and how to PUT the file, and where its record will be. */
export type UploadUrl = z.infer<typeof uploadUrlResponse>;

export interface Page {
  nextCursor?: string;
}

/** `GET /datasets/{name}/versions`: newest first. */
export type VersionList = z.infer<typeof versionsPageResponse>;

/** A version with the file's profile (what the gates judged), its validation report and the table's profile. */
export type VersionDetail = z.infer<typeof versionDetailResponse>;

/** `POST …/versions/{v}/promote`: the version made current, with the hold it was promoted over. */
export type PromotedVersion = z.infer<typeof promotedVersionResponse>;

/** `GET /datasets/{name}/rows`: `last` (newest first unless `order: 'asc'`), or a `start`/`end` range. */
export interface RowsQueryParams {
  last?: number;
  order?: 'asc' | 'desc';
  /** ISO 8601, or epoch seconds or milliseconds; inclusive. */
  start?: string | number;
  /** Exclusive. */
  end?: string | number;
  version?: number;
  /** The time column (default: the dataset's, else its first timestamp column). */
  column?: string;
  columns?: string[];
  limit?: number;
  cursor?: string;
}

/** `GET /datasets/{name}/rows`: a page of rows (timestamps as ISO 8601) and what the scan read. */
export type RowsPage = z.infer<typeof rowsPageResponse>;

export type VersionData = z.infer<typeof versionDataResponse>;
export type VersionFilesPage = z.infer<typeof versionFilesResponse>;
export type VacuumResult = z.infer<typeof vacuumResponse>;

/**
 * `GET …/versions/{v}/drift`: the route's answer, its report typed whole by the domain's report format
 * (the route's schema states the report's header and leaves per-column details open).
 */
export type DriftDocument = Omit<z.infer<typeof driftReportResponse>, 'report'> & { report: DriftReport };

/** `GET …/versions/{v}/quality`: as `DriftDocument`, for the quality report. */
export type QualityDocument = Omit<z.infer<typeof qualityReportResponse>, 'report'> & {
  report: QualityReport;
};

export interface TrainingSetRequest {
  dataset?: string;
  /** With `dataset`: that version's whole table (every data file of its Delta version). */
  version?: number;
  type?: DataType;
  since?: string;
  maxRows?: number;
  maxBytes?: number;
  combine?: 'parquet' | 'jsonl';
}

/** `POST /training-sets`: the set's id, what it selected and presigned links of its manifest. */
export type TrainingSetCreated = z.infer<typeof trainingSetCreatedResponse>;

/** `POST /training-sets/{id}/consume`: what this job's use counted and moved. */
export type ConsumeAnswer = z.infer<typeof trainingSetConsumedResponse>;

export interface LineageQuery {
  direction?: 'up' | 'down' | 'both';
  depth?: number;
}

/** `GET /datasets/{name}/connector` (and the PUT's answer): the settings and the pull's state. */
export type ConnectorView = ReturnType<typeof connectorView>;

/** The settings `PUT /datasets/{name}/connector` takes; the API validates them. */
export type ConnectorSettingsBody = ConnectorSettingsInput;

export type ConnectorRunStarted = z.infer<typeof connectorRunStartedResponse>;

/** `GET /datasets/{name}/connector/runs`: newest first. */
export type ConnectorRunList = z.infer<typeof connectorRunsPageResponse>;

/** `GET /files`: newest first; `status` and `type` filter (any case), `dataset` narrows. */
export interface ListFilesQuery {
  status?: FileStatus | Lowercase<FileStatus>;
  type?: DataType;
  dataset?: string;
  limit?: number;
  cursor?: string;
}

export type FilesPage = z.infer<typeof filesPageResponse>;

/** `GET /files/{id}`: the file record. */
export type FileDetail = z.infer<typeof fileResponse>;

/** `GET /runs/{id}`: the run with its stages. */
export type RunDetail = z.infer<typeof runResponse>;

/** `POST /files/{id}/consume`. */
export type FileConsumedAnswer = z.infer<typeof fileConsumedResponse>;

/** `GET` and `PUT /datasets/{name}/drift-settings`: the settings as stored and the thresholds in effect. */
export type DriftSettingsView = z.infer<typeof driftSettingsResponse>;

/** `POST /cleanup`: what was (or, dry, would be) deprecated and deleted. */
export type CleanupAnswer = z.infer<typeof cleanupResponse>;

/** `PATCH /datasets/{name}/versions/{v}`: `tags` replaces them, `addTags`/`removeTags` edit them. */
export interface VersionMetadataChange {
  tags?: string[];
  addTags?: string[];
  removeTags?: string[];
  /** "" removes it. */
  description?: string;
}

/** `POST /datasets/{name}/predictions`. */
export interface PredictionsRequest {
  model: { name: string; version: string };
  /** The scored version of the dataset; default its current version. */
  inputVersion?: number;
  /** Default `timestamp`; every row needs it. */
  timestampColumn?: string;
  rows: Array<Record<string, string | number | boolean | null>>;
}

export type PredictionsAccepted = z.infer<typeof predictionsAcceptedResponse>;

/** `GET /datasets/{name}/runs`: newest first. */
export type RunList = z.infer<typeof runsPageResponse>;

/** `GET /training-sets/{id}`: the record, its manifest and fresh presigned links of it. */
export type TrainingSetDetail = z.infer<typeof trainingSetResponse>;

/** `type/name` as the lineage route takes it; each segment encoded, `@` kept readable. */
export function lineagePath(node: string): string {
  return `/lineage/${node
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%40/g, '@'))
    .join('/')}`;
}

export function createStrataClient(config: ClientConfig) {
  const http = createHttpClient(config);
  const dataset = (name: string) => `/datasets/${encodeURIComponent(name)}`;
  const version = (name: string, v: number | 'latest') => `${dataset(name)}/versions/${v}`;
  const connector = (name: string) => `${dataset(name)}/connector`;
  return {
    listDatasets(query: { limit?: number; cursor?: string } = {}) {
      return http.request<z.infer<typeof datasetsPageResponse>>('GET', '/datasets', { query });
    },
    getDataset(name: string) {
      return http.request<z.infer<typeof datasetResponse>>('GET', dataset(name));
    },
    listVersions(name: string, query: { limit?: number; cursor?: string; tag?: string } = {}) {
      return http.request<VersionList>('GET', `${dataset(name)}/versions`, { query });
    },
    getVersion(name: string, v: number | 'latest') {
      return http.request<VersionDetail>('GET', version(name, v));
    },
    drift(name: string, v: number) {
      return http.request<DriftDocument>('GET', `${version(name, v)}/drift`);
    },
    /** The drift report as a self-contained HTML page. */
    driftHtml(name: string, v: number) {
      return http.request<string>('GET', `${version(name, v)}/drift.html`);
    },
    /** Replaces the dataset's ingestion config: write mode, key columns, schema policy, parsing. */
    setConfig(name: string, config: DatasetConfig) {
      return http.request<z.infer<typeof datasetConfigResponse>>('PUT', `${dataset(name)}/config`, {
        body: config,
      });
    },
    /** Rows of the dataset's Delta table (now, or at `version`) by their timestamp. */
    rows(name: string, query: RowsQueryParams) {
      const { columns, ...rest } = query;
      return http.request<RowsPage>('GET', `${dataset(name)}/rows`, {
        query: { ...rest, ...(columns && { columns: columns.join(',') }) },
      });
    },
    /** The data files of the table at the version, presigned, with the table URI for other engines. */
    versionFiles(name: string, v: number, query: { limit?: number; cursor?: string } = {}) {
      return http.request<VersionFilesPage>('GET', `${version(name, v)}/files`, { query });
    },
    /** The version as Parquet or CSV (a multi-file CSV answers `pending` until made: call again). */
    versionData(name: string, v: number, format: 'parquet' | 'csv' = 'parquet') {
      return http.request<VersionData>('GET', `${version(name, v)}/data`, { query: { format } });
    },
    /** Commits a held version to the table and makes it current. */
    promote(name: string, v: number, reason: string) {
      return http.request<PromotedVersion>('POST', `${version(name, v)}/promote`, { body: { reason } });
    },
    /** Deletes the table's data files removed longer ago than the retention (or says which, dry). */
    vacuum(name: string, options: { dryRun?: boolean } = {}) {
      return http.request<VacuumResult>('POST', `${dataset(name)}/vacuum`, {
        body: { dry_run: options.dryRun ?? false },
      });
    },
    /** Up to 100 presigned uploads in one call. */
    createUploadUrls(files: UploadUrlRequest[]) {
      return http.request<z.infer<typeof uploadUrlsResponse>>('POST', '/files/upload-urls', {
        body: { files },
      });
    },
    /**
     * Sets the checks every new file of the dataset must pass: a strata suite (`checks`) or a Great
     * Expectations suite (`expectations`), whose unsupported expectations the answer lists.
     */
    setValidationSuite(name: string, suite: z.input<typeof validationSuiteBody>) {
      return http.request<z.infer<typeof validationSuiteResponse>>(
        'POST',
        `${dataset(name)}/validation-suite`,
        {
          body: suite,
        },
      );
    },
    /** Drift and quality gates, reference, column roles and effective thresholds. */
    getDriftSettings(name: string) {
      return http.request<DriftSettingsView>('GET', `${dataset(name)}/drift-settings`);
    },
    /** Replaces the drift settings (an omitted field is unset). */
    setDriftSettings(name: string, settings: z.input<typeof driftSettingsBody>) {
      return http.request<DriftSettingsView>('PUT', `${dataset(name)}/drift-settings`, { body: settings });
    },
    /** A small JSON body of rows (or columns) into the dataset, ingested like an upload. */
    postRows(name: string, body: z.input<typeof ingestRowsBody>) {
      return http.request<z.infer<typeof ingestRowsResponse>>('POST', `${dataset(name)}/rows`, { body });
    },
    /** The version's data-quality report. */
    quality(name: string, v: number) {
      return http.request<QualityDocument>('GET', `${version(name, v)}/quality`);
    },
    /** Runs a failed file again, as a run linked to the failed one. */
    retryRun(id: string) {
      return http.request<z.infer<typeof retriedRunResponse>>(
        'POST',
        `/runs/${encodeURIComponent(id)}/retry`,
      );
    },
    getRetentionPolicy() {
      return http.request<z.infer<typeof retentionPolicyResponse>>('GET', '/retention-policy');
    },
    setRetentionPolicy(policy: z.input<typeof retentionPolicyBody>) {
      return http.request<z.infer<typeof retentionPolicyResponse>>('PUT', '/retention-policy', {
        body: policy,
      });
    },
    /** A model version and the dataset versions, training sets and features it is linked to. */
    getModelVersion(model: string, v: string) {
      return http.request<z.infer<typeof modelVersionResponse>>(
        'GET',
        `/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(v)}`,
      );
    },
    /** Links a model version to what it was trained on (a dataset version, a training set, a feature). */
    linkModel(model: string, v: string, link: z.input<typeof modelLinkBody>) {
      return http.request<z.infer<typeof modelVersionResponse>>(
        'POST',
        `/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(v)}/links`,
        { body: link },
      );
    },
    createUploadUrl(request: UploadUrlRequest) {
      return http.request<UploadUrl>('POST', '/files/upload-url', { body: request });
    },
    getFile(id: string) {
      return http.request<FileDetail>('GET', `/files/${encodeURIComponent(id)}`);
    },
    getRun(id: string) {
      return http.request<RunDetail>('GET', `/runs/${encodeURIComponent(id)}`);
    },
    createTrainingSet(request: TrainingSetRequest) {
      return http.request<TrainingSetCreated>('POST', '/training-sets', { body: request });
    },
    consumeTrainingSet(id: string, jobId: string) {
      return http.request<ConsumeAnswer>('POST', `/training-sets/${encodeURIComponent(id)}/consume`, {
        body: { job_id: jobId },
      });
    },
    consumeFile(fileId: string, jobId: string) {
      return http.request<FileConsumedAnswer>('POST', `/files/${encodeURIComponent(fileId)}/consume`, {
        body: { job_id: jobId },
      });
    },
    lineage(node: string, query: LineageQuery = {}) {
      return http.request<z.infer<typeof lineageGraphResponse>>('GET', lineagePath(node), {
        query: { ...query, format: 'json' },
      });
    },
    /** The same walk as a Mermaid flowchart (text). */
    lineageMermaid(node: string, query: LineageQuery = {}) {
      return http.request<string>('GET', lineagePath(node), { query: { ...query, format: 'mermaid' } });
    },
    /** `dryRun` is required by the API: the call can delete objects. */
    cleanup(request: { daysOld?: number; dryRun: boolean }) {
      return http.request<CleanupAnswer>('POST', '/cleanup', {
        body: {
          ...(request.daysOld !== undefined && { days_old: request.daysOld }),
          dry_run: request.dryRun,
        },
      });
    },
    /** Creates or replaces the dataset's pull connector; the watermark stays unless `resetWatermark`. */
    putConnector(name: string, settings: ConnectorSettingsBody) {
      return http.request<ConnectorView>('PUT', connector(name), { body: settings });
    },
    getConnector(name: string) {
      return http.request<ConnectorView>('GET', connector(name));
    },
    /** Its runs stay listed. */
    deleteConnector(name: string) {
      return http.request<z.infer<typeof connectorDeletedResponse>>('DELETE', connector(name));
    },
    /** Pulls now (202); 409 ConflictError while a run holds the lease. The run record appears shortly after. */
    startConnectorRun(name: string) {
      return http.request<ConnectorRunStarted>('POST', `${connector(name)}/runs`);
    },
    listConnectorRuns(name: string, query: { limit?: number; cursor?: string } = {}) {
      return http.request<ConnectorRunList>('GET', `${connector(name)}/runs`, { query });
    },
    /** 404 until the pull function has written the run's first record. */
    getConnectorRun(name: string, runId: string) {
      return http.request<z.infer<typeof connectorRunResponse>>(
        'GET',
        `${connector(name)}/runs/${encodeURIComponent(runId)}`,
      );
    },
    listFiles(query: ListFilesQuery = {}) {
      return http.request<FilesPage>('GET', '/files', { query: { ...query } });
    },
    /** Files, bytes and uses by status, data type and dataset. */
    statistics() {
      return http.request<z.infer<typeof statisticsResponse>>('GET', '/statistics');
    },
    /** Edits a version's tags and description; answers the updated version. */
    updateVersion(name: string, v: number, change: VersionMetadataChange) {
      return http.request<z.infer<typeof updatedVersionResponse>>('PATCH', version(name, v), {
        body: {
          ...(change.tags !== undefined && { tags: change.tags }),
          ...(change.addTags !== undefined && { add_tags: change.addTags }),
          ...(change.removeTags !== undefined && { remove_tags: change.removeTags }),
          ...(change.description !== undefined && { description: change.description }),
        },
      });
    },
    /** What changed from `v` to `other` (either may be `latest`): schema, rows, per-column profiles. */
    diffVersions(name: string, v: number | 'latest', other: number | 'latest') {
      return http.request<z.infer<typeof versionDiffResponse>>('GET', `${version(name, v)}/diff/${other}`);
    },
    /** The rows become a file of `<name>-predictions`, which the pipeline versions with lineage. */
    writePredictions(name: string, request: PredictionsRequest) {
      return http.request<PredictionsAccepted>('POST', `${dataset(name)}/predictions`, {
        body: {
          model: request.model,
          ...(request.inputVersion !== undefined && { input_version: request.inputVersion }),
          ...(request.timestampColumn !== undefined && { timestamp_column: request.timestampColumn }),
          rows: request.rows,
        },
      });
    },
    listRuns(name: string, query: { status?: RunStatus; limit?: number; cursor?: string } = {}) {
      return http.request<RunList>('GET', `${dataset(name)}/runs`, { query: { ...query } });
    },
    latestSuccessfulRun(name: string) {
      return http.request<RunDetail>('GET', `${dataset(name)}/runs/latest-successful`);
    },
    getTrainingSet(id: string) {
      return http.request<TrainingSetDetail>('GET', `/training-sets/${encodeURIComponent(id)}`);
    },
  };
}

export type StrataClient = ReturnType<typeof createStrataClient>;
