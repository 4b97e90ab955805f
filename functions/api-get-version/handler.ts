import { getVersion } from '../../shared/app/datasets.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, objectStore, versionStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
const deps = { versions: versionStore(config), store: objectStore(config) };

/** `GET /datasets/{name}/versions/{v}`: the version record with its profile and validation report. */
export const handler = route(logger, ROUTES['GET /datasets/{name}/versions/{v}'], ({ tenant, path }) =>
  getVersion(deps, tenant, path.name, path.v),
);
