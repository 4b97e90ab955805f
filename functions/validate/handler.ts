import { validateStage } from '../../shared/app/pipeline/validate.js';
import { loadConfig } from '../../shared/config.js';
import { stageHandler } from '../../shared/lambda/stage.js';
import { afterParseSchema } from '../../shared/schemas/ingestion.js';
import { runRecording, stageDeps } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'OPENLINEAGE_URL']);

/** Pipeline stage 3: the dataset's validation suite over the staged data; report in reports/. */
export const handler = stageHandler('validate', afterParseSchema, validateStage, {
  deps: stageDeps(config),
  runs: runRecording(config),
});
