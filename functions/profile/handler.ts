import { profileStage } from '../../shared/app/pipeline/profile.js';
import { loadConfig } from '../../shared/config.js';
import { stageHandler } from '../../shared/lambda/stage.js';
import { afterValidateSchema } from '../../shared/schemas/ingestion.js';
import {
  clock,
  logger,
  metadataStore,
  metricsRecorder,
  objectStore,
  runRecording,
} from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'OPENLINEAGE_URL']);
const deps = {
  store: objectStore(config),
  datasets: metadataStore(config),
  clock,
  logger,
  metrics: metricsRecorder,
};

/** Pipeline stage 4: per-column profile of the staged data; written to reports/. */
export const handler = stageHandler('profile', afterValidateSchema, profileStage, {
  deps,
  runs: runRecording(config),
});
