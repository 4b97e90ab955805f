import { ingestRows } from '../../shared/app/datasets/ingest-rows.js';
import { writePredictions } from '../../shared/app/datasets/predictions.js';
import {
  getDataset,
  getDriftSettings,
  listDatasets,
  putDriftSettings,
  setDatasetConfig,
  setValidationSuite,
} from '../../shared/app/datasets/records.js';
import { queryRows } from '../../shared/app/datasets/rows.js';
import { loadConfig } from '../../shared/config.js';
import { apiHandler } from '../../shared/lambda/http.js';
import {
  clock,
  datasetTables,
  logger,
  metadataStore,
  objectStore,
  versionStore,
} from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
const datasets = metadataStore(config);
const deps = {
  datasets,
  metadata: datasets,
  versions: versionStore(config),
  store: objectStore(config),
  tables: datasetTables(config),
  clock,
  logger,
};

/** Datasets, their ingestion settings, validation suite, drift settings, rows and predictions. */
export const handler = apiHandler('datasets', {
  'GET /datasets': ({ tenant, query }) => listDatasets(deps, tenant, query),
  'GET /datasets/{name}': ({ tenant, path }) => getDataset(deps, tenant, path.name),
  'PUT /datasets/{name}/config': ({ tenant, path, body }) => setDatasetConfig(deps, tenant, path.name, body),
  'POST /datasets/{name}/validation-suite': ({ tenant, path, body }) =>
    setValidationSuite(deps, tenant, path.name, body),
  'GET /datasets/{name}/drift-settings': ({ tenant, path }) => getDriftSettings(deps, tenant, path.name),
  // Reads versions to refuse a pinned reference that does not exist.
  'PUT /datasets/{name}/drift-settings': ({ tenant, path, body }) =>
    putDriftSettings(deps, tenant, path.name, body),
  // Reads the table's log (tables/), then only the data files and row groups that can hold an answer.
  'GET /datasets/{name}/rows': ({ tenant, path, query }) => queryRows(deps, tenant, path.name, query),
  // Writes the rows as a JSONL file under fresh/: the pipeline ingests it like an upload.
  'POST /datasets/{name}/rows': ({ tenant, path, body }) => ingestRows(deps, tenant, path.name, body),
  // Writes the rows as a new file under fresh/: the pipeline makes the predictions version.
  'POST /datasets/{name}/predictions': ({ tenant, path, body }) =>
    writePredictions(deps, tenant, path.name, body),
});
