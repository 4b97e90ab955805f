import { registerFeatureVersion } from '../../shared/app/feature-store.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import {
  clock,
  featureRegistry,
  logger,
  metadataStore,
  objectStore,
  onlineFeatureStore,
  versionStore,
} from '../../shared/wiring.js';

const config = loadConfig([
  'DATA_BUCKET',
  'METADATA_TABLE',
  'VERSIONS_TABLE',
  'LINEAGE_TABLE',
  'FEATURES_TABLE',
  'ONLINE_FEATURES_TABLE',
]);
const deps = {
  registry: featureRegistry(config),
  online: onlineFeatureStore(config),
  versions: versionStore(config),
  datasets: metadataStore(config),
  store: objectStore(config),
  clock,
  logger,
};

/** `POST /features/{name}/versions`: register a feature version (offline Parquet + online values). */
export const handler = route(logger, ROUTES['POST /features/{name}/versions'], ({ tenant, path, body }) =>
  registerFeatureVersion(deps, tenant, path.name, body),
);
