import { getRetentionPolicy } from '../../shared/app/retention.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { lifecycleStore, logger } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { lifecycle: lifecycleStore(config) };

/** `GET /retention-policy`: the stored policy (404 when none is set). */
export const handler = route(logger, ROUTES['GET /retention-policy'], ({ tenant }) =>
  getRetentionPolicy(deps, tenant),
);
