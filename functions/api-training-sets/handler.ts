import { consumeFile, consumeTrainingSet } from '../../shared/app/lifecycle/consumption.js';
import { createTrainingSet, getTrainingSet, newTrainingSetId } from '../../shared/app/training-sets.js';
import { loadConfig } from '../../shared/config.js';
import { apiHandler } from '../../shared/lambda/http.js';
import {
  clock,
  datasetTables,
  lifecycleStore,
  logger,
  objectStore,
  trainingSetStore,
  versionStore,
} from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
// One store for both roles: a training set is written with its lineage edges.
const metadata = trainingSetStore(config);
const deps = {
  metadata,
  trainingSets: metadata,
  versions: versionStore(config),
  lifecycle: lifecycleStore(config),
  store: objectStore(config),
  tables: datasetTables(config),
  clock,
  logger,
  ids: newTrainingSetId,
};

/** Training-set selection, manifests (and combined files), and consumption by training jobs. */
export const handler = apiHandler('training-sets', {
  'POST /training-sets': ({ tenant, body }) => createTrainingSet(deps, tenant, body),
  'GET /training-sets/{id}': ({ tenant, path }) => getTrainingSet(deps, tenant, path.id),
  // One use per file and job, then the lifecycle moves.
  'POST /training-sets/{id}/consume': ({ tenant, path, body }) =>
    consumeTrainingSet(deps, tenant, path.id, body.jobId),
  'POST /files/{id}/consume': ({ tenant, path, body }) => consumeFile(deps, tenant, path.id, body.jobId),
});
