import { latestSuccessfulRun, listRuns } from '../../shared/app/runs.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, runStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { runs: runStore(config) };

/**
 * `GET /datasets/{name}/runs?status=&limit=&cursor=` (newest first) and
 * `GET /datasets/{name}/runs/latest-successful` (the newest SUCCEEDED run, with its stages).
 */
export const handler = route(
  logger,
  [ROUTES['GET /datasets/{name}/runs'], ROUTES['GET /datasets/{name}/runs/latest-successful']],
  (request) =>
    request.routeKey === 'GET /datasets/{name}/runs'
      ? listRuns(deps, request.tenant, request.path.name, request.query)
      : latestSuccessfulRun(deps, request.tenant, request.path.name),
);
