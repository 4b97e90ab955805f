import { latestSuccessfulRun, listRuns } from '../../shared/app/runs.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { datasetPath, listRunsQuery } from '../../shared/http/schemas.js';
import { logger, runStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { runs: runStore(config) };

/**
 * `GET /datasets/{name}/runs?status=&limit=&cursor=` (newest first) and
 * `GET /datasets/{name}/runs/latest-successful` (the newest SUCCEEDED run, with its stages).
 */
export const handler = route(
  logger,
  { path: datasetPath, query: listRunsQuery },
  ({ tenant, path, query, routeKey }) =>
    routeKey.endsWith('/latest-successful')
      ? latestSuccessfulRun(deps, tenant, path.name)
      : listRuns(deps, tenant, path.name, query),
);
