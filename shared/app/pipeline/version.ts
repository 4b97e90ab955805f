import type { z } from 'zod';
import type { TableSchema } from '../../domain/table.js';
import { evaluateGates, type VersionRecord } from '../../domain/version.js';
import type { Clock, DatasetStore, Logger, ObjectStore, VersionStore } from '../../ports.js';
import type { afterDriftSchema, VersionOutput } from '../../schemas/ingestion.js';
import { openStaged } from './artifacts.js';

export interface VersionDatasetDeps {
  store: ObjectStore;
  datasets: DatasetStore;
  versions: VersionStore;
  clock: Clock;
  logger: Logger;
  /** The suite a dataset gets from its first version's schema when nobody set one through the API. */
  defaultSuite: (schema: TableSchema) => unknown;
}

/**
 * Last stage: allocate the next version number (gapless, conditional), put the staged Parquet at
 * `versions/<tenant>/<dataset>/v<N>/`, then apply the dataset's gates: a version within them is READY
 * and becomes current, one that breaches a gate is HELD (written, never promoted automatically). Each
 * step is safe to repeat: a retried stage finds the number it already got and re-does only what is
 * missing.
 */
export async function versionDataset(
  deps: VersionDatasetDeps,
  state: z.infer<typeof afterDriftSchema>,
): Promise<VersionOutput> {
  const { file, parse, validate, profile, quality, drift } = state;
  const { tenant, dataset } = file;
  const [datasetRecord, staged] = await Promise.all([
    deps.datasets.getDataset(tenant, dataset),
    openStaged(deps, parse.stagedKey),
  ]);
  const settings = datasetRecord?.driftSettings ?? {};
  const { schema } = staged;
  if (validate.inferredSuite) {
    // Before the commit: a suite too large to store (a very wide file) fails the stage before a version
    // number is taken, rather than leaving that version PENDING. A retry finds it stored (onlyIfAbsent).
    await deps.datasets.putValidationSuite(tenant, dataset, deps.defaultSuite(schema), 'inferred', true);
  }
  const { record, created } = await deps.versions.commitVersion({
    tenant,
    dataset,
    contentHash: parse.contentHash,
    sourceSha256: file.sha256,
    sourceFileId: file.fileId,
    sourceKey: file.object.key,
    rowCount: parse.rowCount,
    schema,
    profileKey: profile.profileKey,
    validationReportKey: validate.reportKey,
    validationStatus: validate.status,
    tags: [],
    createdAt: deps.clock.now().toISOString(),
    ...(file.links && { links: file.links }),
    ...(quality && {
      quality: {
        status: quality.status,
        score: quality.score,
        reportKey: quality.reportKey,
        htmlKey: quality.htmlKey,
      },
    }),
    ...(drift && {
      drift: {
        status: drift.status,
        severity: drift.severity,
        referenceVersion: drift.referenceVersion,
        reportKey: drift.reportKey,
        htmlKey: drift.htmlKey,
      },
    }),
  });
  // Never overwrites: if a retry finds the snapshot already there, the copy is a no-op.
  await deps.store.copy({ bucket: deps.store.bucket, key: parse.stagedKey }, record.snapshotKey);
  const verdict = evaluateGates(settings, {
    driftSeverity: drift?.severity ?? 'NONE',
    qualityStatus: quality?.status ?? 'EXCELLENT',
  });
  const hold: VersionRecord['hold'] = verdict.hold
    ? { reasons: verdict.reasons, at: deps.clock.now().toISOString() }
    : undefined;
  const { promoted } = await deps.versions.completeVersion(
    tenant,
    dataset,
    record.version,
    hold ? 'HELD' : 'READY',
    hold,
  );
  await deps.datasets.updateFile(tenant, file.fileId, { stage: 'version' });
  deps.logger.info('dataset version written', {
    tenant,
    dataset,
    version: record.version,
    created,
    promoted,
    rows: record.rowCount,
    ...(hold && { held: hold.reasons }),
  });
  return {
    dataset_id: `${tenant}/${dataset}`,
    status: hold ? 'HELD' : 'VERSIONED',
    version: record.version,
    rows_ingested: record.rowCount,
    ...outputColumns(record.schema),
    snapshot_key: record.snapshotKey,
    promoted,
  };
}

/** At most this many column names in the execution's output… */
export const OUTPUT_COLUMN_NAMES = 100;
/** …and at most this many bytes of them (as JSON): 100 names of 256 characters would be 26 KB. */
export const OUTPUT_COLUMN_BYTES = 8 * 1024;

/**
 * The column names the execution's output carries: the first ones, within both limits, since the output
 * is Step Functions state (256 KB at most, and a state over it fails the execution past every Catch). A
 * cut is never silent: `column_count` has them all and `columns_truncated` says names were left out.
 */
export function outputColumns(
  schema: TableSchema,
): Pick<VersionOutput, 'columns' | 'column_count' | 'columns_truncated'> {
  const columns: string[] = [];
  let bytes = 0;
  for (const { name } of schema.columns) {
    bytes += Buffer.byteLength(JSON.stringify(name)) + 1;
    if (columns.length === OUTPUT_COLUMN_NAMES || bytes > OUTPUT_COLUMN_BYTES) break;
    columns.push(name);
  }
  const count = schema.columns.length;
  return { columns, column_count: count, columns_truncated: columns.length < count };
}
