import { putRetentionPolicy } from '../../shared/app/retention.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { clock, lifecycleStore, logger } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { lifecycle: lifecycleStore(config), clock };

/** `PUT /retention-policy {days_old, grace_days?, archive_after_uses?}`: the policy the scheduler applies. */
export const handler = route(logger, ROUTES['PUT /retention-policy'], ({ tenant, body }) =>
  putRetentionPolicy(deps, tenant, body),
);
