import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { runLifecycleSchedule } from '../../shared/app/retention.js';
import { loadConfig } from '../../shared/config.js';
import { scheduleEventSchema } from '../../shared/schemas/lifecycle.js';
import { parseWith } from '../../shared/schemas/parse.js';
import { clock, lifecycleStore, logger, objectStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE']);
const deps = { lifecycle: lifecycleStore(config), store: objectStore(config), clock, logger };

/** Daily (EventBridge): repair interrupted moves, then apply every tenant's retention policy. */
export const handler = middy(async (event: unknown) =>
  runLifecycleSchedule(deps, parseWith(scheduleEventSchema, event)),
).use(injectLambdaContext(logger));
