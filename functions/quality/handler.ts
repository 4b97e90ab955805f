import { qualityStage } from '../../shared/app/pipeline/quality.js';
import { loadConfig } from '../../shared/config.js';
import { stageHandler } from '../../shared/lambda/stage.js';
import { afterProfileSchema } from '../../shared/schemas/ingestion.js';
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

/** Pipeline stage 5: data quality of the staged file (missing, outliers, stuck values, noise, duplicates). */
export const handler = stageHandler('quality', afterProfileSchema, qualityStage, {
  deps,
  runs: runRecording(config),
});
