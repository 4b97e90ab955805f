import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { logger } from '../../shared/wiring.js';

/** `GET /health`: unauthenticated liveness of the API itself (no dependency is called). */
export const handler = route(logger, ROUTES['GET /health'], async () => ({
  status: 'ok',
  service: 'strata',
}));
