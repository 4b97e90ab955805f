import { setValidationSuite } from '../../shared/app/datasets.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, metadataStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { datasets: metadataStore(config) };

/** `POST /datasets/{name}/validation-suite`: the checks every new file of the dataset must pass. */
export const handler = route(
  logger,
  ROUTES['POST /datasets/{name}/validation-suite'],
  ({ tenant, path, body }) => setValidationSuite(deps, tenant, path.name, body),
);
