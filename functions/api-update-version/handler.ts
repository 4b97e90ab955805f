import { updateVersionMetadata } from '../../shared/app/dataset-versions.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger, versionStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
const deps = { versions: versionStore(config) };

/** `PATCH /datasets/{name}/versions/{v}`: tags (replace, add, remove) and description; the updated record. */
export const handler = route(
  logger,
  ROUTES['PATCH /datasets/{name}/versions/{v}'],
  ({ tenant, path, body }) => updateVersionMetadata(deps, tenant, path.name, path.v, body),
);
