import { chunkStage } from '../../shared/app/pipeline/chunk.js';
import { loadConfig } from '../../shared/config.js';
import { stageHandler } from '../../shared/lambda/stage.js';
import { chunkStateSchema } from '../../shared/schemas/ingestion.js';
import { runRecording, stageDeps } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'OPENLINEAGE_URL']);

/**
 * Pipeline stage 2, one chunk of a big file: its scan (text), its rows → a staged Parquet file + a partial
 * profile and validation state, and after validation its quality state.
 */
export const handler = stageHandler('chunk', chunkStateSchema, chunkStage, {
  deps: stageDeps(config),
  runs: runRecording(config),
});
