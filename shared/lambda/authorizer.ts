/**
 * The wrapper of the HTTP API's Lambda authorizer (simple responses): `x-api-key` → tenant, handed to
 * every route as the authorizer context. A bad key is a 403 to the caller; any other failure throws and
 * surfaces as an authorizer error (500), so an outage never reads as "your key is wrong".
 */
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { isStrataError } from '../errors.js';
import type { TenantContext } from '../http/route.js';
import { logger } from '../wiring.js';
import { observed } from './observed.js';

export function authorizerHandler(authenticate: (apiKey: string | undefined) => Promise<TenantContext>) {
  return observed(
    'area',
    'authorizer',
    async (
      event: APIGatewayRequestAuthorizerEventV2,
    ): Promise<APIGatewaySimpleAuthorizerWithContextResult<TenantContext>> => {
      try {
        const { tenant } = await authenticate(event.headers?.['x-api-key']);
        return { isAuthorized: true, context: { tenant } };
      } catch (error) {
        if (isStrataError(error) && error.name === 'UnauthorizedError') {
          logger.info('request denied', { reason: error.message });
          return { isAuthorized: false, context: { tenant: '' } };
        }
        throw error;
      }
    },
  );
}
