import { versionDataset } from '../../shared/app/pipeline/version.js';
import { loadConfig } from '../../shared/config.js';
import { suiteFromSchema } from '../../shared/domain/validation/index.js';
import { stageHandler } from '../../shared/lambda/stage.js';
import { afterDriftSchema } from '../../shared/schemas/ingestion.js';
import {
  clock,
  datasetTables,
  logger,
  metadataStore,
  objectStore,
  runRecording,
  tableCatalog,
  versionStore,
} from '../../shared/wiring.js';

const config = loadConfig([
  'DATA_BUCKET',
  'METADATA_TABLE',
  'VERSIONS_TABLE',
  'LINEAGE_TABLE',
  'OPENLINEAGE_URL',
]);
const deps = {
  store: objectStore(config),
  datasets: metadataStore(config),
  versions: versionStore(config),
  tables: datasetTables(config),
  // Where the table is registered after a commit (Athena: strata_<tenant>.<dataset>).
  catalog: tableCatalog(config),
  clock,
  logger,
  defaultSuite: suiteFromSchema,
};

/**
 * Pipeline stage 7: allocate version N, snapshot to versions/<tenant>/<dataset>/v<N>/, the data file under
 * tables/<tenant>/<dataset>/, committed to the dataset's Delta table and made current (or staged, held).
 */
export const handler = stageHandler('version', afterDriftSchema, versionDataset, {
  deps,
  runs: runRecording(config),
});
