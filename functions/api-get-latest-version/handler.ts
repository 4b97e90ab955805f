import { getLatestVersion } from '../../shared/app/dataset-versions.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, metadataStore, objectStore, versionStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
const deps = { datasets: metadataStore(config), versions: versionStore(config), store: objectStore(config) };

/** `GET /datasets/{name}/versions/latest`: the current version, with its profile and validation report. */
export const handler = route(logger, ROUTES['GET /datasets/{name}/versions/latest'], ({ tenant, path }) =>
  getLatestVersion(deps, tenant, path.name),
);
