import { listDatasets } from '../../shared/app/list-datasets.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, metadataStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { metadata: metadataStore(config) };

/** `GET /datasets`: the tenant's datasets with their file counters. */
export const handler = route(logger, ROUTES['GET /datasets'], ({ tenant, query }) =>
  listDatasets(deps, tenant, query),
);
