import { authenticate } from '../../shared/app/api-keys.js';
import { loadConfig } from '../../shared/config.js';
import { authorizerHandler } from '../../shared/lambda/authorizer.js';
import { metadataStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { apiKeys: metadataStore(config) };

/** HTTP API Lambda authorizer: `x-api-key` → tenant, passed to routes as context. */
export const handler = authorizerHandler((apiKey) => authenticate(deps, apiKey));
