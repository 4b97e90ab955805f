import { splitStage } from '../../shared/app/pipeline/split.js';
import { loadConfig } from '../../shared/config.js';
import { stageHandler } from '../../shared/lambda/stage.js';
import { afterRegisterSchema } from '../../shared/schemas/ingestion.js';
import { runRecording, stageDeps } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'OPENLINEAGE_URL']);

/** Pipeline stage 2, first step: parse the file whole, or plan its chunks (a list in staging/). */
export const handler = stageHandler('split', afterRegisterSchema, splitStage, {
  deps: stageDeps(config),
  runs: runRecording(config),
});
