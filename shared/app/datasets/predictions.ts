/**
 * `POST /datasets/{name}/predictions`: a model's predictions written back as data. The rows become one
 * Parquet file under `fresh/<tenant>/<name>-predictions/`, declaring in its metadata the model version
 * that produced it and the dataset version it scored; the pipeline then versions it like any file, and
 * the version stage turns those declarations into lineage edges.
 */

import { fileIdFor, LINK_METADATA } from '../../domain/file-record.js';
import { sha256Hex } from '../../domain/hashing.js';
import { isValidName, predictionsKey } from '../../domain/object-key.js';
import type { CellValue } from '../../domain/table.js';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import type { Clock, DatasetStore, Logger, ObjectStore, VersionStore } from '../../ports.js';
import { columnsOfRows, inlineTable, parquetBytes } from '../io/in-memory-tables.js';

export interface PredictionsDeps {
  store: ObjectStore;
  datasets: Pick<DatasetStore, 'getDataset'>;
  versions: Pick<VersionStore, 'getVersion'>;
  clock: Clock;
  logger: Logger;
}

export interface PredictionsRequest {
  model: { name: string; version: string };
  /** The scored version of the dataset; default its current version. */
  inputVersion?: number | undefined;
  timestampColumn: string;
  rows: Array<Record<string, CellValue>>;
}

export const predictionsDataset = (dataset: string) => `${dataset}-predictions`;

export async function writePredictions(
  deps: PredictionsDeps,
  tenant: string,
  dataset: string,
  request: PredictionsRequest,
) {
  const target = predictionsDataset(dataset);
  if (!isValidName(dataset) || !isValidName(target)) {
    throw new InvalidInputError(`dataset name "${dataset}" is invalid or too long for a predictions dataset`);
  }
  const inputVersion =
    request.inputVersion ?? (await deps.datasets.getDataset(tenant, dataset))?.currentVersion;
  if (inputVersion === undefined) throw new NotFoundError(`dataset "${dataset}" has no current version`);
  const input = await deps.versions.getVersion(tenant, dataset, inputVersion);
  if (!input || input.status === 'PENDING') {
    throw new NotFoundError(`version ${inputVersion} of dataset "${dataset}" not found`);
  }
  const table = inlineTable(columnsOfRows(request.rows), request.timestampColumn);
  if (table.schema.columns.length < 2) {
    throw new InvalidInputError('prediction rows need the timestamp and at least one prediction column');
  }
  if (
    table.columns[table.schema.columns.findIndex((c) => c.name === request.timestampColumn)]?.some(
      (v) => v === null,
    )
  ) {
    throw new InvalidInputError(`every prediction row needs "${request.timestampColumn}"`);
  }
  const bytes = await parquetBytes(table);
  const digest = sha256Hex(bytes);
  // Named by content: the same rows written back twice are one object, hence one version.
  const key = predictionsKey(tenant, target, request.model, digest);
  const put = await deps.store.put(key, bytes, {
    contentType: 'application/vnd.apache.parquet',
    ifAbsent: true,
    metadata: {
      format: 'parquet',
      'data-type': 'model_specific',
      [LINK_METADATA.model]: `${request.model.name}@${request.model.version}`,
      [LINK_METADATA.input]: `${dataset}@v${inputVersion}`,
    },
  });
  const fileId = fileIdFor({ bucket: deps.store.bucket, key, versionId: put.versionId });
  deps.logger.info('predictions written back', {
    tenant,
    dataset: target,
    fileId,
    created: put.created,
    rows: table.numRows,
    model: request.model,
    inputVersion,
  });
  return {
    dataset: target,
    fileId,
    key,
    rows: table.numRows,
    model: request.model,
    input: { dataset, version: inputVersion },
    created: put.created,
    status: 'ACCEPTED' as const,
  };
}
