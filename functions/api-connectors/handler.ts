import {
  deleteConnector,
  getConnector,
  getConnectorRun,
  listConnectorRuns,
  putConnector,
  startConnectorRun,
} from '../../shared/app/connectors.js';
import { loadConfig } from '../../shared/config.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { clock, connectorInvoker, connectorStore, logger } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE', 'CONNECTOR_FUNCTION', 'DEPLOYMENT_BUCKETS']);
const deps = {
  connectors: connectorStore(config),
  invoker: connectorInvoker(config),
  clock,
  deploymentBuckets: config.DEPLOYMENT_BUCKETS,
};

/** `…/datasets/{name}/connector`: settings (PUT/GET/DELETE) and runs (start, list, get). */
export const handler = route(
  logger,
  [
    ROUTES['PUT /datasets/{name}/connector'],
    ROUTES['GET /datasets/{name}/connector'],
    ROUTES['DELETE /datasets/{name}/connector'],
    ROUTES['POST /datasets/{name}/connector/runs'],
    ROUTES['GET /datasets/{name}/connector/runs'],
    ROUTES['GET /datasets/{name}/connector/runs/{runId}'],
  ],
  async (request) => {
    const { tenant } = request;
    switch (request.routeKey) {
      case 'PUT /datasets/{name}/connector':
        return putConnector(deps, tenant, request.path.name, request.body);
      case 'GET /datasets/{name}/connector':
        return getConnector(deps, tenant, request.path.name);
      case 'DELETE /datasets/{name}/connector':
        await deleteConnector(deps, tenant, request.path.name);
        return { deleted: true };
      case 'POST /datasets/{name}/connector/runs':
        return startConnectorRun(deps, tenant, request.path.name);
      case 'GET /datasets/{name}/connector/runs':
        return listConnectorRuns(deps, tenant, request.path.name, request.query);
      case 'GET /datasets/{name}/connector/runs/{runId}':
        return getConnectorRun(deps, tenant, request.path.name, request.path.runId);
    }
  },
);
