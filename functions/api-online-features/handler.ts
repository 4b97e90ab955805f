import { lookupOnline } from '../../shared/app/feature-store.js';
import { loadConfig } from '../../shared/config.js';
import { parseFeatureRef } from '../../shared/domain/feature-store.js';
import { route } from '../../shared/http/route.js';
import { ROUTES } from '../../shared/http/routes.js';
import { featureRegistry, logger, onlineFeatureStore } from '../../shared/wiring.js';

const config = loadConfig(['FEATURES_TABLE', 'ONLINE_FEATURES_TABLE']);
const deps = { registry: featureRegistry(config), online: onlineFeatureStore(config) };

/** `POST /features/online {feature_refs, entity_keys}`: latest values per entity (≤ 100 keys). */
export const handler = route(logger, ROUTES['POST /features/online'], ({ tenant, body }) =>
  lookupOnline(deps, tenant, body.feature_refs.map(parseFeatureRef), body.entity_keys),
);
