import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { quarantineFile } from '../../shared/app/quarantine-file.js';
import { loadConfig } from '../../shared/config.js';
import { recordRuns } from '../../shared/run-recorder.js';
import { stageFailureSchema } from '../../shared/schemas/ingestion.js';
import { parseWith } from '../../shared/schemas/parse.js';
import { clock, logger, metadataStore, objectStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE']);
const deps = { store: objectStore(config), metadata: metadataStore(config), clock, logger };

/** Catch target of every stage: copy to quarantine/, record the failing stage and error name. */
export const handler = middy(async (event: unknown) =>
  quarantineFile(deps, parseWith(stageFailureSchema, event)),
)
  .use(injectLambdaContext(logger))
  // Unwraps the state machine's `{state, run}` and records the attempt on the run.
  .use(recordRuns());
