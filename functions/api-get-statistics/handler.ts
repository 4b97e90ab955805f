import { getStatistics } from '../../shared/app/statistics.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { lifecycleStore, logger } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { lifecycle: lifecycleStore(config) };

/** `GET /statistics`: files, bytes and usage by status, data type and dataset. */
export const handler = route(logger, ROUTES['GET /statistics'], ({ tenant }) => getStatistics(deps, tenant));
