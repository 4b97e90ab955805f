import { createTrainingSet, newTrainingSetId } from '../../shared/app/training-sets.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { clock, logger, objectStore, trainingSetStore, versionStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
// One store for both roles: it writes the training set with its lineage edges.
const metadata = trainingSetStore(config);
const deps = {
  metadata,
  trainingSets: metadata,
  versions: versionStore(config),
  store: objectStore(config),
  clock,
  ids: newTrainingSetId,
};

/** `POST /training-sets`: select files, write the immutable manifest (and a combined file), return links. */
export const handler = route(logger, ROUTES['POST /training-sets'], ({ tenant, body }) =>
  createTrainingSet(deps, tenant, body),
);
