import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionBaseEnvironment, synthesizeTemplate } from '../../infra/local/cloud.js';
import type { LocalFunction } from '../../infra/local/function-pool.js';
import { evaluate, type IamRequest } from '../../infra/local/iam/policy.js';
import { IAM_DENIALS_PATH, LambdaHost } from '../../infra/local/lambda-host.js';
import { type LocalPlan, planLocalDeployment } from '../../infra/local/plan.js';
import { STACK_ID } from '../../infra/strata-app.js';
import { api, cloudContext, hostFetch, newTenant } from '../support/cloud.js';

// The local cloud enforces each function's IAM policy from the synthesized template. Here the real
// functions run on a lambda host of this file's own, against the shared cloud's servers, once with their
// role exactly as the stack defines it and once with one grant taken out of a copy of the plan: the same
// request then fails with AccessDenied naming the function, the action and the resource.

const ctx = cloudContext();
const work = mkdtempSync(join(tmpdir(), 'strata-iam-'));
const logDir = join(work, 'logs');
const host = new LambdaHost({ logDir, region: ctx.info.region, account: ctx.info.account, enforceIam: true });
let plan: LocalPlan;
let hostUrl = '';
let apiKey = '';
let tenant = '';

beforeAll(async () => {
  // Same stack name, region and account as the shared cloud: the same physical names and ARNs.
  plan = planLocalDeployment(synthesizeTemplate(join(work, 'cdk.out')), {
    stackName: STACK_ID,
    region: ctx.info.region,
    account: ctx.info.account,
    apiEndpoint: 'http://127.0.0.1:0',
  });
  hostUrl = await host.listen(0);
  ({ tenant, apiKey } = await newTenant(ctx, 'iam'));
}, 120_000);

afterAll(async () => {
  await host.close();
  rmSync(work, { recursive: true, force: true });
});

const byEntry = (entry: string): LocalFunction => {
  const found = plan.functions.find((f) => f.entry === entry);
  if (!found) throw new Error(`the plan has no function ${entry}`);
  return found;
};

/**
 * A plan of just these functions (and the routes they serve), `edit` applied to each: the host serves
 * them on their real routes through their real authorizer.
 */
async function deploy(entries: string[], edit: (fn: LocalFunction) => LocalFunction = (fn) => fn) {
  const functions = entries.map(byEntry).map(edit);
  const names = new Set(functions.map((f) => f.name));
  const partial: LocalPlan = {
    ...plan,
    functions,
    routes: plan.routes.filter((r) => names.has(r.functionName)),
    notifications: [],
    schedules: [],
  };
  await host.load(
    partial,
    functionBaseEnvironment({
      endpoints: ctx.info.endpoints,
      hostUrl,
      hostToken: host.token,
      secretsFile: ctx.info.secretsFile,
    }),
  );
}

/** The function with every statement that allows `request` removed: one grant missing from its role. */
const without =
  (entry: string, request: IamRequest) =>
  (fn: LocalFunction): LocalFunction => {
    if (fn.entry !== entry) return fn;
    const policy = (fn.policy ?? []).filter((s) => !evaluate([s], request).allowed);
    expect(policy.length, `${entry} had no statement allowing ${request.action}`).toBeLessThan(
      fn.policy?.length ?? 0,
    );
    return { ...fn, policy };
  };

const call = (path: string, init: RequestInit = {}) =>
  api({ ...ctx.info, apiUrl: hostUrl }, path, { apiKey, ...init });

const AUTHORIZER = 'functions/authorizer/handler.ts';
const DATASETS = 'functions/api-datasets/handler.ts';
const FILES = 'functions/api-files/handler.ts';

describe('IAM enforcement in the local cloud', () => {
  it('serves a route with the role the stack gives its function', async () => {
    await deploy([AUTHORIZER, DATASETS]);
    const listed = await call('/datasets');
    expect(listed.status).toBe(200);
    expect(host.iamDenials).toEqual([]);
  });

  it('refuses the same route’s call when its function lacks the grant, naming function, action and resource', async () => {
    // Prepare: api-datasets without the statement that lets it query the metadata table's tenant index.
    const datasets = byEntry(DATASETS);
    const table = `arn:aws:dynamodb:${ctx.info.region}:${ctx.info.account}:table/${ctx.info.metadataTable}`;
    const query: IamRequest = { action: 'dynamodb:Query', resource: table, context: {} };
    await deploy([AUTHORIZER, DATASETS], without(DATASETS, query));

    // Act
    const listed = await call('/datasets');

    // Assess
    expect(listed.status).toBe(500);
    const denial = host.iamDenials.find((d) => d.functionName === datasets.name);
    expect(denial).toMatchObject({ service: 'DynamoDB', operation: 'Query', action: 'dynamodb:Query' });
    expect(denial?.resource.startsWith(table)).toBe(true);
    expect(denial?.message).toMatch(
      new RegExp(
        `^User: arn:aws:sts::${ctx.info.account}:assumed-role/Strata-ApiDatasetsRole\\w+/${datasets.name} is not authorized to perform: dynamodb:Query on resource: ${table}`,
      ),
    );
    // In the function's own log, as AWS's error would be in CloudWatch, and in the host's list.
    await expect
      .poll(() => readFileSync(join(logDir, `${datasets.name}.log`), 'utf8'), { timeout: 5_000 })
      .toMatch(/\[local IAM\] DENIED Strata-ApiDatasetsFn\w+ DynamoDB\.Query: User: /);
    expect(readFileSync(join(logDir, 'iam-denials.log'), 'utf8')).toContain('"action":"dynamodb:Query"');
  });

  it('checks a presigned upload URL against the role when it is signed', async () => {
    // Prepare
    const files = byEntry(FILES);
    const body = { dataset: 'iam-check', fileName: 'a.csv', size: 4 };
    const key = `fresh/${tenant}/iam-check/a.csv`;
    const put: IamRequest = {
      action: 's3:PutObject',
      resource: `arn:aws:s3:::${ctx.info.dataBucket}/${key}`,
      context: {},
    };
    const before = host.iamDenials.length;

    // Act: without the grant, then with the real role.
    await deploy([AUTHORIZER, FILES], without(FILES, put));
    const refused = await call('/files/upload-url', { method: 'POST', body: JSON.stringify(body) });
    await deploy([AUTHORIZER, FILES]);
    const granted = await call('/files/upload-url', { method: 'POST', body: JSON.stringify(body) });

    // Assess
    expect(refused.status).toBe(500);
    expect(host.iamDenials.slice(before)).toEqual([
      expect.objectContaining({ functionName: files.name, action: 's3:PutObject', resource: put.resource }),
    ]);
    expect(granted.status).toBe(201);
    expect(granted.body?.key).toBe(key);
  });

  it('lists what the shared cloud’s functions were refused (its host enforces too)', async () => {
    const response = await hostFetch(ctx.info, IAM_DENIALS_PATH);
    expect(response.status).toBe(200);
    expect(Array.isArray(await response.json())).toBe(true);
  });
});
