import { writePredictions } from '../../shared/app/predictions.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { clock, logger, metadataStore, objectStore, versionStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
const deps = {
  store: objectStore(config),
  datasets: metadataStore(config),
  versions: versionStore(config),
  clock,
  logger,
};

/** `POST /datasets/{name}/predictions`: rows → a `<name>-predictions` file the pipeline versions (202). */
export const handler = route(logger, ROUTES['POST /datasets/{name}/predictions'], ({ tenant, path, body }) =>
  writePredictions(deps, tenant, path.name, body),
);
