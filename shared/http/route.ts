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
  /** `METHOD /path/{param}`: lets one function serve sibling routes (a report as JSON and as HTML). */
  routeKey: string;
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
        routeKey: event.routeKey,
        path: parseWith(schemas.path ?? empty, event.pathParameters ?? {}, 'path') as z.infer<P>,
        query: parseWith(schemas.query ?? empty, event.queryStringParameters ?? {}, 'query') as z.infer<Q>,
        body: parseWith(schemas.body ?? empty, parseBody(event), 'body') as z.infer<B>,
      };
      const result = await run(request);
      if (result instanceof RawResponse) return result.toResult();
      return json(options.successStatus ?? 200, result);
    } catch (error) {
      const typed = isStrataError(error) ? error : new InternalError('unhandled error', { cause: error });
      if (typed.statusCode >= 500) logger.error('request failed', { error });
      else logger.info('request rejected', { errorName: typed.name, message: typed.message });
      return json(typed.statusCode, typed.toPublic());
    }
  };
}

/** A non-JSON answer (an HTML report): returned by a route's `run` as is, instead of serialized. */
export class RawResponse {
  constructor(
    readonly statusCode: number,
    readonly headers: Record<string, string>,
    readonly body: string,
  ) {}

  toResult(): APIGatewayProxyStructuredResultV2 {
    return { statusCode: this.statusCode, headers: this.headers, body: this.body };
  }
}

/**
 * A self-contained HTML document. The CSP allows nothing but inline styles and data: images, so even a
 * value from an uploaded file that slipped past escaping could not run script or reach the network.
 */
export function htmlResponse(body: string): RawResponse {
  return new RawResponse(
    200,
    {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, max-age=300',
    },
    body,
  );
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
