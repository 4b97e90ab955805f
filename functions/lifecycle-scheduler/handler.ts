import { runLifecycleSchedule } from '../../shared/app/lifecycle/retention.js';
import { loadConfig } from '../../shared/config.js';
import { scheduledHandler } from '../../shared/lambda/scheduled.js';
import { scheduleEventSchema } from '../../shared/schemas/lifecycle.js';
import { lifecycleDeps } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE']);
const deps = lifecycleDeps(config);

/** Daily (EventBridge): repair interrupted moves, then apply every tenant's retention policy and vacuum its tables. */
export const handler = scheduledHandler('lifecycle-scheduler', scheduleEventSchema, (event) =>
  runLifecycleSchedule(deps, event),
);
