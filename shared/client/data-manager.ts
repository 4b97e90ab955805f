/**
 * `createDataManager({apiUrl, apiKey})`: a dataset's data from code. Data goes in through `ingestData`
 * (ingest.ts: Parquet in the client, a presigned upload, the run's outcome). The whole table at a version is read
 * from its data files directly (presigned, ranged GETs, one row group at a time), never through the API's
 * body limit; time queries, predictions, files, statistics, cleanup, versions, lineage and runs go through
 * the HTTP API. Answers are typed by the routes' answer schemas or the domain's records; every failed call
 * is an `ApiError` with the status and the API's error name.
 */
import type { RecordBatch as ArrowRecordBatch, Table } from 'apache-arrow';
import type { RecordBatch } from '../domain/table.js';
import {
  arrowBatchOf,
  arrowSchemaOf,
  arrowTableFrom,
  recordBatchesOf,
  type TableInput,
  toArrowTable,
} from './arrow.js';
import type { ClientConfig } from './http.js';
import { type IngestOptions, type IngestResult, ingestData } from './ingest.js';
import {
  createStrataClient,
  type LineageQuery,
  type ListFilesQuery,
  type PredictionsRequest,
  type RowsPage,
  type RowsQueryParams,
  type TrainingSetRequest,
  type VersionMetadataChange,
} from './strata.js';
import {
  batchRows,
  projectSchema,
  type ReadCounter,
  type Row,
  readFileBatches,
  type TableSource,
  tableSource,
} from './table-reader.js';

export type DataManagerConfig = ClientConfig;

export interface ReadOptions {
  /** Default: the dataset's current version. */
  version?: number;
  /** The columns to read, in this order (default: every column of the table, in table order). */
  columns?: string[];
  /** Counts the ranged GETs and bytes the read made. */
  counter?: ReadCounter;
}

export interface TimeQueryOptions {
  /** Default: the table as it is now. */
  version?: number;
  /** The time column (default: the dataset's, else its first timestamp column). */
  column?: string;
  /** The columns to answer (the time column always comes too). */
  columns?: string[];
}

export type Instant = Date | string | number;

export interface PredictionsOptions {
  model: { name: string; version: string };
  /** The scored version of the dataset; default its current version. */
  inputVersion?: number;
  /** Default `timestamp`. */
  timestampColumn?: string;
}

const RANGE_PAGE_ROWS = 10_000;

function instant(value: Instant): string | number {
  return value instanceof Date ? value.toISOString() : value;
}

/** Rows for a JSON body: timestamps (Arrow's and Dates) as ISO 8601. */
function jsonRows(data: TableInput): PredictionsRequest['rows'] {
  const out: PredictionsRequest['rows'] = [];
  for (const batch of recordBatchesOf(toArrowTable(data))) out.push(...batchRows(batch));
  return out;
}

export function createDataManager(config: DataManagerConfig) {
  const client = createStrataClient(config);
  const doFetch = config.fetch ?? fetch;

  async function* batchesOf(source: TableSource, options: ReadOptions): AsyncGenerator<RecordBatch> {
    const schema = projectSchema(source.schema, options.columns);
    for (const file of source.files) {
      yield* readFileBatches(file, schema, {
        fetch: doFetch,
        ...(options.counter && { counter: options.counter }),
      });
    }
  }

  /**
   * The table at the version, a batch per row group of its data files, in the table's schema: memory
   * holds one row group, whatever the table's size. `as: 'arrow'` (default) yields Arrow record batches.
   */
  function readDataset(
    name: string,
    options?: ReadOptions & { as?: 'arrow' },
  ): AsyncIterable<ArrowRecordBatch>;
  function readDataset(name: string, options: ReadOptions & { as: 'rows' }): AsyncIterable<Row[]>;
  function readDataset(name: string, options: ReadOptions & { as: 'batches' }): AsyncIterable<RecordBatch>;
  async function* readDataset(
    name: string,
    options: ReadOptions & { as?: 'arrow' | 'rows' | 'batches' } = {},
  ): AsyncIterable<ArrowRecordBatch | Row[] | RecordBatch> {
    const source = await tableSource(client, name, options.version, { fetch: doFetch });
    const arrowSchema = arrowSchemaOf(projectSchema(source.schema, options.columns));
    for await (const batch of batchesOf(source, options)) {
      if (options.as === 'rows') yield batchRows(batch);
      else if (options.as === 'batches') yield batch;
      else yield arrowBatchOf(batch, arrowSchema);
    }
  }

  /** The whole table at the version (default the current one): an Arrow table, or `as: 'rows'` objects. */
  async function getDataset(name: string, options?: ReadOptions & { as?: 'arrow' }): Promise<Table>;
  async function getDataset(name: string, options: ReadOptions & { as: 'rows' }): Promise<Row[]>;
  async function getDataset(
    name: string,
    options: ReadOptions & { as?: 'arrow' | 'rows' } = {},
  ): Promise<Table | Row[]> {
    const source = await tableSource(client, name, options.version, { fetch: doFetch });
    const batches: RecordBatch[] = [];
    for await (const batch of batchesOf(source, options)) batches.push(batch);
    if (options.as === 'rows') return batches.flatMap(batchRows);
    return arrowTableFrom(projectSchema(source.schema, options.columns), batches);
  }

  return {
    /** The route-by-route client, for what the manager does not wrap. */
    client,
    /**
     * Encodes `data` (an Arrow table, row objects or a column map) as Parquet here, uploads it through a
     * create-only presigned URL and, unless `wait: false`, answers the pipeline's outcome.
     */
    ingestData(data: TableInput, options: IngestOptions): Promise<IngestResult> {
      return ingestData(client, data, { fetch: doFetch, ...options });
    },
    getDataset,
    readDataset,

    /** The newest `n` rows by the time column (at most 10 000), newest first. */
    async getLastNPoints(name: string, n: number, options: TimeQueryOptions = {}): Promise<Row[]> {
      const page = await client.rows(name, { ...options, last: n });
      return page.rows as Row[];
    },

    /**
     * Rows with `start` ≤ time < `end`, oldest first, every page of the range (the pages read the one
     * table version the first page read, so a commit in between cannot shift them).
     */
    async getDataByTimestampRange(
      name: string,
      start: Instant,
      end: Instant,
      options: TimeQueryOptions & { pageSize?: number } = {},
    ): Promise<Row[]> {
      const { pageSize, ...rest } = options;
      const query: RowsQueryParams = {
        ...rest,
        start: instant(start),
        end: instant(end),
        limit: pageSize ?? RANGE_PAGE_ROWS,
      };
      const rows: Row[] = [];
      let page: RowsPage = await client.rows(name, query);
      rows.push(...(page.rows as Row[]));
      while (page.nextCursor !== undefined) {
        page = await client.rows(name, { ...query, cursor: page.nextCursor });
        rows.push(...(page.rows as Row[]));
      }
      return rows;
    },

    /**
     * A model's predictions (rows, a column map or an Arrow table; at most 10 000 rows a call) written
     * back as a file of `<name>-predictions`, which the pipeline versions with lineage to the model and
     * the scored version.
     */
    savePredictions(name: string, data: TableInput, options: PredictionsOptions) {
      return client.writePredictions(name, { ...options, rows: jsonRows(data) });
    },

    /** An immutable selection of files (or, with `dataset` and `version`, that version's whole table). */
    createTrainingSet(request: TrainingSetRequest) {
      return client.createTrainingSet(request);
    },
    /**
     * Records that training job `jobId` used every file of the training set: once per (file, job),
     * however often it is called and through however many sets (a repeat answers the stored result,
     * `replayed: true`; files the job used through another set are `countedBefore`).
     */
    markTrainingSetUsed(trainingSetId: string, jobId: string) {
      return client.consumeTrainingSet(trainingSetId, jobId);
    },
    /**
     * Records that training job `jobId` read one file by itself: once per (file, job), the same count a
     * training set's use keeps (`outcome: 'already-counted'` for a repeat); the file then moves as its use
     * calls for (FRESH → USED, USED → ARCHIVED past the policy).
     */
    markFileUsed(fileId: string, jobId: string) {
      return client.consumeFile(fileId, jobId);
    },

    listFiles(query: ListFilesQuery = {}) {
      return client.listFiles(query);
    },
    getFile(fileId: string) {
      return client.getFile(fileId);
    },
    statistics() {
      return client.statistics();
    },
    /** `dryRun` answers what would be deprecated and deleted, and does nothing. */
    cleanup(options: { daysOld?: number; dryRun: boolean }) {
      return client.cleanup(options);
    },

    listVersions(name: string, query: { limit?: number; cursor?: string; tag?: string } = {}) {
      return client.listVersions(name, query);
    },
    getVersion(name: string, version: number | 'latest') {
      return client.getVersion(name, version);
    },
    /** Adds tags (a list), or edits tags and description; answers the version. */
    tagVersion(name: string, version: number, change: string[] | VersionMetadataChange) {
      return client.updateVersion(name, version, Array.isArray(change) ? { addTags: change } : change);
    },
    diffVersions(name: string, from: number | 'latest', to: number | 'latest') {
      return client.diffVersions(name, from, to);
    },
    /** Makes the version current (a held one is committed to the table first); `reason` is recorded. */
    promoteVersion(name: string, version: number, reason: string) {
      return client.promote(name, version, reason);
    },

    /** The lineage graph around a node: `dataset/<name>@v<N>`, `model/<name>@<semver>`, … */
    lineage(node: string, query: LineageQuery = {}) {
      return client.lineage(node, query);
    },

    runs: {
      get: (runId: string) => client.getRun(runId),
      list: (name: string, query: Parameters<typeof client.listRuns>[1] = {}) => client.listRuns(name, query),
      latestSuccessful: (name: string) => client.latestSuccessfulRun(name),
    },
  };
}

export type DataManager = ReturnType<typeof createDataManager>;
