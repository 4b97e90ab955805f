import { getTrainingSet } from '../../shared/app/training-sets.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, metadataStore, objectStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE']);
const deps = { trainingSets: metadataStore(config), store: objectStore(config) };

/** `GET /training-sets/{id}`: the record, its manifest and presigned links to the manifest and data. */
export const handler = route(logger, ROUTES['GET /training-sets/{id}'], ({ tenant, path }) =>
  getTrainingSet(deps, tenant, path.id),
);
