import { quarantineFile } from '../../shared/app/pipeline/quarantine.js';
import { loadConfig } from '../../shared/config.js';
import { stageHandler } from '../../shared/lambda/stage.js';
import { stageFailureSchema } from '../../shared/schemas/ingestion.js';
import { clock, logger, metadataStore, objectStore, runRecording } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'OPENLINEAGE_URL']);
const deps = { store: objectStore(config), metadata: metadataStore(config), clock, logger };

/** Catch target of every stage: copy to quarantine/, record the failing stage and error name. */
export const handler = stageHandler('quarantine', stageFailureSchema, quarantineFile, {
  deps,
  runs: runRecording(config),
});
