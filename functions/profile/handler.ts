import { profileStage } from '../../shared/app/pipeline/profile.js';
import { loadConfig } from '../../shared/config.js';
import { stageHandler } from '../../shared/lambda/stage.js';
import { afterValidateSchema } from '../../shared/schemas/ingestion.js';
import { runRecording, stageDeps } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'OPENLINEAGE_URL']);

/** Pipeline stage 4: per-column profile of the staged data; written to reports/. */
export const handler = stageHandler('profile', afterValidateSchema, profileStage, {
  deps: stageDeps(config),
  runs: runRecording(config),
});
