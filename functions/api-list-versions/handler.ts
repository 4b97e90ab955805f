import { listVersions } from '../../shared/app/datasets.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, metadataStore, versionStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
const deps = { datasets: metadataStore(config), versions: versionStore(config) };

/** `GET /datasets/{name}/versions?tag=`: newest first, paginated; with `tag` only the versions carrying it. */
export const handler = route(logger, ROUTES['GET /datasets/{name}/versions'], ({ tenant, path, query }) =>
  listVersions(deps, tenant, path.name, query),
);
