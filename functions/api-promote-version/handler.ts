import { promoteVersion } from '../../shared/app/drift-governance.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { clock, logger, versionStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
const deps = { versions: versionStore(config), clock, logger };

/** `POST /datasets/{name}/versions/{v}/promote {reason}`: make a (held) version current, reason recorded. */
export const handler = route(
  logger,
  ROUTES['POST /datasets/{name}/versions/{v}/promote'],
  ({ tenant, path, body }) => promoteVersion(deps, tenant, path.name, path.v, body.reason),
);
