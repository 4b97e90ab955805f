/**
 * Pipeline stages 5 and 6, between profile and version: data quality of the file on its own, then drift
 * of the file against the dataset's reference version. Each writes a JSON and a self-contained HTML
 * report to reports/ and passes its verdict on, for the version stage's gates. Both are derived data:
 * a retried stage rewrites the same keys.
 */
import type { z } from 'zod';
import type { DriftSettings } from '../domain/dataset.js';
import {
  compareDatasets,
  createDriftCollector,
  type DriftCollectorOptions,
  type DriftReport,
  noReferenceReport,
  resolveThresholds,
} from '../domain/drift/index.js';
import type { DatasetProfile } from '../domain/profile/index.js';
import { createQualityAssessor } from '../domain/quality/index.js';
import type { TableSchema } from '../domain/table.js';
import { reportKey } from '../domain/version.js';
import { InternalError, InvalidInputError } from '../errors.js';
import type { ObjectStore, VersionStore } from '../ports.js';
import { type ReportMeta, renderDriftHtml, renderQualityHtml } from '../reports/html.js';
import type {
  afterProfileSchema,
  afterQualitySchema,
  DriftOutput,
  QualityOutput,
} from '../schemas/ingestion.js';
import { openStaged, type StageDeps } from './pipeline-stages.js';

export interface DriftStageDeps extends StageDeps {
  versions: Pick<VersionStore, 'getVersion'>;
}

type FileState = z.infer<typeof afterProfileSchema>['file'];

function metaOf(file: FileState, createdAt: Date): ReportMeta {
  return {
    tenant: file.tenant,
    dataset: file.dataset,
    fileId: file.fileId,
    sourceKey: file.object.key,
    createdAt: createdAt.toISOString(),
  };
}

async function writeReport(
  store: ObjectStore,
  file: FileState,
  kind: 'quality' | 'drift',
  json: unknown,
  html: string,
): Promise<{ reportKey: string; htmlKey: string }> {
  const keys = {
    reportKey: reportKey(file.tenant, file.dataset, file.fileId, kind),
    htmlKey: reportKey(file.tenant, file.dataset, file.fileId, kind, 'html'),
  };
  await Promise.all([
    store.putJson(keys.reportKey, json),
    store.write(keys.htmlKey, single(new TextEncoder().encode(html)), {
      contentType: 'text/html; charset=utf-8',
    }),
  ]);
  return keys;
}

async function* single(chunk: Uint8Array): AsyncIterable<Uint8Array> {
  yield chunk;
}

async function settingsOf(deps: StageDeps, file: FileState): Promise<DriftSettings> {
  return (await deps.datasets.getDataset(file.tenant, file.dataset))?.driftSettings ?? {};
}

/** A role column the settings name must exist, else the comparison would silently ignore it. */
function checkRoles(settings: DriftSettings, schema: TableSchema): void {
  for (const [role, name] of [
    ['label', settings.labelColumn],
    ['prediction', settings.predictionColumn],
    ['time', settings.timeColumn],
  ] as const) {
    if (name !== undefined && !schema.columns.some((c) => c.name === name)) {
      throw new InvalidInputError(
        `the dataset's drift settings name "${name}" as the ${role} column, but the file has no such column`,
      );
    }
  }
}

/** Stage 5: quality assessment in one pass over the staged data, with the profile's moments and quartiles. */
export async function qualityStage(
  deps: StageDeps,
  state: z.infer<typeof afterProfileSchema>,
): Promise<QualityOutput> {
  const { file, parse, profile } = state;
  const [settings, staged] = await Promise.all([settingsOf(deps, file), openStaged(deps, parse.stagedKey)]);
  checkRoles(settings, staged.schema);
  const profileDoc = (await deps.store.getJson(profile.profileKey)) as DatasetProfile | undefined;
  if (!profileDoc) throw new InternalError(`profile ${profile.profileKey} is missing`);
  const assessor = createQualityAssessor(staged.schema, profileDoc, {
    ...(settings.timeColumn && { timeColumn: settings.timeColumn }),
  });
  for await (const batch of staged.readRowGroups()) assessor.add(batch);
  const report = assessor.result();
  const keys = await writeReport(
    deps.store,
    file,
    'quality',
    report,
    renderQualityHtml(report, metaOf(file, deps.clock.now())),
  );
  await deps.datasets.updateFile(file.tenant, file.fileId, {
    stage: 'quality',
    quality: { status: report.status, score: report.score, reportKey: keys.reportKey },
  });
  deps.metrics.add('QualityScore', 'Count', report.score);
  deps.logger.info('file quality assessed', {
    fileId: file.fileId,
    status: report.status,
    score: report.score,
    issues: report.issues.length,
  });
  return { status: report.status, score: report.score, issues: report.issues.length, ...keys };
}

/**
 * Stage 6: the file against the dataset's reference, the pinned `referenceVersion` or else the current
 * version; a dataset without one (its first file) gets a NO_REFERENCE report.
 */
export async function driftStage(
  deps: DriftStageDeps,
  state: z.infer<typeof afterQualitySchema>,
): Promise<DriftOutput> {
  const { file, parse } = state;
  const dataset = await deps.datasets.getDataset(file.tenant, file.dataset);
  const settings = dataset?.driftSettings ?? {};
  const thresholds = resolveThresholds(settings.thresholds);
  const pinned = settings.referenceVersion !== undefined;
  const referenceNumber = settings.referenceVersion ?? dataset?.currentVersion;
  let report: DriftReport;
  if (referenceNumber === undefined) {
    report = noReferenceReport(parse.rowCount, thresholds);
  } else {
    const reference = await deps.versions.getVersion(file.tenant, file.dataset, referenceNumber);
    if (!reference || reference.status === 'PENDING') {
      throw new InvalidInputError(
        `reference version ${referenceNumber} of dataset "${file.dataset}" does not exist or is not complete`,
      );
    }
    const options: DriftCollectorOptions = {
      labelColumn: settings.labelColumn,
      predictionColumn: settings.predictionColumn,
      timeColumn: settings.timeColumn,
    };
    const [referenceSide, currentSide] = await Promise.all([
      collect(deps.store, reference.snapshotKey, options),
      collect(deps.store, parse.stagedKey, options),
    ]);
    report = compareDatasets(referenceSide, currentSide, {
      ...options,
      identifierColumns: settings.identifierColumns,
      inferIdentifiers: settings.inferIdentifiers,
      thresholds,
      reference: { version: referenceNumber, pinned },
    });
  }
  const keys = await writeReport(
    deps.store,
    file,
    'drift',
    report,
    renderDriftHtml(report, metaOf(file, deps.clock.now())),
  );
  await deps.datasets.updateFile(file.tenant, file.fileId, {
    stage: 'drift',
    drift: {
      status: report.status,
      severity: report.severity,
      referenceVersion: referenceNumber,
      reportKey: keys.reportKey,
    },
  });
  deps.logger.info('file compared for drift', {
    fileId: file.fileId,
    status: report.status,
    severity: report.severity,
    referenceVersion: referenceNumber,
    driftTypes: report.driftTypes.map((h) => h.type),
    excludedColumns: report.excludedColumns.map((c) => c.column),
  });
  return {
    status: report.status,
    severity: report.severity,
    ...(referenceNumber !== undefined && { referenceVersion: referenceNumber }),
    ...keys,
  };
}

/** One side of the comparison, with the schema its own footer declares (snapshot or staged file). */
async function collect(store: ObjectStore, key: string, options: DriftCollectorOptions) {
  const file = await openStaged({ store }, key);
  const collector = createDriftCollector(file.schema, options);
  for await (const batch of file.readRowGroups({ columns: collector.columns })) collector.add(batch);
  return collector.result();
}
