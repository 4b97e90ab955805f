import { walkLineage } from '../../shared/app/lineage.js';
import { loadConfig } from '../../shared/config.js';
import { toMermaid } from '../../shared/domain/lineage.js';
import { RawResponse, route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { lineageStore, logger } from '../../shared/wiring.js';

const config = loadConfig(['LINEAGE_TABLE']);
const deps = { lineage: lineageStore(config) };

/** `GET /lineage/{node+}?direction=up|down|both&depth=&format=json|mermaid`. */
export const handler = route(logger, ROUTES['GET /lineage/{node+}'], async ({ tenant, path, query }) => {
  const graph = await walkLineage(deps, tenant, path.node, query);
  return query.format === 'mermaid'
    ? new RawResponse(200, { 'content-type': 'text/plain; charset=utf-8' }, toMermaid(graph))
    : graph;
});
