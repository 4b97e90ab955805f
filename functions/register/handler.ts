import { registerFile } from '../../shared/app/pipeline/register.js';
import { loadConfig } from '../../shared/config.js';
import { stageHandler } from '../../shared/lambda/stage.js';
import { ingestionInputSchema } from '../../shared/schemas/ingestion.js';
import { clock, logger, metadataStore, objectStore, runRecording } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'OPENLINEAGE_URL']);
const deps = { store: objectStore(config), metadata: metadataStore(config), clock, logger };

/** Pipeline stage 1: content hash, format, type, dedupe → file record. */
export const handler = stageHandler('register', ingestionInputSchema, registerFile, {
  deps,
  runs: runRecording(config),
});
