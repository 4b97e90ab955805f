/**
 * The wrapper of every HTTP API function: one function per area of the route registry (its routes' first
 * tag). API Gateway sends the area's path prefixes to it (GATEWAY_ROUTES: `ANY /files/{proxy+}`, …) and
 * `route()` finds the registry entry by method and path, then calls the use case the area's handler names
 * for it. Adding a route to an area is a registry entry and a line in the area's handler, no
 * infrastructure when its path is under one of the area's prefixes; the type below refuses a handler map
 * that misses one.
 */
import { type ApiEvent, type RouteRequest, route } from '../http/route.js';
import { ROUTE_LIST, type ROUTES, type RouteKeyOf, type Tag } from '../http/routes.js';
import { logger } from '../wiring.js';
import { observed } from './observed.js';

type Routes = typeof ROUTES;

/** The route keys of an area: the entries whose first tag is `A`. */
export type AreaRouteKey<A extends Tag> = {
  [K in RouteKeyOf]: Routes[K]['tags'][0] extends A ? K : never;
}[RouteKeyOf];

/** One use-case call per route of the area, each given its own route's parsed request. */
export type AreaHandlers<A extends Tag> = {
  readonly [K in AreaRouteKey<A>]: (request: RouteRequest<Routes[K]>) => Promise<unknown>;
};

export function apiHandler<A extends Tag>(area: A, handlers: AreaHandlers<A>) {
  const specs = ROUTE_LIST.filter((spec) => spec.area === area);
  const table = handlers as unknown as Record<string, (request: unknown) => Promise<unknown>>;
  const serve = route(logger, specs, (request) => {
    const run = table[request.routeKey];
    // Unreachable while the handler map type-checks; `route` answers a key outside `specs` with a 500.
    if (!run) throw new Error(`no use case for "${request.routeKey}"`);
    return run(request);
  });
  return observed('area', area, async (event: ApiEvent) => {
    logger.appendKeys({
      routeKey: event.routeKey,
      path: event.rawPath,
      tenant: event.requestContext.authorizer?.lambda?.tenant,
    });
    return serve(event);
  });
}
