import packageJson from '../../package.json' with { type: 'json' };
import { buildOpenApiDocument } from '../../shared/http/openapi.js';
import { route } from '../../shared/http/route.js';
import { ROUTE_LIST, ROUTES } from '../../shared/http/routes.js';
import { logger } from '../../shared/wiring.js';

// Built once per cold start; each answer only names the URL it was fetched from as the server.
const document = buildOpenApiDocument(ROUTE_LIST, { version: packageJson.version });

/** `GET /openapi.json`: the API's OpenAPI 3.1 document, public like `/health`. */
export const handler = route(logger, ROUTES['GET /openapi.json'], async ({ baseUrl }) => ({
  ...document,
  servers: [{ url: baseUrl }],
}));
