import { getModelVersion, linkModelVersion, walkLineage } from '../../shared/app/lineage.js';
import { loadConfig } from '../../shared/config.js';
import { toMermaid } from '../../shared/domain/lineage.js';
import { RawResponse } from '../../shared/http/route.js';
import { apiHandler } from '../../shared/lambda/http.js';
import {
  clock,
  featureRegistry,
  lineageStore,
  metadataStore,
  modelStore,
  versionStore,
} from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE', 'FEATURES_TABLE']);
const deps = {
  lineage: lineageStore(config),
  models: modelStore(config),
  versions: versionStore(config),
  trainingSets: metadataStore(config),
  registry: featureRegistry(config),
  clock,
};

/** The lineage graph, and model versions linked to what they were trained on. */
export const handler = apiHandler('lineage', {
  'GET /lineage/{node+}': async ({ tenant, path, query }) => {
    const graph = await walkLineage(deps, tenant, path.node, query);
    return query.format === 'mermaid'
      ? new RawResponse(200, { 'content-type': 'text/plain; charset=utf-8' }, toMermaid(graph))
      : graph;
  },
  'GET /models/{name}/versions/{v}': ({ tenant, path }) => getModelVersion(deps, tenant, path.name, path.v),
  // Also writes the `trained_on` edge.
  'POST /models/{name}/versions/{v}/links': ({ tenant, path, body }) =>
    linkModelVersion(deps, tenant, path.name, path.v, body),
});
