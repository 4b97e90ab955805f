import { setValidationSuite } from '../../shared/app/datasets.js';
import { loadConfig } from '../../shared/config.js';
import { validationSuiteSchema } from '../../shared/domain/validation/index.js';
import { route } from '../../shared/http/route.js';
import { datasetPath } from '../../shared/http/schemas.js';
import { logger, metadataStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { datasets: metadataStore(config) };

/** `POST /datasets/{name}/validation-suite`: the checks every new file of the dataset must pass. */
export const handler = route(
  logger,
  { path: datasetPath, body: validationSuiteSchema },
  ({ tenant, path, body }) => setValidationSuite(deps, tenant, path.name, body),
);
