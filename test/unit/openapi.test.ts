import { readFileSync } from 'node:fs';
import { compileErrors, validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import packageJson from '../../package.json' with { type: 'json' };
import { buildOpenApiDocument, renderOpenApiDocument } from '../../shared/http/openapi.js';
import {
  type ApiEvent,
  baseUrlOf,
  type RouteContract,
  resolveRoute,
  route,
} from '../../shared/http/route.js';
import { ROUTE_LIST, ROUTES, type RouteSpec } from '../../shared/http/routes.js';

// biome-ignore lint/suspicious/noExplicitAny: walking a JSON document
type Any = any;

const document = buildOpenApiDocument(ROUTE_LIST, { version: packageJson.version });
const paths = document.paths as Any;

/** The validator dereferences in place: give it a copy. */
async function check(doc: unknown) {
  return validate(structuredClone(doc) as never);
}

/** Every schema the document carries: parameters, request bodies, answers, components. */
function schemasOf(doc: Any): Array<[string, object]> {
  const found: Array<[string, object]> = [];
  for (const [path, item] of Object.entries<Any>(doc.paths)) {
    for (const [method, op] of Object.entries<Any>(item)) {
      const at = `${method.toUpperCase()} ${path}`;
      for (const p of op.parameters ?? []) found.push([`${at} ${p.in} ${p.name}`, p.schema]);
      for (const [type, c] of Object.entries<Any>(op.requestBody?.content ?? {}))
        found.push([`${at} body ${type}`, c.schema]);
      for (const [status, r] of Object.entries<Any>(op.responses)) {
        for (const [type, c] of Object.entries<Any>(r.content ?? {}))
          found.push([`${at} ${status} ${type}`, c.schema]);
      }
    }
  }
  for (const [name, schema] of Object.entries<Any>(doc.components.schemas))
    found.push([`components.schemas.${name}`, schema]);
  return found;
}

function newAjv() {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
  formats.default(ajv);
  return ajv;
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    // Act
    const result = await check(document);

    // Assess
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(result.warnings).toEqual([]);
    expect(document.openapi).toBe('3.1.0');
    expect(Object.values(paths).flatMap((item) => Object.keys(item as object))).toHaveLength(
      ROUTE_LIST.length,
    );
  });

  it.each([
    ['a path parameter missing', (d: Any) => delete d.paths['/datasets/{name}'].get.parameters],
    ['an optional path parameter', (d: Any) => (d.paths['/files/{id}'].get.parameters[0].required = false)],
    [
      'a response without a description',
      (d: Any) => delete d.paths['/health'].get.responses['200'].description,
    ],
    ['a duplicate operationId', (d: Any) => (d.paths['/files'].get.operationId = 'getHealth')],
    ['an unknown security scheme type', (d: Any) => (d.components.securitySchemes.apiKey.type = 'key')],
  ])('is rejected by the validator with %s', async (_, breakIt) => {
    // Prepare
    const broken = structuredClone(document);
    breakIt(broken);

    // Act
    const result = await check(broken);

    // Assess
    expect(result.valid).toBe(false);
  });

  it('carries only schemas that compile as JSON Schema 2020-12 (strict)', () => {
    // Prepare
    const ajv = newAjv();

    // Act + Assess
    const schemas = schemasOf(document);
    expect(schemas.length).toBeGreaterThan(ROUTE_LIST.length);
    for (const [where, schema] of schemas) {
      expect(() => ajv.compile(schema), where).not.toThrow();
    }
  });

  it('equals the committed openapi.json (run `npm run openapi` after changing a route)', () => {
    // Prepare
    const committed = readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8');

    // Act
    const fresh = renderOpenApiDocument(ROUTE_LIST, packageJson.version);

    // Assess
    expect(
      committed === fresh,
      'openapi.json is out of date: run `npm run openapi` and commit the result',
    ).toBe(true);
  });

  it('is the same text for the same routes, with paths sorted', () => {
    expect(renderOpenApiDocument([...ROUTE_LIST].reverse(), '1.2.3')).toBe(
      renderOpenApiDocument(ROUTE_LIST, '1.2.3'),
    );
    const keys = Object.keys(paths);
    expect(keys).toEqual([...keys].sort());
  });

  it('describes the training-set body as clients send it (before transforms), optional as a whole', () => {
    // Prepare
    const body = paths['/training-sets'].post.requestBody;
    const schema = body.content['application/json'].schema;
    const validateBody = newAjv().compile(schema);

    // Assess: `type` is what is sent; `dataType` is the transform's output and no field of the request.
    expect(body.required).toBe(false);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.type.enum).toEqual([
      'sample',
      'red_team',
      'combined',
      'custom',
      'model_specific',
    ]);
    expect(schema.properties.since.format).toBe('date-time');
    expect(schema.properties.dataType).toBeUndefined();
    expect(paths['/training-sets'].post.responses['201']).toBeDefined();
    expect(paths['/training-sets'].post.responses['422']).toEqual({
      $ref: '#/components/responses/UnprocessableEntity',
    });
    // The document and the handler's zod schema agree on what they accept.
    const samples = [
      {
        dataset: 'churn',
        type: 'sample',
        since: '2026-01-01T00:00:00+02:00',
        maxRows: 10,
        combine: 'parquet',
      },
      {},
      { dataType: 'sample' },
      { maxRows: 0 },
      { combine: 'csv' },
      { since: 'yesterday' },
    ];
    for (const sample of samples) {
      expect(validateBody(sample), JSON.stringify(sample)).toBe(
        ROUTES['POST /training-sets'].body.safeParse(sample).success,
      );
    }
  });

  it('states defaults as optional inputs (retention policy) and query values before transforms', () => {
    const retention = paths['/retention-policy'].put.requestBody.content['application/json'].schema;
    expect(retention.required).toEqual(['days_old']);
    expect(retention.properties.grace_days.default).toBe(7);
    const status = paths['/files'].get.parameters.find((p: Any) => p.name === 'status');
    expect(status).toMatchObject({
      in: 'query',
      required: false,
      schema: { enum: expect.arrayContaining(['fresh']) },
    });
    const limit = paths['/files'].get.parameters.find((p: Any) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000, default: 100 });
  });

  it('declares the API key scheme, and opts the public routes out of it', () => {
    expect((document.components as Any).securitySchemes).toEqual({
      apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: expect.any(String) },
    });
    expect(document.security).toEqual([{ apiKey: [] }]);
    expect(paths['/health'].get.security).toEqual([]);
    expect(paths['/openapi.json'].get.security).toEqual([]);
    expect(paths['/datasets'].get.security).toBeUndefined();
    expect(paths['/datasets'].get.responses['401']).toEqual({ $ref: '#/components/responses/Unauthorized' });
    expect(paths['/health'].get.responses['401']).toBeUndefined();
  });

  it('documents path parameters as required, typed as sent, and the greedy lineage node as {node}', () => {
    const [name, v] = paths['/datasets/{name}/versions/{v}'].get.parameters;
    expect(name).toEqual({
      name: 'name',
      in: 'path',
      required: true,
      schema: { type: 'string', minLength: 1, maxLength: 63 },
    });
    expect(v).toMatchObject({
      name: 'v',
      in: 'path',
      required: true,
      schema: { type: 'integer', exclusiveMinimum: 0 },
    });

    expect(Object.keys(paths).filter((p) => p.includes('+'))).toEqual([]);
    const [node] = paths['/lineage/{node}'].get.parameters;
    expect(node).toMatchObject({ name: 'node', in: 'path', required: true, schema: { type: 'string' } });
    expect(node.description).toContain('{node+}');
    expect(Object.keys(paths['/lineage/{node}'].get.responses['200'].content)).toEqual([
      'application/json',
      'text/plain',
    ]);
    expect(paths['/datasets/{name}/versions/{v}/drift.html'].get.responses['200'].content).toEqual({
      'text/html': { schema: { type: 'string' } },
    });
  });

  it('names the server it is given, or the templated AWS URL', () => {
    expect(
      buildOpenApiDocument(ROUTE_LIST, { version: '1', serverUrl: 'https://x.example' }).servers,
    ).toEqual([{ url: 'https://x.example' }]);
    expect((document.servers as Any)[0].url).toBe('https://{apiId}.execute-api.{region}.amazonaws.com');
  });

  it('refuses routes it cannot describe faithfully', () => {
    const base = ROUTES['GET /datasets/{name}'] as RouteSpec;
    // A path schema that does not name the template's parameters.
    expect(() =>
      buildOpenApiDocument([{ ...base, path: z.object({ id: z.string() }) }], { version: '1' }),
    ).toThrow(/path schema declares \[id\], the path has \[name\]/);
    // Two routes, one operationId.
    expect(() =>
      buildOpenApiDocument([base, { ...base, key: 'GET /x/{name}', pathTemplate: '/x/{name}' }], {
        version: '1',
      }),
    ).toThrow(/operationId "getDataset" is not unique/);
    // A recursive schema would need references that resolve against the document root.
    type Tree = { children: Tree[] };
    const tree: z.ZodType<Tree> = z.object({ children: z.array(z.lazy(() => tree)) });
    expect(() =>
      buildOpenApiDocument([{ ...ROUTES['PUT /retention-policy'], body: tree }], { version: '1' }),
    ).toThrow(/references/);
  });
});

// ---- route(): the registry entry drives validation, status and auth ---------------------------------

const logger = { debug() {}, info() {}, warn() {}, error() {} };

function event(routeKey: string, parts: Partial<ApiEvent> & { tenant?: string } = {}): ApiEvent {
  const { tenant, ...rest } = parts;
  return {
    version: '2.0',
    routeKey,
    rawPath: '/',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      ...(tenant !== undefined && { authorizer: { lambda: { tenant } } }),
    },
    ...rest,
  } as unknown as ApiEvent;
}

const create = {
  key: 'POST /things',
  auth: 'apiKey',
  body: z.object({ size: z.number().int() }).strict(),
  successStatus: 201,
} as const satisfies RouteContract;
const list = {
  key: 'GET /things',
  auth: 'apiKey',
  query: z.object({ limit: z.coerce.number().int().max(10) }),
  successStatus: 200,
} as const satisfies RouteContract;
const open = { key: 'GET /open', auth: 'none', successStatus: 200 } as const satisfies RouteContract;

describe('route()', () => {
  it("answers with the entry's success status and validates the body with its schema", async () => {
    const handler = route(logger, create, async ({ body }) => ({ size: body.size }));
    const ok = await handler(event('POST /things', { tenant: 't', body: '{"size":3}' }));
    expect(ok.statusCode).toBe(201);
    expect(JSON.parse(ok.body as string)).toEqual({ size: 3 });
    const bad = await handler(event('POST /things', { tenant: 't', body: '{"size":3.5}' }));
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body as string)).toMatchObject({ error: 'InvalidInputError' });
  });

  it('requires a tenant for an apiKey route, not for a public one', async () => {
    const keyed = await route(logger, create, async () => ({}))(
      event('POST /things', { body: '{"size":1}' }),
    );
    expect(keyed.statusCode).toBe(401);
    const pub = await route(logger, open, async ({ tenant }) => ({ tenant }))(event('GET /open'));
    expect(pub.statusCode).toBe(200);
    expect(JSON.parse(pub.body as string)).toEqual({ tenant: '' });
  });

  it('validates each sibling route with its own entry, and refuses a key it does not serve (500)', async () => {
    const handler = route(logger, [create, list], async (request) =>
      request.routeKey === 'GET /things' ? { limit: request.query.limit } : { size: request.body.size },
    );
    const listed = await handler(
      event('GET /things', { tenant: 't', queryStringParameters: { limit: '4' } }),
    );
    expect([listed.statusCode, JSON.parse(listed.body as string)]).toEqual([200, { limit: 4 }]);
    const tooMany = await handler(
      event('GET /things', { tenant: 't', queryStringParameters: { limit: '40' } }),
    );
    expect(tooMany.statusCode).toBe(400);
    const created = await handler(event('POST /things', { tenant: 't', body: '{"size":2}' }));
    expect([created.statusCode, JSON.parse(created.body as string)]).toEqual([201, { size: 2 }]);
    const stray = await handler(event('DELETE /things', { tenant: 't', rawPath: '/things' }));
    expect([stray.statusCode, JSON.parse(stray.body as string)]).toEqual([
      404,
      { error: 'RouteNotFoundError', message: 'no route for DELETE /things' },
    ]);
  });

  it('finds the entry by method and path behind a greedy API Gateway route, with its path parameters', async () => {
    // Prepare
    const one = {
      key: 'GET /things/{id}',
      auth: 'apiKey',
      path: z.object({ id: z.string() }),
      successStatus: 200,
    } as const satisfies RouteContract;
    const sub = {
      key: 'GET /things/{id}/parts/{part+}',
      auth: 'apiKey',
      path: z.object({ id: z.string(), part: z.string() }),
      successStatus: 200,
    } as const satisfies RouteContract;
    const handler = route(logger, [list, one, sub], async (request) => ({
      routeKey: request.routeKey,
      path: request.path,
    }));
    const proxied = (method: string, rawPath: string) =>
      handler(
        event('ANY /things/{proxy+}', {
          tenant: 't',
          rawPath,
          pathParameters: { proxy: rawPath.slice('/things/'.length) },
          requestContext: {
            domainName: 'x',
            http: { method },
            authorizer: { lambda: { tenant: 't' } },
          } as unknown as ApiEvent['requestContext'],
        }),
      );

    // Act
    const byId = await proxied('GET', '/things/a%20b');
    const nested = await proxied('GET', '/things/7/parts/x/y%2Fz');
    const wrongMethod = await proxied('POST', '/things/7');

    // Assess
    expect(JSON.parse(byId.body as string)).toEqual({ routeKey: 'GET /things/{id}', path: { id: 'a b' } });
    expect(JSON.parse(nested.body as string)).toEqual({
      routeKey: 'GET /things/{id}/parts/{part+}',
      path: { id: '7', part: 'x/y/z' },
    });
    expect(wrongMethod.statusCode).toBe(404);
  });

  it('prefers the entry with more literal segments, as API Gateway prefers the most specific route', () => {
    // Prepare
    const routes = [
      { key: 'GET /d/{name}/{rest+}' },
      { key: 'GET /d/{name}/versions' },
      { key: 'GET /d/{name}' },
    ];

    // Act + Assess
    expect(resolveRoute(routes, 'GET', '/d/x/versions')?.spec.key).toBe('GET /d/{name}/versions');
    expect(resolveRoute(routes, 'GET', '/d/x/other/y')).toEqual({
      spec: { key: 'GET /d/{name}/{rest+}' },
      params: { name: 'x', rest: 'other/y' },
    });
    expect(resolveRoute(routes, 'GET', '/d/x')?.params).toEqual({ name: 'x' });
    expect(resolveRoute(routes, 'GET', '/e/x')).toBeUndefined();
  });

  it('tells handlers the URL the API was reached at', () => {
    expect(baseUrlOf(event('GET /open'))).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com');
    const local = event('GET /open', {
      requestContext: { domainName: '127.0.0.1:4010' } as ApiEvent['requestContext'],
    });
    expect(baseUrlOf(local)).toBe('http://127.0.0.1:4010');
    const forwarded = event('GET /open', { headers: { 'x-forwarded-proto': 'http' } });
    expect(baseUrlOf(forwarded)).toBe('http://abc123.execute-api.eu-west-1.amazonaws.com');
  });
});
