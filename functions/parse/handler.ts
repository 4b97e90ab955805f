import { parseStage } from '../../shared/app/pipeline/parse.js';
import { loadConfig } from '../../shared/config.js';
import { stageHandler } from '../../shared/lambda/stage.js';
import { afterRegisterSchema } from '../../shared/schemas/ingestion.js';
import { runRecording, stageDeps } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'OPENLINEAGE_URL']);

/** Pipeline stage 2: source format → canonical Parquet in staging/ (mapping, overrides, dedup). */
export const handler = stageHandler('parse', afterRegisterSchema, parseStage, {
  deps: stageDeps(config),
  runs: runRecording(config),
});
