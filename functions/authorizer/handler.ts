import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { authenticate } from '../../shared/app/api-keys.js';
import { loadConfig } from '../../shared/config.js';
import { isStrataError } from '../../shared/errors.js';
import type { TenantContext } from '../../shared/http/route.js';
import { logger, metadataStore } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE']);
const deps = { apiKeys: metadataStore(config) };

/** HTTP API Lambda authorizer (simple responses): `x-api-key` → tenant, passed to routes as context. */
export const handler = middy(
  async (
    event: APIGatewayRequestAuthorizerEventV2,
  ): Promise<APIGatewaySimpleAuthorizerWithContextResult<TenantContext>> => {
    try {
      const { tenant } = await authenticate(deps, event.headers?.['x-api-key']);
      return { isAuthorized: true, context: { tenant } };
    } catch (error) {
      // A bad key is a 403 to the caller; anything else must surface as an authorizer failure (500).
      if (isStrataError(error) && error.name === 'UnauthorizedError') {
        logger.info('request denied', { reason: error.message });
        return { isAuthorized: false, context: { tenant: '' } };
      }
      throw error;
    }
  },
).use(injectLambdaContext(logger));
