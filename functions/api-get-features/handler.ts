import { getFeatures } from '../../shared/app/feature-store.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { featureRegistry, logger, objectStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'FEATURES_TABLE']);
const deps = { registry: featureRegistry(config), store: objectStore(config) };

/** `GET /features/{name}?version=`: `{features, version, metadata}` as a page of rows or Parquet URLs. */
export const handler = route(logger, ROUTES['GET /features/{name}'], ({ tenant, path, query }) =>
  getFeatures(deps, tenant, path.name, query),
);
