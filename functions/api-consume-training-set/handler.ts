import { consumeTrainingSet } from '../../shared/app/consume-training-set.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { clock, lifecycleStore, logger, metadataStore, objectStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE']);
const deps = {
  trainingSets: metadataStore(config),
  lifecycle: lifecycleStore(config),
  store: objectStore(config),
  clock,
  logger,
};

/** `POST /training-sets/{id}/consume {job_id}`: one use per file and job, then the lifecycle moves. */
export const handler = route(logger, ROUTES['POST /training-sets/{id}/consume'], ({ tenant, path, body }) =>
  consumeTrainingSet(deps, tenant, path.id, body.jobId),
);
