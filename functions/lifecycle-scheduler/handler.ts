import { runLifecycleSchedule } from '../../shared/app/lifecycle/retention.js';
import { loadConfig } from '../../shared/config.js';
import { scheduledHandler } from '../../shared/lambda/scheduled.js';
import { scheduleEventSchema } from '../../shared/schemas/lifecycle.js';
import {
  clock,
  datasetTables,
  lifecycleStore,
  logger,
  metadataStore,
  objectStore,
} from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE']);
const metadata = metadataStore(config);
const deps = {
  lifecycle: lifecycleStore(config),
  store: objectStore(config),
  datasets: metadata,
  metadata,
  tables: datasetTables(config),
  clock,
  logger,
};

/** Daily (EventBridge): repair interrupted moves, then apply every tenant's retention policy and vacuum its tables. */
export const handler = scheduledHandler('lifecycle-scheduler', scheduleEventSchema, (event) =>
  runLifecycleSchedule(deps, event),
);
