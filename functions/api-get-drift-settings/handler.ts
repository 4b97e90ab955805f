import { getDriftSettings } from '../../shared/app/drift-governance.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, metadataStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { datasets: metadataStore(config) };

/** `GET /datasets/{name}/drift-settings`: gates, reference, column roles and the effective thresholds. */
export const handler = route(logger, ROUTES['GET /datasets/{name}/drift-settings'], ({ tenant, path }) =>
  getDriftSettings(deps, tenant, path.name),
);
