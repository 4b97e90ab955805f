import { cleanup, getRetentionPolicy, putRetentionPolicy } from '../../shared/app/lifecycle/retention.js';
import { getStatistics } from '../../shared/app/lifecycle/statistics.js';
import { loadConfig } from '../../shared/config.js';
import { apiHandler } from '../../shared/lambda/http.js';
import { clock, lifecycleStore, logger, objectStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE']);
const deps = { lifecycle: lifecycleStore(config), store: objectStore(config), clock, logger };

/** Statistics, the retention policy and cleanup: fresh → used → archived → deprecated → deleted. */
export const handler = apiHandler('lifecycle', {
  'GET /statistics': ({ tenant }) => getStatistics(deps, tenant),
  'GET /retention-policy': ({ tenant }) => getRetentionPolicy(deps, tenant),
  'PUT /retention-policy': ({ tenant, body }) => putRetentionPolicy(deps, tenant, body),
  // Deprecates old used files, deletes deprecated ones after the grace period.
  'POST /cleanup': ({ tenant, body }) => cleanup(deps, tenant, body),
});
