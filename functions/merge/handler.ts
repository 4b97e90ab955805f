import { mergeStage } from '../../shared/app/pipeline/merge.js';
import { loadConfig } from '../../shared/config.js';
import { stageHandler } from '../../shared/lambda/stage.js';
import { afterSplitSchema } from '../../shared/schemas/ingestion.js';
import { runRecording, stageDeps } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'OPENLINEAGE_URL']);

/** Pipeline stage 2, after the chunks: the file's parse result and merged profile. */
export const handler = stageHandler('merge', afterSplitSchema, mergeStage, {
  deps: stageDeps(config),
  runs: runRecording(config),
});
