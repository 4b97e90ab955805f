import { listFiles } from '../../shared/app/datasets.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, metadataStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { metadata: metadataStore(config) };

/** `GET /files?status=&type=&dataset=`: the tenant's files, newest first, paginated. */
export const handler = route(logger, ROUTES['GET /files'], ({ tenant, query }) =>
  listFiles(deps, tenant, query),
);
