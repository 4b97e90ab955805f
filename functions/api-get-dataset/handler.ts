import { getDataset } from '../../shared/app/datasets.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, metadataStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { datasets: metadataStore(config) };

/** `GET /datasets/{name}`: counters, config, validation suite and current version. */
export const handler = route(logger, ROUTES['GET /datasets/{name}'], ({ tenant, path }) =>
  getDataset(deps, tenant, path.name),
);
