import { retryRun } from '../../shared/app/runs.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { clock, logger, orchestrator, runStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE', 'STATE_MACHINE_ARN']);
const deps = { runs: runStore(config), orchestrator: orchestrator(config), clock, logger };

/** `POST /runs/{id}/retry`: a FAILED run's file through the pipeline again, as a new linked run; 202. */
export const handler = route(logger, ROUTES['POST /runs/{id}/retry'], ({ tenant, path }) =>
  retryRun(deps, tenant, path.id),
);
