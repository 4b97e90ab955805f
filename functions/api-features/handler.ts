import { registerFeatureVersion } from '../../shared/app/features/registration.js';
import { getFeatures, historicalFeatures, lookupOnline } from '../../shared/app/features/serving.js';
import { loadConfig } from '../../shared/config.js';
import { parseFeatureRef } from '../../shared/domain/feature-store.js';
import { apiHandler } from '../../shared/lambda/http.js';
import {
  clock,
  datasetTables,
  featureRegistry,
  logger,
  metadataStore,
  objectStore,
  onlineFeatureStore,
  versionStore,
} from '../../shared/wiring.js';

const config = loadConfig([
  'DATA_BUCKET',
  'METADATA_TABLE',
  'VERSIONS_TABLE',
  'LINEAGE_TABLE',
  'FEATURES_TABLE',
  'ONLINE_FEATURES_TABLE',
]);
const deps = {
  registry: featureRegistry(config),
  online: onlineFeatureStore(config),
  versions: versionStore(config),
  datasets: metadataStore(config),
  store: objectStore(config),
  tables: datasetTables(config),
  clock,
  logger,
};

/** Feature store: versioned features, offline rows, online and point-in-time lookups. */
export const handler = apiHandler('features', {
  // Reads the source version's snapshot, writes offline Parquet and the online items.
  'POST /features/{name}/versions': ({ tenant, path, body }) =>
    registerFeatureVersion(deps, tenant, path.name, body),
  'GET /features/{name}': ({ tenant, path, query }) => getFeatures(deps, tenant, path.name, query),
  'POST /features/online': ({ tenant, body }) =>
    lookupOnline(deps, tenant, body.feature_refs.map(parseFeatureRef), body.entity_keys),
  'POST /features/historical': ({ tenant, body }) =>
    historicalFeatures(
      deps,
      tenant,
      body.feature_refs.map(parseFeatureRef),
      body.entity_rows,
      body.timestamp_field,
    ),
});
