import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { registerFile } from '../../shared/app/register-file.js';
import { loadConfig } from '../../shared/config.js';
import { recordRuns } from '../../shared/run-recorder.js';
import { ingestionInputSchema } from '../../shared/schemas/ingestion.js';
import { parseWith } from '../../shared/schemas/parse.js';
import { clock, logger, metadataStore, objectStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE']);
const deps = { store: objectStore(config), metadata: metadataStore(config), clock, logger };

/** Pipeline stage 1: content hash, format, type, dedupe → file record. */
export const handler = middy(async (event: unknown) =>
  registerFile(deps, parseWith(ingestionInputSchema, event)),
)
  .use(injectLambdaContext(logger))
  // Unwraps the state machine's `{state, run}` and records the attempt on the run.
  .use(recordRuns());
