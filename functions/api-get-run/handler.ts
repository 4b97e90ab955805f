import { getRun } from '../../shared/app/runs.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { clock, logger, orchestrator, runLineage, runStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE', 'STATE_MACHINE_ARN', 'DATA_BUCKET', 'OPENLINEAGE_URL']);
const deps = {
  runs: runStore(config),
  // A run its execution left RUNNING is ended FAILED on read, with its OpenLineage FAIL event.
  reconcile: { orchestrator: orchestrator(config), clock, logger, lineage: runLineage(config) },
};

/** `GET /runs/{id}`: a pipeline run with its stages (start, end, status, duration, attempts, error). */
export const handler = route(logger, ROUTES['GET /runs/{id}'], ({ tenant, path }) =>
  getRun(deps, tenant, path.id),
);
