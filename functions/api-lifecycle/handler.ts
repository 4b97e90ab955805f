import { cleanup, getRetentionPolicy, putRetentionPolicy } from '../../shared/app/lifecycle/retention.js';
import { getStatistics } from '../../shared/app/lifecycle/statistics.js';
import { vacuumDataset } from '../../shared/app/lifecycle/vacuum.js';
import { loadConfig } from '../../shared/config.js';
import { apiHandler } from '../../shared/lambda/http.js';
import { lifecycleDeps } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE']);
const deps = lifecycleDeps(config);

/** Statistics, the retention policy, cleanup (fresh → used → archived → deprecated → deleted) and vacuum. */
export const handler = apiHandler('lifecycle', {
  'GET /statistics': ({ tenant }) => getStatistics(deps, tenant),
  'GET /retention-policy': ({ tenant }) => getRetentionPolicy(deps, tenant),
  'PUT /retention-policy': ({ tenant, body }) => putRetentionPolicy(deps, tenant, body),
  // Deprecates old used files, deletes deprecated ones after the grace period.
  'POST /cleanup': ({ tenant, body }) => cleanup(deps, tenant, body),
  // Reads the table's log (tables/), records the oldest readable version, then deletes retired data files.
  'POST /datasets/{name}/vacuum': ({ tenant, path, body }) => vacuumDataset(deps, tenant, path.name, body),
});
