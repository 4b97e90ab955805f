/**
 * Stage 6: drift of the file against the dataset's reference version. Writes a JSON and a self-contained
 * HTML report to reports/ and passes its verdict on, for the version stage's gates.
 */
import type { z } from 'zod';
import {
  compareDatasets,
  createDriftCollector,
  type DriftCollectorOptions,
  type DriftReport,
  noReferenceReport,
  resolveThresholds,
} from '../../domain/drift/index.js';
import { InvalidInputError } from '../../errors.js';
import type { ObjectStore, VersionStore } from '../../ports.js';
import { renderDriftHtml } from '../../reports/html.js';
import type { afterQualitySchema, DriftOutput } from '../../schemas/ingestion.js';
import { openStaged, reportMeta, type StageDeps, writeReport } from './artifacts.js';

export interface DriftStageDeps extends StageDeps {
  versions: Pick<VersionStore, 'getVersion'>;
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
    renderDriftHtml(report, reportMeta(file, deps.clock.now())),
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
