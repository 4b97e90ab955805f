import { versionDownloadUrl } from '../../shared/app/datasets.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, objectStore, versionStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
const deps = { versions: versionStore(config), store: objectStore(config) };

/** `GET /datasets/{name}/versions/{v}/data?format=parquet|csv`: a presigned download URL. */
export const handler = route(
  logger,
  ROUTES['GET /datasets/{name}/versions/{v}/data'],
  ({ tenant, path, query }) => versionDownloadUrl(deps, tenant, path.name, path.v, query.format),
);
