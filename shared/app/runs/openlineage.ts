/**
 * OpenLineage events of pipeline runs (the events themselves are built in domain/openlineage.ts). The run
 * recorder (recording.ts) calls these where it opens and ends runs: START when the run's first stage
 * starts, COMPLETE when a stage's answer ends the run SUCCEEDED (the version stage, or register finding
 * duplicate content), FAIL when the quarantine ends it FAILED.
 *
 * Lineage never blocks data: every sink is tried, and a sink that fails (S3 included) is logged at
 * ERROR with the whole event, so it can be replayed from the logs, and the stage goes on. The SDK
 * already retries S3 three times; failing the stage instead would let Step Functions retry it and, once
 * the retries are spent, quarantine a file whose data was fine (after the version stage: a file already
 * versioned). A retried stage emits the same event again: the S3 archive keeps the first write, an
 * OpenLineage consumer takes a repeated event for what it is.
 */
import { dataFilePaths } from '../../domain/delta/table.js';
import { type ObjectRef, PIPELINE_STAGES } from '../../domain/file-record.js';
import { datasetTableRoot } from '../../domain/object-key.js';
import {
  type IngestionRunFacts,
  ingestionCompleteEvent,
  ingestionFailEvent,
  ingestionStartEvent,
  type ReferenceTable,
  type RunEvent,
  stackTraceOf,
  type WrittenVersion,
} from '../../domain/openlineage.js';
import type { RunEnd } from '../../domain/run.js';
import type { TableSchema } from '../../domain/table.js';
import type { LineageEventSink, LineageEventTarget, Logger } from '../../ports.js';
import { afterDriftSchema, versionOutputSchema } from '../../schemas/ingestion.js';

export interface RunLineage {
  sinks: readonly LineageEventSink[];
  /** The data bucket: the namespace of the dataset tables a run writes and compares with. */
  dataBucket: string;
  /**
   * The schema of a dataset's Delta table at a Delta version, from its metadata: COMPLETE's schema facet.
   * The state does not carry schemas (it is capped at 256 KB); the event goes to S3 and HTTP, so it may.
   */
  tableSchema?: (tableRoot: string, deltaVersion: number) => Promise<TableSchema>;
}

export interface RunLineageDeps {
  lineage?: RunLineage | undefined;
  logger: Logger;
}

/** A run as its lineage events name it. */
export interface LineageRun {
  runId: string;
  tenant: string;
  dataset: string;
  object: ObjectRef;
  /** The execution's start: START's event time, and the date the archive files the run's events under. */
  runStartedAt: string;
}

/** Delivers one event to every sink; failures are logged, never thrown. */
export async function emitLineage(deps: RunLineageDeps, event: RunEvent, target: LineageEventTarget) {
  const sinks = deps.lineage?.sinks ?? [];
  const results = await Promise.allSettled(sinks.map((sink) => sink.emit(event, target)));
  results.forEach((result, index) => {
    if (result.status === 'fulfilled') return;
    deps.logger.error('lineage event not delivered', {
      sink: sinks[index]?.name,
      runId: target.runId,
      eventType: event.eventType,
      error: result.reason,
      event,
    });
  });
}

/** START, when the run's first stage starts (every attempt of it: the event is the same each time). */
export async function lineageAtStageStart(deps: RunLineageDeps, run: LineageRun, stage: string) {
  if (!deps.lineage || stage !== PIPELINE_STAGES[0]) return;
  await emitLineage(deps, ingestionStartEvent(facts(run), run.runStartedAt), target(run));
}

/**
 * COMPLETE or FAIL, when a stage's answer ended the run. The version stage's state and answer name the
 * table version written (Delta version, rows) and the reference drift compared with; a state of another shape
 * (an execution of an earlier definition) still gets its COMPLETE, without outputs.
 */
export async function lineageAtRunEnd(
  deps: RunLineageDeps,
  run: LineageRun,
  end: RunEnd,
  answer: { state: unknown; output: unknown },
  endedAt: string,
) {
  if (!deps.lineage) return;
  const event =
    end.status === 'FAILED'
      ? ingestionFailEvent(facts(run), endedAt, {
          ...end.failure,
          stackTrace: stackTraceOf(causeOf(answer.state)),
        })
      : ingestionCompleteEvent(
          facts(run),
          endedAt,
          end.outcome === 'DUPLICATE' ? undefined : await produced(deps, deps.lineage, run, answer),
        );
  await emitLineage(deps, event, target(run));
}

async function produced(
  deps: RunLineageDeps,
  lineage: RunLineage,
  run: LineageRun,
  answer: { state: unknown; output: unknown },
): Promise<{ output: WrittenVersion; reference?: ReferenceTable } | undefined> {
  const bucket = lineage.dataBucket;
  const state = afterDriftSchema.safeParse(answer.state);
  const output = versionOutputSchema.safeParse(answer.output);
  if (!state.success || !output.success) {
    deps.logger.warn('lineage: the run’s COMPLETE names no output, its state is not a version stage’s', {
      runId: run.runId,
    });
    return undefined;
  }
  const { drift, parse, file } = state.data;
  const root = datasetTableRoot(run.tenant, run.dataset);
  const table = root.replace(/\/$/, '');
  const deltaVersion = output.data.table_version;
  // The table's schema at the version written: the file's columns and any the table had before. A held
  // file is in no table version: its own schema (from the state) describes the staged file.
  const schema =
    deltaVersion === null
      ? parse.schema
      : ((await schemaOf(deps, lineage, run, root, deltaVersion)) ?? parse.schema);
  return {
    output: {
      bucket,
      table,
      deltaVersion,
      dataFiles: dataFilePaths(file.fileId, parse.chunkCount ?? 1, deltaVersion === null),
      version: output.data.version,
      schema,
      rowCount: output.data.rows_ingested,
    },
    ...(drift?.status === 'COMPARED' &&
      drift.referenceVersion !== undefined && {
        reference: { bucket, table, deltaVersion: drift.referenceDeltaVersion },
      }),
  };
}

/** The table's schema at the version, or none (the event goes out without it): lineage never blocks. */
async function schemaOf(
  deps: RunLineageDeps,
  lineage: RunLineage,
  run: LineageRun,
  tableRoot: string,
  deltaVersion: number,
): Promise<TableSchema | undefined> {
  if (!lineage.tableSchema) return undefined;
  try {
    return await lineage.tableSchema(tableRoot, deltaVersion);
  } catch (error) {
    deps.logger.warn('lineage: the table’s schema could not be read, COMPLETE goes without it', {
      runId: run.runId,
      tableRoot,
      deltaVersion,
      error,
    });
    return undefined;
  }
}

function causeOf(state: unknown): unknown {
  if (typeof state !== 'object' || state === null) return undefined;
  const error = (state as { error?: unknown }).error;
  return typeof error === 'object' && error !== null ? (error as { Cause?: unknown }).Cause : undefined;
}

function facts(run: LineageRun): IngestionRunFacts {
  return { runId: run.runId, tenant: run.tenant, dataset: run.dataset, object: run.object };
}

function target(run: LineageRun): LineageEventTarget {
  return { tenant: run.tenant, runId: run.runId, runStartedAt: run.runStartedAt };
}
