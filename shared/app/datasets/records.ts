/**
 * A dataset's record as the API reads and configures it: the tenant's datasets, one dataset, its parse
 * config, its validation suite and its drift settings (gates, reference, thresholds, column roles). The
 * settings apply to files that arrive from then on.
 */
import type { DatasetConfig, DriftSettings } from '../../domain/dataset.js';
import { resolveThresholds } from '../../domain/drift/severity.js';
import { isValidName } from '../../domain/object-key.js';
import { type SuiteDocument, suiteOfDocument } from '../../domain/validation/great-expectations.js';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import type { DatasetStore, MetadataStore, VersionStore } from '../../ports.js';

export interface DatasetDeps {
  datasets: DatasetStore;
  versions: VersionStore;
  metadata: MetadataStore;
}

export function checkDatasetName(dataset: string): void {
  if (!isValidName(dataset)) throw new InvalidInputError(`invalid dataset name "${dataset}"`);
}

export async function listDatasets(
  deps: Pick<DatasetDeps, 'metadata'>,
  tenant: string,
  page: { limit: number; cursor?: string },
) {
  const result = await deps.metadata.listDatasets(tenant, page);
  return { datasets: result.items, nextCursor: result.cursor };
}

export async function getDataset(deps: Pick<DatasetDeps, 'datasets'>, tenant: string, dataset: string) {
  checkDatasetName(dataset);
  const record = await deps.datasets.getDataset(tenant, dataset);
  // Datasets exist once a file arrived or a setting was made; anything else is unknown to this tenant.
  if (!record) throw new NotFoundError(`dataset "${dataset}" not found`);
  return record;
}

export async function setDatasetConfig(
  deps: Pick<DatasetDeps, 'datasets'>,
  tenant: string,
  dataset: string,
  config: DatasetConfig,
) {
  checkDatasetName(dataset);
  await deps.datasets.putDatasetConfig(tenant, dataset, config);
  return { dataset, config };
}

/**
 * Replaces the dataset's validation suite; it applies to files that arrive from now on. A Great
 * Expectations suite is converted first; what it could not take is answered, never stored half-silently,
 * and one with nothing strata can check is refused rather than stored as an empty suite.
 */
export async function setValidationSuite(
  deps: Pick<DatasetDeps, 'datasets'>,
  tenant: string,
  dataset: string,
  document: SuiteDocument,
) {
  checkDatasetName(dataset);
  const { format, suite, converted, unsupported } = suiteOfDocument(document);
  if (format === 'great_expectations' && suite.checks.length === 0) {
    throw new InvalidInputError(
      `none of the ${unsupported.length} expectations of the Great Expectations suite can be checked by strata`,
      unsupported.map((u) => ({
        path: `${u.expectation_type}${u.column === undefined ? '' : `(${u.column})`}`,
        message: u.reason,
      })),
    );
  }
  await deps.datasets.putValidationSuite(tenant, dataset, suite, 'api', false);
  return { dataset, format, suite, converted, unsupported };
}

/** The stored settings and the thresholds they resolve to (defaults where unset). */
function view(dataset: string, settings: DriftSettings) {
  return {
    dataset,
    settings,
    effectiveThresholds: resolveThresholds(settings.thresholds),
  };
}

export async function getDriftSettings(deps: Pick<DatasetDeps, 'datasets'>, tenant: string, dataset: string) {
  checkDatasetName(dataset);
  const record = await deps.datasets.getDataset(tenant, dataset);
  if (!record) throw new NotFoundError(`dataset "${dataset}" not found`);
  return view(dataset, record.driftSettings ?? {});
}

export async function putDriftSettings(
  deps: Pick<DatasetDeps, 'datasets' | 'versions'>,
  tenant: string,
  dataset: string,
  settings: DriftSettings,
) {
  checkDatasetName(dataset);
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
