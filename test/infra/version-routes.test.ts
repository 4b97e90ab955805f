import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../infra/local/lambda-host.js';

// The version routes as infra/stack.ts declares them; listed in an order that would trip a matcher that
// took the first fit.
const routes = [
  'GET /datasets/{name}/versions/{v}',
  'PATCH /datasets/{name}/versions/{v}',
  'GET /datasets/{name}/versions/{v}/data',
  'GET /datasets/{name}/versions/{v}/diff/{other}',
  'GET /datasets/{name}/versions/latest',
  'GET /datasets/{name}/versions',
].map((routeKey) => ({ routeKey, functionName: routeKey }));

describe('version route matching', () => {
  it('routes versions/latest to its own route, not to {v}', () => {
    expect(matchRoute(routes, 'GET', '/datasets/churn/versions/latest')).toEqual({
      route: expect.objectContaining({ routeKey: 'GET /datasets/{name}/versions/latest' }),
      pathParameters: { name: 'churn' },
    });
    expect(matchRoute(routes, 'GET', '/datasets/churn/versions/7')?.route.routeKey).toBe(
      'GET /datasets/{name}/versions/{v}',
    );
  });

  it('tells PATCH from GET on one path and extracts both sides of a diff', () => {
    expect(matchRoute(routes, 'PATCH', '/datasets/churn/versions/3')?.route.routeKey).toBe(
      'PATCH /datasets/{name}/versions/{v}',
    );
    expect(matchRoute(routes, 'PATCH', '/datasets/churn/versions/latest')?.route.routeKey).toBe(
      'PATCH /datasets/{name}/versions/{v}',
    );
    expect(matchRoute(routes, 'GET', '/datasets/churn/versions/latest/diff/2')).toEqual({
      route: expect.objectContaining({ routeKey: 'GET /datasets/{name}/versions/{v}/diff/{other}' }),
      pathParameters: { name: 'churn', v: 'latest', other: '2' },
    });
  });
});
