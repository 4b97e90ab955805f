import { getConnectorRun, listConnectorRuns, startConnectorRun } from '../../shared/app/connectors/runs.js';
import { deleteConnector, getConnector, putConnector } from '../../shared/app/connectors/settings.js';
import { loadConfig } from '../../shared/config.js';
import { apiHandler } from '../../shared/lambda/http.js';
import { clock, connectorInvoker, connectorStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE', 'CONNECTOR_FUNCTION', 'DEPLOYMENT_BUCKETS']);
const deps = {
  connectors: connectorStore(config),
  invoker: connectorInvoker(config),
  clock,
  deploymentBuckets: config.DEPLOYMENT_BUCKETS,
};

/** Pull connectors: settings (PUT/GET/DELETE) and runs (start now, list, get). */
export const handler = apiHandler('connectors', {
  'PUT /datasets/{name}/connector': ({ tenant, path, body }) => putConnector(deps, tenant, path.name, body),
  'GET /datasets/{name}/connector': ({ tenant, path }) => getConnector(deps, tenant, path.name),
  'DELETE /datasets/{name}/connector': async ({ tenant, path }) => {
    await deleteConnector(deps, tenant, path.name);
    return { deleted: true };
  },
  'POST /datasets/{name}/connector/runs': ({ tenant, path }) => startConnectorRun(deps, tenant, path.name),
  'GET /datasets/{name}/connector/runs': ({ tenant, path, query }) =>
    listConnectorRuns(deps, tenant, path.name, query),
  'GET /datasets/{name}/connector/runs/{runId}': ({ tenant, path }) =>
    getConnectorRun(deps, tenant, path.name, path.runId),
});
