/**
 * The use cases behind drift and quality in the API: a dataset's drift settings (gates, reference,
 * thresholds, column roles), a version's reports, and a person's promotion of a held version.
 */
import type { DriftSettings } from '../domain/dataset.js';
import type { DriftReport } from '../domain/drift/report.js';
import { resolveThresholds } from '../domain/drift/severity.js';
import { isValidName } from '../domain/object-key.js';
import type { QualityReport } from '../domain/quality/types.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { Clock, DatasetStore, Logger, ObjectStore, VersionStore } from '../ports.js';
import { type ReportMeta, renderDriftHtml, renderQualityHtml } from '../reports/html.js';

export interface GovernanceDeps {
  datasets: DatasetStore;
  versions: VersionStore;
  store: ObjectStore;
  clock: Clock;
  logger: Logger;
}

function checkName(dataset: string): void {
  if (!isValidName(dataset)) throw new InvalidInputError(`invalid dataset name "${dataset}"`);
}

/** The stored settings and the thresholds they resolve to (defaults where unset). */
function view(dataset: string, settings: DriftSettings) {
  return {
    dataset,
    settings,
    effectiveThresholds: resolveThresholds(settings.thresholds),
  };
}

export async function getDriftSettings(
  deps: Pick<GovernanceDeps, 'datasets'>,
  tenant: string,
  dataset: string,
) {
  checkName(dataset);
  const record = await deps.datasets.getDataset(tenant, dataset);
  if (!record) throw new NotFoundError(`dataset "${dataset}" not found`);
  return view(dataset, record.driftSettings ?? {});
}

export async function putDriftSettings(
  deps: Pick<GovernanceDeps, 'datasets' | 'versions'>,
  tenant: string,
  dataset: string,
  settings: DriftSettings,
) {
  checkName(dataset);
  if (settings.referenceVersion !== undefined) {
    // A pinned reference that does not exist would quarantine every later file: refuse it now.
    const reference = await deps.versions.getVersion(tenant, dataset, settings.referenceVersion);
    if (!reference || reference.status === 'PENDING') {
      throw new InvalidInputError(
        `reference_version ${settings.referenceVersion} is not a complete version of dataset "${dataset}"`,
      );
    }
  }
  if (settings.labelColumn !== undefined && settings.labelColumn === settings.predictionColumn) {
    throw new InvalidInputError('label_column and prediction_column must differ');
  }
  // The label and prediction are what concept drift is measured on: excluding them would hide it.
  for (const [field, name] of [
    ['label_column', settings.labelColumn],
    ['prediction_column', settings.predictionColumn],
  ] as const) {
    if (name !== undefined && settings.identifierColumns?.includes(name)) {
      throw new InvalidInputError(`identifier_columns names the ${field} "${name}"`);
    }
  }
  const compact = Object.fromEntries(
    Object.entries(settings).filter(([, v]) => v !== undefined),
  ) as DriftSettings;
  await deps.datasets.putDriftSettings(tenant, dataset, compact);
  return view(dataset, compact);
}

export type ReportName = 'drift' | 'drift.html' | 'quality' | 'quality.html';

/** A version's drift or quality report: the parsed JSON document, or the HTML text. */
export async function getVersionReport(
  deps: Pick<GovernanceDeps, 'versions' | 'store'>,
  tenant: string,
  dataset: string,
  version: number,
  report: ReportName,
): Promise<{ kind: 'json'; document: unknown } | { kind: 'html'; html: string }> {
  checkName(dataset);
  const record = await deps.versions.getVersion(tenant, dataset, version);
  if (!record || record.status === 'PENDING') {
    throw new NotFoundError(`version ${version} of dataset "${dataset}" not found`);
  }
  const [kind, format] = report.split('.') as ['drift' | 'quality', 'html' | undefined];
  const keys = record[kind];
  if (!keys) {
    throw new NotFoundError(
      `version ${version} of dataset "${dataset}" has no ${kind} report (made before ${kind} checks)`,
    );
  }
  const document = await deps.store.getJson(keys.reportKey);
  if (document === undefined) throw new NotFoundError(`the ${kind} report of version ${version} is missing`);
  if (format === 'html') {
    // Rendered from the JSON with the version record, not read from the HTML the stage stored: that
    // was written before the version stage gave the file its number, and says "not versioned", which
    // was true of the file then and stays so in the stored bytes.
    const meta: ReportMeta = {
      tenant,
      dataset,
      version,
      fileId: record.sourceFileId,
      sourceKey: record.sourceKey,
      // The stage ran moments before the version was committed; the report records no time of its own.
      createdAt: record.createdAt,
    };
    const html =
      kind === 'drift'
        ? renderDriftHtml(document as DriftReport, meta)
        : renderQualityHtml(document as QualityReport, meta);
    return { kind: 'html', html };
  }
  return {
    kind: 'json',
    document: {
      dataset,
      version,
      status: record.status,
      ...(record.hold && { hold: record.hold }),
      ...(record.promotion && { promotion: record.promotion }),
      report: document,
    },
  };
}

/**
 * Makes a version current on a person's say-so, with their reason recorded on the version. Meant for a
 * version a gate held; promoting a READY one (a rollback to it) works the same way.
 */
export async function promoteVersion(
  deps: Pick<GovernanceDeps, 'versions' | 'clock' | 'logger'>,
  tenant: string,
  dataset: string,
  version: number,
  reason: string,
) {
  checkName(dataset);
  const record = await deps.versions.promoteVersion(tenant, dataset, version, {
    reason,
    at: deps.clock.now().toISOString(),
  });
  deps.logger.info('version promoted', {
    tenant,
    dataset,
    version,
    reason,
    previousCurrent: record.promotion?.previousCurrent,
    wasHeld: record.hold !== undefined,
  });
  return {
    dataset,
    version,
    status: record.status,
    currentVersion: version,
    promotion: record.promotion,
    hold: record.hold,
  };
}
