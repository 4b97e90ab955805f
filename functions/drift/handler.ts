import { driftStage } from '../../shared/app/pipeline/drift.js';
import { loadConfig } from '../../shared/config.js';
import { stageHandler } from '../../shared/lambda/stage.js';
import { afterQualitySchema } from '../../shared/schemas/ingestion.js';
import { datasetTables, runRecording, stageDeps, versionStore } from '../../shared/wiring.js';

const config = loadConfig([
  'DATA_BUCKET',
  'METADATA_TABLE',
  'VERSIONS_TABLE',
  'LINEAGE_TABLE',
  'OPENLINEAGE_URL',
]);
const deps = { ...stageDeps(config), versions: versionStore(config), tables: datasetTables(config) };

/** Pipeline stage 6: the staged file against the dataset's reference version (drift report). */
export const handler = stageHandler('drift', afterQualitySchema, driftStage, {
  deps,
  runs: runRecording(config),
});
