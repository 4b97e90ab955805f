import { driftStage } from '../../shared/app/pipeline/drift.js';
import { loadConfig } from '../../shared/config.js';
import { stageHandler } from '../../shared/lambda/stage.js';
import { afterQualitySchema } from '../../shared/schemas/ingestion.js';
import {
  clock,
  logger,
  metadataStore,
  metricsRecorder,
  objectStore,
  runRecording,
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
  clock,
  logger,
  metrics: metricsRecorder,
};

/** Pipeline stage 6: the staged file against the dataset's reference version (drift report). */
export const handler = stageHandler('drift', afterQualitySchema, driftStage, {
  deps,
  runs: runRecording(config),
});
