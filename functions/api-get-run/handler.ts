import { getRun } from '../../shared/app/runs.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, runStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { runs: runStore(config) };

/** `GET /runs/{id}`: a pipeline run with its stages (start, end, status, duration, attempts, error). */
export const handler = route(logger, ROUTES['GET /runs/{id}'], ({ tenant, path }) =>
  getRun(deps, tenant, path.id),
);
