import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_METADATA_KEY } from '../../infra/constructs/strata-function.js';
import { matchRoute } from '../../infra/local/lambda-host.js';
import { createStrataApp } from '../../infra/strata-app.js';
import { resolveRoute } from '../../shared/http/route.js';
import { GATEWAY_ROUTES, ROUTE_LIST } from '../../shared/http/routes.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

interface TemplateRoute {
  key: string;
  authorization: string;
  /** The source file of the function the route's integration invokes. */
  entry: string | undefined;
}

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
>;

let routes: TemplateRoute[];

beforeAll(() => {
  const { stack } = createStrataApp({ bundle: false, outdir: mkdtempSync(join(tmpdir(), 'strata-cdk-')) });
  const resources = Template.fromStack(stack).toJSON().Resources as Resources;
  const integrationTarget = (target: unknown) => {
    // `integrations/<integration id>`, as CloudFormation joins it.
    const parts = (target as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    return (parts.find((p) => typeof p === 'object') as { Ref: string }).Ref;
  };
  routes = Object.values(resources)
    .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
    .map((r) => {
      const integration = resources[integrationTarget(r.Properties?.Target)];
      const uri = integration?.Properties?.IntegrationUri as { 'Fn::GetAtt': [string, string] } | undefined;
      const fnId = uri?.['Fn::GetAtt'][0] ?? '';
      return {
        key: r.Properties?.RouteKey as string,
        authorization: r.Properties?.AuthorizationType as string,
        entry: resources[fnId]?.Metadata?.[ENTRY_METADATA_KEY] as string | undefined,
      };
    });
});

/** A request path for an entry: each `{param}` a value, a greedy `{param+}` two segments. */
function samplePath(template: string): string {
  return template.replace(/\{[^}]+\+\}/g, 'a/b').replace(/\{[^}]+\}/g, 'x1');
}

describe('the route registry and the stack', () => {
  it('routes every entry to its own area: the stack route API Gateway picks for its method and path', () => {
    // Prepare: the stack's routes as the local cloud matches them (API Gateway's most specific route).
    const local = routes.map((r) => ({ routeKey: r.key, functionName: r.key }));
    expect(routes.map((r) => r.key).sort()).toEqual(GATEWAY_ROUTES.map((r) => r.key).sort());

    for (const spec of ROUTE_LIST) {
      // Act
      const picked = matchRoute(local, spec.method, samplePath(spec.pathTemplate));
      const route = routes.find((r) => r.key === picked?.route.routeKey);

      // Assess: the route reaches the entry's function, whose handler finds the entry again.
      expect(route?.entry, spec.key).toBe(`functions/${spec.handler}/handler.ts`);
      expect(route?.authorization, spec.key).toBe(spec.auth === 'none' ? 'NONE' : 'CUSTOM');
      const area = ROUTE_LIST.filter((r) => r.area === spec.area);
      expect(resolveRoute(area, spec.method, samplePath(spec.pathTemplate))?.spec.key, spec.key).toBe(
        spec.key,
      );
    }
  });

  it('has no stack route that no entry reaches, and fewer routes than entries', () => {
    // Act
    const reached = new Set(
      ROUTE_LIST.map(
        (spec) =>
          matchRoute(
            routes.map((r) => ({ routeKey: r.key, functionName: r.key })),
            spec.method,
            samplePath(spec.pathTemplate),
          )?.route.routeKey,
      ),
    );

    // Assess
    expect(routes.filter((r) => !reached.has(r.key)).map((r) => r.key)).toEqual([]);
    expect(routes.length).toBeLessThan(ROUTE_LIST.length);
  });

  it('has a handler file for every entry, which takes its schemas from the registry', () => {
    for (const spec of ROUTE_LIST) {
      const file = join(REPO_ROOT, 'functions', spec.handler, 'handler.ts');
      expect(existsSync(file), `${spec.key}: ${file}`).toBe(true);
      // apiHandler (shared/lambda/http.ts) takes each key's schemas from the registry entry of that area.
      const source = readFileSync(file, 'utf8');
      expect(source, spec.key).toContain(`apiHandler('${spec.area}'`);
      expect(source, spec.key).toContain(`'${spec.key}'`);
    }
  });
});
