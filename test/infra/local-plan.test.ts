import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeTemplate } from '../../infra/local/cloud.js';
import { matchRoute } from '../../infra/local/lambda-host.js';
import { type LocalPlan, parseRate, planLocalDeployment } from '../../infra/local/plan.js';

let plan: LocalPlan;

beforeAll(() => {
  const template = synthesizeTemplate(mkdtempSync(join(tmpdir(), 'strata-plan-')));
  plan = planLocalDeployment(template, {
    stackName: 'Strata',
    region: 'us-east-1',
    account: '000000000000',
    apiEndpoint: 'http://127.0.0.1:4400',
  });
});

describe('the local deployment plan, read from the synthesized template', () => {
  it('creates the template’s buckets and tables with their keys and indexes', () => {
    expect(plan.buckets.map((b) => b.name)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^strata-databucket[0-9a-f]+$/)]),
    );
    expect(plan.buckets.find((b) => b.logicalId.startsWith('DataBucket'))?.versioned).toBe(true);
    const metadata = plan.tables.find((t) => t.logicalId.startsWith('MetadataTable'));
    expect(metadata?.globalSecondaryIndexes.map((g) => g.IndexName)).toEqual(['gsi1', 'gsi2']);
  });

  it('resolves each function’s environment to the local physical names', () => {
    // Prepare
    const register = plan.functions.find((f) => f.entry === 'functions/register/handler.ts');
    const metadata = plan.tables.find((t) => t.logicalId.startsWith('MetadataTable'));

    // Assess
    expect(register?.environment.METADATA_TABLE).toBe(metadata?.name);
    expect(register?.timeoutSeconds).toBe(300);
    const trigger = plan.functions.find((f) => f.entry === 'functions/trigger/handler.ts');
    expect(trigger?.environment.STATE_MACHINE_ARN).toBe(plan.stateMachines[0]?.arn);
  });

  it('points the state machine at the local function ARNs', () => {
    // Prepare
    const definition = JSON.parse(plan.stateMachines[0]?.definition ?? '{}');
    const register = plan.functions.find((f) => f.entry === 'functions/register/handler.ts');

    // Assess
    expect(definition.States['Stage: register'].Resource).toBe(register?.arn);
    expect(register?.arn).toMatch(/^arn:aws:lambda:us-east-1:000000000000:function:Strata-RegisterFn/);
  });

  it('maps the bucket notification to the trigger function with its prefix', () => {
    const trigger = plan.functions.find((f) => f.entry === 'functions/trigger/handler.ts');
    expect(plan.notifications).toEqual([
      expect.objectContaining({
        events: ['s3:ObjectCreated:*'],
        prefix: 'fresh/',
        functionName: trigger?.name,
      }),
    ]);
  });

  it('serves the API routes through the authorizer the template gives them', () => {
    const datasets = plan.routes.find((r) => r.routeKey === 'ANY /datasets');
    const authorizer = plan.functions.find((f) => f.entry === 'functions/authorizer/handler.ts');
    expect(datasets?.authorizer).toEqual({
      functionName: authorizer?.name,
      identityHeaders: ['x-api-key'],
      ttlSeconds: 300,
      simpleResponses: true,
    });
    expect(plan.routes.find((r) => r.routeKey === 'GET /health')?.authorizer).toBeUndefined();
    expect(plan.outputs.ApiUrl).toBe('http://127.0.0.1:4400');
  });
});

describe('schedules', () => {
  it('runs the lifecycle scheduler once a day, the connector scheduler every minute and the sweeper every 10', () => {
    const fn = (name: string) => plan.functions.find((f) => f.entry === `functions/${name}/handler.ts`)?.name;
    expect(plan.schedules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          expression: 'rate(1 day)',
          everyMs: 86_400_000,
          targets: [{ functionName: fn('lifecycle-scheduler') }],
        }),
        expect.objectContaining({
          expression: 'rate(1 minute)',
          everyMs: 60_000,
          targets: [{ functionName: fn('connector-scheduler') }],
        }),
        expect.objectContaining({
          expression: 'rate(10 minutes)',
          everyMs: 600_000,
          targets: [{ functionName: fn('fresh-sweeper') }],
        }),
      ]),
    );
    expect(plan.schedules).toHaveLength(3);
  });

  it('reads rate expressions and refuses cron with a clear error', () => {
    expect(parseRate('rate(5 minutes)')).toBe(300_000);
    expect(parseRate('rate(1 hour)')).toBe(3_600_000);
    expect(() => parseRate('cron(0 3 * * ? *)', 'Rule')).toThrow(/not supported locally.*rate/);
    expect(() => parseRate('rate(0 days)')).toThrow();
  });
});

describe('API route matching', () => {
  const routes = [
    'GET /datasets',
    'GET /datasets/{name}',
    'GET /datasets/{name}/versions/{v}',
    'ANY /files/{proxy+}',
  ].map((routeKey) => ({ routeKey, functionName: routeKey }));

  it('prefers literal segments and extracts path parameters', () => {
    expect(matchRoute(routes, 'GET', '/datasets')?.route.routeKey).toBe('GET /datasets');
    expect(matchRoute(routes, 'GET', '/datasets/churn/versions/3')).toEqual({
      route: expect.objectContaining({ routeKey: 'GET /datasets/{name}/versions/{v}' }),
      pathParameters: { name: 'churn', v: '3' },
    });
  });

  it('matches greedy proxies and rejects unknown paths and methods', () => {
    expect(matchRoute(routes, 'DELETE', '/files/a/b')?.pathParameters).toEqual({ proxy: 'a/b' });
    expect(matchRoute(routes, 'POST', '/datasets')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/nothing')).toBeUndefined();
  });
});
