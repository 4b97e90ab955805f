import { historicalFeatures } from '../../shared/app/feature-store.js';
import { loadConfig } from '../../shared/config.js';
import { parseFeatureRef } from '../../shared/domain/feature-store.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { featureRegistry, logger, objectStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'FEATURES_TABLE']);
const deps = { registry: featureRegistry(config), store: objectStore(config) };

/** `POST /features/historical`: point-in-time correct feature values for entity rows with timestamps. */
export const handler = route(logger, ROUTES['POST /features/historical'], ({ tenant, body }) =>
  historicalFeatures(
    deps,
    tenant,
    body.feature_refs.map(parseFeatureRef),
    body.entity_rows,
    body.timestamp_field,
  ),
);
