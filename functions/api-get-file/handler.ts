import { getFile } from '../../shared/app/datasets.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, metadataStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { metadata: metadataStore(config) };

/** `GET /files/{id}`: status, pipeline stage, failure (stage + error name) and the version produced. */
export const handler = route(logger, ROUTES['GET /files/{id}'], ({ tenant, path }) =>
  getFile(deps, tenant, path.id),
);
