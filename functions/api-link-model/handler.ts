import { linkModelVersion } from '../../shared/app/lineage.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import {
  clock,
  featureRegistry,
  logger,
  metadataStore,
  modelStore,
  versionStore,
} from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE', 'FEATURES_TABLE']);
const deps = {
  models: modelStore(config),
  versions: versionStore(config),
  trainingSets: metadataStore(config),
  registry: featureRegistry(config),
  clock,
};

/** `POST /models/{name}/versions/{v}/links`: what the model version was trained on (+ `trained_on` edge). */
export const handler = route(
  logger,
  ROUTES['POST /models/{name}/versions/{v}/links'],
  ({ tenant, path, body }) => linkModelVersion(deps, tenant, path.name, path.v, body),
);
