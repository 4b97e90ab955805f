import { cleanup } from '../../shared/app/retention.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { clock, lifecycleStore, logger, objectStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE']);
const deps = { lifecycle: lifecycleStore(config), store: objectStore(config), clock, logger };

/** `POST /cleanup {days_old?, dry_run}`: deprecate old used files, delete deprecated ones after grace. */
export const handler = route(logger, ROUTES['POST /cleanup'], ({ tenant, body }) =>
  cleanup(deps, tenant, body),
);
