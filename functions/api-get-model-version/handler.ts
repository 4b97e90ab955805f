import { getModelVersion } from '../../shared/app/lineage.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, modelStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE', 'LINEAGE_TABLE']);
const deps = { models: modelStore(config) };

/** `GET /models/{name}/versions/{v}`: the model version and what it is linked to. */
export const handler = route(logger, ROUTES['GET /models/{name}/versions/{v}'], ({ tenant, path }) =>
  getModelVersion(deps, tenant, path.name, path.v),
);
