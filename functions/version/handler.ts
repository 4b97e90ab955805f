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
  tableWriterLeases,
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
  writers: tableWriterLeases(config),
  // Where the table is registered after a commit (Athena: strata_<tenant>.<dataset>).
  catalog: tableCatalog(config),
  clock,
  logger,
  defaultSuite: suiteFromSchema,
};

/**
 * Pipeline stage 7: under the dataset's writer lease, allocate version N; within the gates, the file's
 * data files (one, or one per chunk) go under tables/<tenant>/<dataset>/ in one commit of the dataset's
 * Delta table by its write mode and the version is current; else they wait under _staged/ and the
 * version is held.
 */
export const handler = stageHandler('version', afterDriftSchema, versionDataset, {
  deps,
  runs: runRecording(config),
});
