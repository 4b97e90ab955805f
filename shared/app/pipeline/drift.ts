/**
 * Stage 6: drift of the file against the dataset's reference version: the dataset's Delta table at that
 * version's Delta version, across all its data files (sampled, seeded, when it is large). Writes a JSON and
 * a self-contained HTML report to reports/ and passes its verdict on, for the version stage's gates.
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
import type { DatasetTables, ObjectStore, VersionStore } from '../../ports.js';
import { renderDriftHtml } from '../../reports/html.js';
import type { afterQualitySchema, DriftOutput } from '../../schemas/ingestion.js';
import { versionTableFiles } from '../io/table-files.js';
import { scanTable } from '../io/table-sample.js';
import { openStaged, reportMeta, type StageDeps, stagedKeysOf, writeReport } from './artifacts.js';

export interface DriftStageDeps extends StageDeps {
  versions: Pick<VersionStore, 'getVersion'>;
  /** The datasets' Delta tables: the reference is the table at the reference version. */
  tables: DatasetTables;
}

/**
 * Rows of the reference table the comparison reads at most; a larger table is sampled across its files in
 * proportion to their rows. Half the collector's per-column limit (DEFAULT_MAX_VALUES), so the reference's
 * values are exactly this uniform sample (no reservoir on top), and enough that sampling error is far below
 * the severity cuts: the KS statistic of a 500 000-row sample against its table is about 1.36/√500 000 ≈
 * 0.002 at α = 0.05, fifty times under the lowest KS cut (0.1), and decile bins hold 50 000 rows each, so PSI
 * and JS move by far less than their LOW cuts. It also caps what the 3 GB drift function holds for the
 * reference (8 bytes a numeric value) whatever the table grows to.
 */
export const DRIFT_REFERENCE_MAX_ROWS = 500_000;

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
    const table = await versionTableFiles(deps, reference);
    // Seeded by the file and the reference: a retried stage reads the same sample, another file another one.
    const seed = `${file.fileId}/${referenceNumber}/${table.deltaVersion ?? 'staged'}`;
    const [referenceSide, currentSide] = await Promise.all([
      (async () => {
        const collector = createDriftCollector(table.schema, options);
        const read = await scanTable(
          deps.store,
          table,
          { columns: collector.columns, maxRows: DRIFT_REFERENCE_MAX_ROWS, seed },
          (batch) => collector.add(batch),
        );
        return { side: collector.result(), read };
      })(),
      collect(deps.store, stagedKeysOf(file, parse), options),
    ]);
    const compared = compareDatasets(referenceSide.side, currentSide, {
      ...options,
      identifierColumns: settings.identifierColumns,
      inferIdentifiers: settings.inferIdentifiers,
      thresholds,
      reference: { version: referenceNumber, pinned },
    });
    const { read } = referenceSide;
    report = {
      ...compared,
      reference: compared.reference && {
        ...compared.reference,
        table: {
          uri: table.uri,
          deltaVersion: read.deltaVersion,
          rowsTotal: read.rowsTotal,
          rowsRead: read.rowsRead,
          filesTotal: read.filesTotal,
          filesRead: read.filesRead,
          sampled: read.sampled,
          ...(read.sampled && { seed }),
        },
      },
    };
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
    referenceTable: report.reference?.table,
    driftTypes: report.driftTypes.map((h) => h.type),
    excludedColumns: report.excludedColumns.map((c) => c.column),
  });
  return {
    status: report.status,
    severity: report.severity,
    ...(referenceNumber !== undefined && { referenceVersion: referenceNumber }),
    ...(typeof report.reference?.table?.deltaVersion === 'number' && {
      referenceDeltaVersion: report.reference.table.deltaVersion,
    }),
    ...keys,
  };
}

/** The staged file's side of the comparison, with the schema its own footer declares. */
async function collect(store: ObjectStore, keys: string[], options: DriftCollectorOptions) {
  const file = await openStaged({ store }, keys);
  const collector = createDriftCollector(file.schema, options);
  for await (const batch of file.readRowGroups({ columns: collector.columns, typed: true })) {
    collector.add(batch);
  }
  return collector.result();
}
