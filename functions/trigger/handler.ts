import { startIngestion } from '../../shared/app/pipeline/start.js';
import { loadConfig } from '../../shared/config.js';
import { asyncHandler } from '../../shared/lambda/async.js';
import { s3EventSchema } from '../../shared/schemas/ingestion.js';
import { logger, orchestrator } from '../../shared/wiring.js';

const config = loadConfig(['STATE_MACHINE_ARN']);
const deps = { orchestrator: orchestrator(config), logger };

/** S3 `ObjectCreated` under `fresh/` → one ingestion execution per object. */
export const handler = asyncHandler('trigger', s3EventSchema, (event) => startIngestion(deps, event));
