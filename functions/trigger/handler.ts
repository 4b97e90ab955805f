import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { startIngestion } from '../../shared/app/start-ingestion.js';
import { loadConfig } from '../../shared/config.js';
import { s3EventSchema } from '../../shared/schemas/ingestion.js';
import { parseWith } from '../../shared/schemas/parse.js';
import { logger, orchestrator } from '../../shared/wiring.js';

const config = loadConfig(['STATE_MACHINE_ARN']);
const deps = { orchestrator: orchestrator(config), logger };

/** S3 `ObjectCreated` under `fresh/` → one ingestion execution per object. */
export const handler = middy(async (event: unknown) =>
  startIngestion(deps, parseWith(s3EventSchema, event)),
).use(injectLambdaContext(logger));
