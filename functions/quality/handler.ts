import { qualityStage } from '../../shared/app/pipeline/quality.js';
import { loadConfig } from '../../shared/config.js';
import { stageHandler } from '../../shared/lambda/stage.js';
import { afterProfileSchema } from '../../shared/schemas/ingestion.js';
import { runRecording, stageDeps } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'OPENLINEAGE_URL']);

/** Pipeline stage 5: data quality of the staged file (missing, outliers, stuck values, noise, duplicates). */
export const handler = stageHandler('quality', afterProfileSchema, qualityStage, {
  deps: stageDeps(config),
  runs: runRecording(config),
});
