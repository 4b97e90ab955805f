/**
 * The HTTP side of every API handler: authorizer context → tenant, zod-parsed path/query/body, typed
 * errors → status codes. 5xx responses carry only the error name; the detail goes to the log.
 */
import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { z } from 'zod';
import { InternalError, isStrataError, RouteNotFoundError, UnauthorizedError } from '../errors.js';
import type { Logger } from '../ports.js';
import { parseWith } from '../schemas/parse.js';

export interface TenantContext {
  tenant: string;
}

export type ApiEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<TenantContext>;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * What `route()` takes from a route's entry in the registry (`ROUTES` in shared/http/routes.ts): the key
 * it serves, who may call it, the schemas of its parts and its success status. Handlers pass the entry
 * itself, so the OpenAPI document built from the registry describes exactly what they validate.
 */
export interface RouteContract {
  /** `METHOD /path/{param}`, as API Gateway routes it. */
  readonly key: string;
  /** `none`: public (no authorizer, no tenant); `apiKey`: the authorizer's tenant is required. */
  readonly auth: 'apiKey' | 'none';
  readonly path?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  readonly successStatus: number;
}

/** A part the route declares no schema for passes as it came. */
const empty = z.object({}).loose();

/** A request part as `run` sees it: its schema's output, or the loose object when there is none. */
type Parsed<S, K extends 'path' | 'query' | 'body'> = S extends {
  readonly [P in K]: infer T extends z.ZodType;
}
  ? z.output<T>
  : z.output<typeof empty>;

/** Per served route (a union when one function serves several), so `routeKey` narrows the parts. */
export type RouteRequest<S extends RouteContract> = S extends RouteContract
  ? {
      tenant: string;
      /** `METHOD /path/{param}`: lets one function serve sibling routes (a report as JSON and as HTML). */
      routeKey: S['key'];
      /** `https://<domain>` the caller reached the API at, for links back into it. */
      baseUrl: string;
      path: Parsed<S, 'path'>;
      query: Parsed<S, 'query'>;
      body: Parsed<S, 'body'>;
    }
  : never;

/**
 * The handler of one route, or of sibling routes served by one function (each validated by its own
 * entry, picked by the event's route key; a key the function does not serve is a wiring bug, a 500).
 */
export function route<S extends RouteContract>(
  logger: Logger,
  routes: S | readonly S[],
  run: (request: RouteRequest<S>) => Promise<unknown>,
) {
  const list = ([] as RouteContract[]).concat(routes);
  const served = new Map(list.map((r) => [r.key, r]));
  return async (event: ApiEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      // API Gateway routes an area's paths to its function by greedy routes (`ANY /files/{proxy+}`): the
      // function finds the entry by method and path itself. A route of the function's own is taken as is.
      const own = served.get(event.routeKey);
      const method = event.requestContext.http?.method ?? event.routeKey.split(' ')[0] ?? '';
      const found = own
        ? { spec: own, params: event.pathParameters ?? {} }
        : resolveRoute(list, method, event.rawPath);
      if (!found) throw new RouteNotFoundError(`no route for ${method} ${event.rawPath}`);
      const { spec } = found;
      const tenant = event.requestContext.authorizer?.lambda?.tenant;
      if (spec.auth !== 'none' && !tenant) throw new UnauthorizedError('no tenant in the authorizer context');
      const request = {
        tenant: tenant ?? '',
        routeKey: spec.key,
        baseUrl: baseUrlOf(event),
        path: parseWith(spec.path ?? empty, found.params, 'path'),
        query: parseWith(spec.query ?? empty, event.queryStringParameters ?? {}, 'query'),
        body: parseWith(spec.body ?? empty, parseBody(event), 'body'),
      } as RouteRequest<S>;
      const result = await run(request);
      if (result instanceof RawResponse) return result.toResult();
      return json(spec.successStatus, result);
    } catch (error) {
      const typed = isStrataError(error) ? error : new InternalError('unhandled error', { cause: error });
      if (typed.statusCode >= 500) logger.error('request failed', { error });
      else logger.info('request rejected', { errorName: typed.name, message: typed.message });
      return json(typed.statusCode, typed.toPublic());
    }
  };
}

/**
 * The entry of `routes` a request's method and path match, with its path parameters decoded as API
 * Gateway decodes them: `{name}` one segment, `{name+}` the rest of the path. Entries with more literal
 * segments win, as API Gateway's most specific route does; undefined when none matches.
 */
export function resolveRoute<R extends Pick<RouteContract, 'key'>>(
  routes: readonly R[],
  method: string,
  rawPath: string,
): { spec: R; params: Record<string, string> } | undefined {
  const segments = pathSegments(rawPath);
  let best: { spec: R; params: Record<string, string>; literal: number } | undefined;
  for (const spec of routes) {
    const [specMethod, template = ''] = spec.key.split(' ');
    if (specMethod !== method) continue;
    const match = matchPathTemplate(template, segments);
    if (match && (!best || match.literal > best.literal)) best = { spec, ...match };
  }
  return best && { spec: best.spec, params: best.params };
}

/** How a path matched a route template: its decoded parameters, and how specific the match was. */
export interface TemplateMatch {
  params: Record<string, string>;
  /** Segments matched literally. */
  literal: number;
  /** Segments taken by a one-segment `{name}`. */
  single: number;
}

/** A path's segments (empty ones dropped, as API Gateway treats `//`). */
export function pathSegments(rawPath: string): string[] {
  return rawPath.split('/').filter((s) => s !== '');
}

/**
 * Matches a path's segments against a route template (`/datasets/{name}/versions/{proxy+}`) as API Gateway
 * does: `{name}` takes one segment, a final `{name+}` the rest of the path (at least one segment), each
 * decoded; undefined when the path does not match.
 */
export function matchPathTemplate(template: string, segments: readonly string[]): TemplateMatch | undefined {
  const parts = pathSegments(template);
  const params: Record<string, string> = {};
  let literal = 0;
  let single = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (part.endsWith('+}')) {
      params[part.slice(1, -2)] = segments.slice(i).map(decodeSegment).join('/');
      return { params, literal, single };
    }
    if (part.startsWith('{')) {
      params[part.slice(1, -1)] = decodeSegment(segment);
      single++;
    } else if (part === segment) {
      literal++;
    } else {
      return undefined;
    }
  }
  return parts.length === segments.length ? { params, literal, single } : undefined;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // A malformed escape is passed on as sent; the path's schema judges it.
    return segment;
  }
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

/**
 * The API's origin as the caller reached it: `https://<domainName>` in AWS (API Gateway sets
 * `x-forwarded-proto`); the local cloud sends neither that header nor TLS, so a loopback host is http.
 */
export function baseUrlOf(event: Pick<ApiEvent, 'headers' | 'requestContext'>): string {
  const host = event.requestContext.domainName;
  const forwarded = event.headers?.['x-forwarded-proto']?.split(',')[0]?.trim().toLowerCase();
  const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/i.test(host);
  const scheme = forwarded === 'http' || forwarded === 'https' ? forwarded : loopback ? 'http' : 'https';
  return `${scheme}://${host}`;
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
