/**
 * OpenLineage run events (https://openlineage.io/spec/2-0-2/OpenLineage.json, pure): what a pipeline run
 * reports to a lineage consumer such as Marquez. One job per tenant and dataset (`strata://<tenant>`,
 * `ingest.<dataset>`); each run is a run of it, START at its first stage, COMPLETE or FAIL when it ends.
 * Datasets are S3 locations named as the OpenLineage naming spec names them (`s3://<bucket>`, path): a
 * raw object by its key, a dataset's Delta table by its root (`tables/<tenant>/<dataset>`) with the Delta
 * version as its dataset version:
 *
 *   START     inputs: the raw object
 *   COMPLETE  inputs: the raw object (+ the table at the reference's Delta version when drift compared)
 *             outputs: the table at the Delta version that committed the file, with schema (the table's),
 *             version and output statistics facets; a held file, committed to no table version, is its
 *             staged data file (none for duplicate content)
 *   FAIL      inputs: the raw object; run facet errorMessage
 *
 * Every facet carries `_producer` and the `_schemaURL` of its schema as published (`$id#/$defs/<Facet>`).
 */
import { createHash } from 'node:crypto';
import type { ObjectRef } from './file-record.js';
import type { ColumnType, TableSchema } from './table.js';

/** Who wrote the events: a URI, as the spec asks. */
export const OPENLINEAGE_PRODUCER = 'https://github.com/strata/strata';
export const RUN_EVENT_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

/** The facets strata writes, by the key they sit under, with their schema URLs (the spec files' `$id`s). */
export const FACET_SCHEMA_URLS = {
  schema: 'https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet',
  version:
    'https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet',
  outputStatistics:
    'https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet',
  errorMessage:
    'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet',
  jobType: 'https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet',
} as const;

export type RunEventType = 'START' | 'COMPLETE' | 'FAIL';

export interface Facet {
  _producer: string;
  _schemaURL: string;
  [field: string]: unknown;
}
export type Facets = Record<string, Facet>;

export interface LineageDataset {
  namespace: string;
  name: string;
  facets?: Facets;
}
export interface OutputDataset extends LineageDataset {
  outputFacets?: Facets;
}

export interface LineageJob {
  namespace: string;
  name: string;
  facets?: Facets;
}

export interface RunEvent {
  eventType: RunEventType;
  eventTime: string;
  run: { runId: string; facets?: Facets };
  job: LineageJob;
  inputs: LineageDataset[];
  outputs: OutputDataset[];
  producer: string;
  schemaURL: string;
}

// ---- identities ------------------------------------------------------------------------------------

/** RFC 4122 namespace for strata run ids: uuidV5(URL namespace, `https://github.com/strata/strata/runs`). */
export const RUN_UUID_NAMESPACE = '53e5272f-9ae6-5f9a-972a-50ba5b9f9808';

/**
 * A name-based UUID (RFC 4122 version 5: SHA-1 of namespace bytes + name, version and variant bits set).
 * SHA-1 here names, it does not protect: the same run id always gives the same UUID. node:crypto is a
 * pure function here (no I/O), as in file-record.ts, whose identities are SHA-256 digests.
 */
export function uuidV5(namespace: string, name: string): string {
  const ns = namespace.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(ns)) throw new RangeError(`not a UUID: ${namespace}`);
  const bytes = createHash('sha1')
    .update(Buffer.from(ns, 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** OpenLineage wants a UUID per run; ours is the execution name, so the UUID is derived from it. */
export function runUuid(runId: string): string {
  return uuidV5(RUN_UUID_NAMESPACE, runId);
}

// ---- facets ----------------------------------------------------------------------------------------

function facet(key: keyof typeof FACET_SCHEMA_URLS, fields: Record<string, unknown>): Facet {
  return { _producer: OPENLINEAGE_PRODUCER, _schemaURL: FACET_SCHEMA_URLS[key], ...fields };
}

/** Our column types as the names lineage tools show (the table's column types, in SQL words). */
export const OPENLINEAGE_FIELD_TYPES: Record<ColumnType, string> = {
  int: 'BIGINT',
  float: 'DOUBLE',
  bool: 'BOOLEAN',
  string: 'STRING',
  timestamp: 'TIMESTAMP',
};

export function schemaFacet(schema: TableSchema): Facet {
  return facet('schema', {
    fields: schema.columns.map((column, index) => ({
      name: column.name,
      type: OPENLINEAGE_FIELD_TYPES[column.type],
      ordinal_position: index + 1,
      ...(!column.nullable && { description: 'not null' }),
    })),
  });
}

export function datasetVersionFacet(datasetVersion: string): Facet {
  return facet('version', { datasetVersion });
}

export function outputStatisticsFacet(stats: { rowCount: number; size?: number | undefined }): Facet {
  return facet('outputStatistics', {
    rowCount: stats.rowCount,
    ...(stats.size !== undefined && { size: stats.size }),
  });
}

export function errorMessageFacet(error: { message: string; stackTrace?: string | undefined }): Facet {
  return facet('errorMessage', {
    message: error.message,
    programmingLanguage: 'TypeScript',
    ...(error.stackTrace && { stackTrace: error.stackTrace }),
  });
}

const MAX_STACK_TRACE = 8000;

/**
 * The stack trace in a Lambda error as a Catch receives it (`Cause: '{"errorType", "errorMessage",
 * "trace": [...]}'`), bounded; undefined for causes without one.
 */
export function stackTraceOf(cause: unknown): string | undefined {
  if (typeof cause !== 'string' || cause === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const trace =
    (parsed as { trace?: unknown; stackTrace?: unknown }).trace ??
    (parsed as { stackTrace?: unknown }).stackTrace;
  const lines = Array.isArray(trace) ? trace.filter((l): l is string => typeof l === 'string') : [];
  if (lines.length === 0) return undefined;
  const text = lines.join('\n');
  return text.length > MAX_STACK_TRACE ? `${text.slice(0, MAX_STACK_TRACE - 1)}…` : text;
}

// ---- events ----------------------------------------------------------------------------------------

/** The job a tenant's dataset ingestion is: one per (tenant, dataset), every run of the pipeline a run of it. */
export function ingestionJob(tenant: string, dataset: string): LineageJob {
  return {
    namespace: `strata://${tenant}`,
    name: `ingest.${dataset}`,
    facets: {
      jobType: facet('jobType', { processingType: 'BATCH', integration: 'STRATA', jobType: 'INGESTION' }),
    },
  };
}

export function s3Dataset(bucket: string, key: string, facets?: Facets): LineageDataset {
  return { namespace: `s3://${bucket}`, name: key, ...(facets && { facets }) };
}

/** The raw object a run was started for; its S3 version id, when it has one, is its dataset version. */
export function rawObjectDataset(object: ObjectRef): LineageDataset {
  return s3Dataset(
    object.bucket,
    object.key,
    object.versionId ? { version: datasetVersionFacet(object.versionId) } : undefined,
  );
}

export interface RunEventInput {
  eventType: RunEventType;
  eventTime: string;
  /** Strata's run id (the execution name); the event carries the UUID derived from it. */
  runId: string;
  job: LineageJob;
  inputs?: LineageDataset[];
  outputs?: OutputDataset[];
  /** Run facets. */
  facets?: Facets;
  producer?: string;
}

export function runEvent(input: RunEventInput): RunEvent {
  const eventTime = new Date(input.eventTime);
  if (Number.isNaN(eventTime.getTime())) throw new RangeError(`not an instant: ${input.eventTime}`);
  return {
    eventType: input.eventType,
    eventTime: eventTime.toISOString(),
    run: {
      runId: runUuid(input.runId),
      ...(input.facets && Object.keys(input.facets).length > 0 && { facets: input.facets }),
    },
    job: input.job,
    inputs: input.inputs ?? [],
    outputs: input.outputs ?? [],
    producer: input.producer ?? OPENLINEAGE_PRODUCER,
    schemaURL: RUN_EVENT_SCHEMA_URL,
  };
}

/** What every event of an ingestion run names. */
export interface IngestionRunFacts {
  runId: string;
  tenant: string;
  dataset: string;
  object: ObjectRef;
}

/** The run's first stage started: the raw object is its input. */
export function ingestionStartEvent(run: IngestionRunFacts, eventTime: string): RunEvent {
  return runEvent({
    eventType: 'START',
    eventTime,
    runId: run.runId,
    job: ingestionJob(run.tenant, run.dataset),
    inputs: [rawObjectDataset(run.object)],
  });
}

/** The version a succeeded run wrote: where it is in its dataset's Delta table, from the version stage's answer. */
export interface WrittenVersion {
  bucket: string;
  /** The table's root without the trailing slash (`tables/<tenant>/<dataset>`): its OpenLineage name. */
  table: string;
  /** The Delta version that committed the file; null while the version is held (staged). */
  deltaVersion: number | null;
  /**
   * The file's data files relative to the table root, in row order (a held version's: its staged files);
   * more than one for a file parsed in chunks.
   */
  dataFiles: string[];
  version: number;
  /** From the table's metadata at that version; absent (no schema facet) when it could not be read. */
  schema?: TableSchema | undefined;
  rowCount: number;
}

/** The table drift compared the file with, at the reference's Delta version (unknown: no version facet). */
export interface ReferenceTable {
  bucket: string;
  table: string;
  deltaVersion?: number | undefined;
}

/**
 * The run succeeded: with the table version it wrote as output (and the table at the reference version
 * drift compared the file with as a second input), or with no output when the dataset already had the
 * content.
 */
export function ingestionCompleteEvent(
  run: IngestionRunFacts,
  eventTime: string,
  produced?: { output: WrittenVersion; reference?: ReferenceTable | undefined },
): RunEvent {
  const inputs = [rawObjectDataset(run.object)];
  const outputs: OutputDataset[] = [];
  if (produced) {
    const { output, reference } = produced;
    if (reference) {
      inputs.push(
        s3Dataset(
          reference.bucket,
          reference.table,
          reference.deltaVersion === undefined
            ? undefined
            : { version: datasetVersionFacet(String(reference.deltaVersion)) },
        ),
      );
    }
    const schema = output.schema && { schema: schemaFacet(output.schema) };
    const statistics = { outputStatistics: outputStatisticsFacet({ rowCount: output.rowCount }) };
    if (output.deltaVersion === null) {
      // Held: the run wrote staged data files, which no table version holds yet. Each is a dataset; the
      // row count is the version's, so only a file staged whole carries it.
      for (const dataFile of output.dataFiles) {
        outputs.push({
          ...s3Dataset(output.bucket, `${output.table}/${dataFile}`, schema),
          ...(output.dataFiles.length === 1 && { outputFacets: statistics }),
        });
      }
    } else {
      outputs.push({
        ...s3Dataset(output.bucket, output.table, {
          ...schema,
          version: datasetVersionFacet(String(output.deltaVersion)),
        }),
        outputFacets: statistics,
      });
    }
  }
  return runEvent({
    eventType: 'COMPLETE',
    eventTime,
    runId: run.runId,
    job: ingestionJob(run.tenant, run.dataset),
    inputs,
    outputs,
  });
}

/** The run failed (the quarantine caught a stage's error): the error is a run facet. */
export function ingestionFailEvent(
  run: IngestionRunFacts,
  eventTime: string,
  failure: { stage: string; name: string; message: string; stackTrace?: string | undefined },
): RunEvent {
  return runEvent({
    eventType: 'FAIL',
    eventTime,
    runId: run.runId,
    job: ingestionJob(run.tenant, run.dataset),
    inputs: [rawObjectDataset(run.object)],
    facets: {
      errorMessage: errorMessageFacet({
        message: `${failure.name} in stage ${failure.stage}: ${failure.message}`,
        stackTrace: failure.stackTrace,
      }),
    },
  });
}
