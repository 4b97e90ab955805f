import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_METADATA_KEY } from '../../infra/constructs/strata-function.js';
import { createStrataApp } from '../../infra/strata-app.js';
import { ROUTE_LIST } from '../../shared/http/routes.js';

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

describe('the route registry and the stack', () => {
  it('has an entry for every route of the stack, and the stack a route for every entry', () => {
    const inStack = routes.map((r) => r.key).sort();
    const inRegistry = ROUTE_LIST.map((r) => r.key).sort();
    expect(inStack.length).toBeGreaterThan(40);
    expect(
      inStack.filter((k) => !inRegistry.includes(k)),
      'routes of infra/stack.ts without an entry in shared/http/routes.ts (add one, then `npm run openapi`)',
    ).toEqual([]);
    expect(
      inRegistry.filter((k) => !inStack.includes(k)),
      'entries of shared/http/routes.ts that infra/stack.ts does not route',
    ).toEqual([]);
  });

  it("routes each key to its entry's function, with the entry's authorization", () => {
    for (const route of routes) {
      const spec = ROUTE_LIST.find((r) => r.key === route.key);
      expect(route.entry, route.key).toBe(`functions/${spec?.handler}/handler.ts`);
      expect(route.authorization, route.key).toBe(spec?.auth === 'none' ? 'NONE' : 'CUSTOM');
    }
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
