import { getRun, latestSuccessfulRun, listRuns } from '../../shared/app/runs/reads.js';
import { retryRun } from '../../shared/app/runs/retries.js';
import { loadConfig } from '../../shared/config.js';
import { apiHandler } from '../../shared/lambda/http.js';
import { clock, logger, orchestrator, runLineage, runStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE', 'STATE_MACHINE_ARN', 'DATA_BUCKET', 'OPENLINEAGE_URL']);
const runs = runStore(config);
const executions = orchestrator(config);
// A run its execution left RUNNING is ended FAILED on read, with its OpenLineage FAIL event.
const reading = { runs, reconcile: { orchestrator: executions, clock, logger, lineage: runLineage(config) } };
const retrying = { runs, orchestrator: executions, clock, logger };

/** Pipeline runs with their stages, and retries of failed ones (a new execution linked to the old). */
export const handler = apiHandler('runs', {
  'GET /runs/{id}': ({ tenant, path }) => getRun(reading, tenant, path.id),
  'POST /runs/{id}/retry': ({ tenant, path }) => retryRun(retrying, tenant, path.id),
  'GET /datasets/{name}/runs': ({ tenant, path, query }) => listRuns(reading, tenant, path.name, query),
  'GET /datasets/{name}/runs/latest-successful': ({ tenant, path }) =>
    latestSuccessfulRun(reading, tenant, path.name),
});
