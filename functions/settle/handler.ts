import { settleStage } from '../../shared/app/pipeline/settle.js';
import { loadConfig } from '../../shared/config.js';
import { stageHandler } from '../../shared/lambda/stage.js';
import { afterSplitSchema } from '../../shared/schemas/ingestion.js';
import { runRecording, stageDeps } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'OPENLINEAGE_URL']);

/** Pipeline stage 2, a text file in chunks: the scans settled into the schema and the convert plan. */
export const handler = stageHandler('settle', afterSplitSchema, settleStage, {
  deps: stageDeps(config),
  runs: runRecording(config),
});
