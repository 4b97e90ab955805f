import { compileErrors, validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { buildOpenApiDocument } from '../../shared/http/openapi.js';
import { ROUTE_LIST } from '../../shared/http/routes.js';
import { api, cloudContext, newTenant } from '../support/cloud.js';

// biome-ignore lint/suspicious/noExplicitAny: walking a JSON document
type Any = any;

const ctx = cloudContext();
let apiKey: string;
let served: Any;

const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
formats.default(ajv);

/** Checks an answer against what the served document says the route answers with that status. */
function expectDocumented(path: string, method: string, status: number, body: unknown) {
  const response = served.paths[path][method].responses[String(status)];
  expect(response, `${method.toUpperCase()} ${path} documents ${status}`).toBeDefined();
  const named = response.$ref
    ? served.components.responses[response.$ref.replace('#/components/responses/', '')]
    : response;
  let schema = named.content['application/json'].schema;
  if (schema.$ref) schema = served.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
  const check = ajv.compile(schema);
  expect(check(body), `${method.toUpperCase()} ${path} ${status}: ${ajv.errorsText(check.errors)}`).toBe(
    true,
  );
}

beforeAll(async () => {
  ({ apiKey } = await newTenant(ctx, 'openapi'));
  const response = await fetch(`${ctx.info.apiUrl}/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('application/json');
  served = await response.json();
});

describe('GET /openapi.json on the local cloud', () => {
  it('serves a valid OpenAPI 3.1 document without a key, naming the URL it was fetched from', async () => {
    // Act
    const result = await validate(structuredClone(served));

    // Assess
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(served.servers).toEqual([{ url: ctx.info.apiUrl }]);
    // Apart from the server, it is the document the registry builds (and openapi.json holds).
    const { servers: _, ...rest } = served;
    const { servers: __, ...built } = buildOpenApiDocument(ROUTE_LIST, { version: packageJson.version });
    expect(rest).toEqual(built);
  });

  it('describes what the API really answers', async () => {
    const health = await api(ctx.info, '/health');
    expectDocumented('/health', 'get', health.status, health.body);

    const datasets = await api(ctx.info, '/datasets', { apiKey });
    expect(datasets.status).toBe(200);
    expectDocumented('/datasets', 'get', 200, datasets.body);

    const statistics = await api(ctx.info, '/statistics', { apiKey });
    expectDocumented('/statistics', 'get', statistics.status, statistics.body);

    const upload = await api(ctx.info, '/files/upload-url', {
      apiKey,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: 'customers', fileName: 'customers.csv', size: 1024 }),
    });
    expect(upload.status).toBe(201);
    expectDocumented('/files/upload-url', 'post', 201, upload.body);

    // Errors: ours ({error, message}) and API Gateway's ({message}).
    const noPolicy = await api(ctx.info, '/retention-policy', { apiKey });
    expect(noPolicy.status).toBe(404);
    expectDocumented('/retention-policy', 'get', 404, noPolicy.body);
    const badQuery = await api(ctx.info, '/files?limit=0', { apiKey });
    expect(badQuery.status).toBe(400);
    expectDocumented('/files', 'get', 400, badQuery.body);
    const noKey = await api(ctx.info, '/datasets');
    expect(noKey.status).toBe(401);
    expectDocumented('/datasets', 'get', 401, noKey.body);
  });

  it('describes what the connector routes answer, a failed run included', async () => {
    // Prepare: a disabled connector on a bucket that does not exist, so its run fails fast
    const json = { 'content-type': 'application/json' };
    const settings = {
      enabled: false,
      source: {
        type: 's3',
        bucket: 'no-such-bucket-for-openapi',
        endpoint: ctx.info.endpoints.s3,
        secretName: 'no-such-secret',
      },
    };

    // Act
    const put = await api(ctx.info, '/datasets/documented/connector', {
      apiKey,
      method: 'PUT',
      headers: json,
      body: JSON.stringify(settings),
    });
    const started = await api(ctx.info, '/datasets/documented/connector/runs', { apiKey, method: 'POST' });
    let run = await api(ctx.info, `/datasets/documented/connector/runs/${started.body?.runId}`, { apiKey });
    for (let i = 0; i < 100 && (run.status === 404 || run.body?.status === 'RUNNING'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      run = await api(ctx.info, `/datasets/documented/connector/runs/${started.body?.runId}`, { apiKey });
    }
    const list = await api(ctx.info, '/datasets/documented/connector/runs', { apiKey });
    const shown = await api(ctx.info, '/datasets/documented/connector', { apiKey });

    // Assess
    expectDocumented('/datasets/{name}/connector', 'put', 200, put.body);
    expectDocumented('/datasets/{name}/connector/runs', 'post', 202, started.body);
    expect(run.body).toMatchObject({ status: 'FAILED', error: { name: 'SourceError' } });
    expectDocumented('/datasets/{name}/connector/runs/{runId}', 'get', 200, run.body);
    expectDocumented('/datasets/{name}/connector/runs', 'get', 200, list.body);
    expectDocumented('/datasets/{name}/connector', 'get', 200, shown.body);
  });

  it('reaches the same lineage node whether its slashes are sent as they are or percent-encoded', async () => {
    const plain = await api(ctx.info, '/lineage/dataset-version/nothing-here/v1', { apiKey });
    const encoded = await api(ctx.info, `/lineage/${encodeURIComponent('dataset-version/nothing-here/v1')}`, {
      apiKey,
    });
    expect(plain.status).toBe(200);
    expect(encoded).toEqual(plain);
    expectDocumented('/lineage/{node}', 'get', 200, plain.body);
  });
});
