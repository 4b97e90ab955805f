/**
 * The HTTP side of every API handler: authorizer context → tenant, zod-parsed path/query/body, typed
 * errors → status codes. 5xx responses carry only the error name; the detail goes to the log.
 */
import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { z } from 'zod';
import { InternalError, isStrataError, UnauthorizedError } from '../errors.js';
import type { Logger } from '../ports.js';
import { parseWith } from '../schemas/parse.js';

export interface TenantContext {
  tenant: string;
}

export type ApiEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<TenantContext>;

export interface RouteSchemas<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  path?: P;
  query?: Q;
  body?: B;
}

export interface RouteRequest<P, Q, B> {
  tenant: string;
  path: P;
  query: Q;
  body: B;
}

const empty = z.object({}).loose();

export function route<
  P extends z.ZodType = typeof empty,
  Q extends z.ZodType = typeof empty,
  B extends z.ZodType = typeof empty,
>(
  logger: Logger,
  schemas: RouteSchemas<P, Q, B>,
  run: (request: RouteRequest<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<unknown>,
  options: { public?: boolean; successStatus?: number } = {},
) {
  return async (event: ApiEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const tenant = event.requestContext.authorizer?.lambda?.tenant;
      if (!options.public && !tenant) throw new UnauthorizedError('no tenant in the authorizer context');
      const request = {
        tenant: tenant ?? '',
        path: parseWith(schemas.path ?? empty, event.pathParameters ?? {}, 'path') as z.infer<P>,
        query: parseWith(schemas.query ?? empty, event.queryStringParameters ?? {}, 'query') as z.infer<Q>,
        body: parseWith(schemas.body ?? empty, parseBody(event), 'body') as z.infer<B>,
      };
      return json(options.successStatus ?? 200, await run(request));
    } catch (error) {
      const typed = isStrataError(error) ? error : new InternalError('unhandled error', { cause: error });
      if (typed.statusCode >= 500) logger.error('request failed', { error });
      else logger.info('request rejected', { errorName: typed.name, message: typed.message });
      return json(typed.statusCode, typed.toPublic());
    }
  };
}

function parseBody(event: ApiEvent): unknown {
  if (!event.body) return {};
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text);
  } catch {
    // Left to the body schema to reject, with the same typed error as any other bad body.
    return text;
  }
}

function json(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}
