import { setDatasetConfig } from '../../shared/app/datasets.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, metadataStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { datasets: metadataStore(config) };

/**
 * `PUT /datasets/{name}/config`: column mapping, type overrides, dedup keys, error-rate limit, text
 * encoding, empty batches, column limits.
 */
export const handler = route(logger, ROUTES['PUT /datasets/{name}/config'], ({ tenant, path, body }) =>
  setDatasetConfig(deps, tenant, path.name, body),
);
