import { queryRows } from '../../shared/app/time-queries.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, metadataStore, objectStore, versionStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
const deps = { datasets: metadataStore(config), versions: versionStore(config), store: objectStore(config) };

/** `GET /datasets/{name}/rows?last=N` or `?start=&end=`: rows by timestamp from a version's snapshot. */
export const handler = route(logger, ROUTES['GET /datasets/{name}/rows'], ({ tenant, path, query }) =>
  queryRows(deps, tenant, path.name, query),
);
