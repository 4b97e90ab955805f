import packageJson from '../../package.json' with { type: 'json' };
import { buildOpenApiDocument } from '../../shared/http/openapi.js';
import { ROUTE_LIST } from '../../shared/http/routes.js';
import { apiHandler } from '../../shared/lambda/http.js';

// Built once per cold start; each answer only names the URL it was fetched from as the server.
const document = buildOpenApiDocument(ROUTE_LIST, { version: packageJson.version });

/** The API itself, public: liveness (calls no dependency) and the OpenAPI 3.1 document. */
export const handler = apiHandler('meta', {
  'GET /health': async () => ({ status: 'ok', service: 'strata' }),
  'GET /openapi.json': async ({ baseUrl }) => ({ ...document, servers: [{ url: baseUrl }] }),
});
