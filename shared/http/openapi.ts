/**
 * The OpenAPI 3.1 document of the HTTP API, built from the route registry (shared/http/routes.ts): the
 * zod schemas the handlers validate with become the parameters and request bodies, described as what a
 * client sends (`io: 'input'`: before coercions, transforms and defaults). Served at `GET /openapi.json`
 * and written to `openapi.json` at the repository root by `npm run openapi`. The output is canonical
 * (keys sorted, paths sorted) so the committed file diffs cleanly.
 */
import { z } from 'zod';
import { errorResponse, gatewayErrorResponse } from './responses.js';
import { type MediaType, type RouteSpec, TAGS, type Tag } from './routes.js';

export interface OpenApiOptions {
  /** `info.version`: the package version. */
  version: string;
  /** The API's URL, when known (the served document); otherwise a templated AWS URL. */
  serverUrl?: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Named error answers: the implied ones (see `errorsOf`) and those a route states. */
const ERROR_RESPONSES = {
  400: {
    name: 'BadRequest',
    description:
      'InvalidInputError: the path, query or body does not match the schema, or the request is otherwise invalid.',
    gateway: false,
  },
  401: {
    name: 'Unauthorized',
    description: 'No `x-api-key` header (answered by API Gateway).',
    gateway: true,
  },
  403: {
    name: 'Forbidden',
    description: 'The API key is unknown or revoked (answered by API Gateway).',
    gateway: true,
  },
  404: {
    name: 'NotFound',
    description: 'NotFoundError: what the request names does not exist for this tenant.',
    gateway: false,
  },
  409: {
    name: 'Conflict',
    description: 'ConflictError: the request conflicts with the current state.',
    gateway: false,
  },
  410: {
    name: 'Gone',
    description:
      "VersionVacuumedError: the version's data files were vacuumed after the retention grace; the message names the oldest version still readable.",
    gateway: false,
  },
  422: {
    name: 'UnprocessableEntity',
    description: 'A well-formed request that cannot be served as asked (e.g. EmptySelectionError).',
    gateway: false,
  },
  429: {
    name: 'TooManyRequests',
    description: 'Throttled by the API stage (answered by API Gateway).',
    gateway: true,
  },
  500: {
    name: 'InternalError',
    description: 'An unexpected error; the detail stays in the log.',
    gateway: false,
  },
  503: {
    name: 'ServiceUnavailable',
    description: 'TransientError: a dependency is throttling or down; retry with backoff.',
    gateway: false,
  },
} as const;
type ErrorStatus = keyof typeof ERROR_RESPONSES;

const API_DESCRIPTION = [
  'Serverless ML data management: versioned, validated, profiled datasets on S3 + DynamoDB + Step Functions.',
  '',
  "Every route but `/health` and `/openapi.json` needs an API key in `x-api-key`; the key maps to a tenant and every route sees only that tenant's data.",
  'Errors are `{error, message}` with the error class name; a 5xx never carries detail.',
  'The lifecycle and feature-store routes take snake_case bodies; every answer is camelCase.',
].join('\n');

/** OpenAPI has no greedy (`{name+}`) parameter: such a parameter is documented as a plain one. */
export function openApiPath(pathTemplate: string): string {
  return pathTemplate.replace(/\{(\w+)\+\}/g, '{$1}');
}

export function buildOpenApiDocument(routes: readonly RouteSpec[], options: OpenApiOptions): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  const operationIds = new Set<string>();
  for (const spec of routes) {
    if (operationIds.has(spec.operationId))
      throw new Error(`operationId "${spec.operationId}" is not unique`);
    operationIds.add(spec.operationId);
    const path = openApiPath(spec.pathTemplate);
    const item = paths[path] ?? {};
    paths[path] = item;
    const method = spec.method.toLowerCase();
    if (item[method]) throw new Error(`${spec.key}: a second route for ${spec.method} ${path}`);
    item[method] = operation(spec);
  }
  const usedTags = new Set(routes.flatMap((r) => r.tags));
  const document: JsonObject = {
    openapi: '3.1.0',
    info: { title: 'strata', version: options.version, description: API_DESCRIPTION },
    servers: options.serverUrl
      ? [{ url: options.serverUrl }]
      : [
          {
            url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
            description: "The deployed stack's `ApiUrl` output (the local cloud prints its own URL).",
            variables: { apiId: { default: 'apiId' }, region: { default: 'us-east-1' } },
          },
        ],
    security: [{ apiKey: [] }],
    tags: (Object.entries(TAGS) as [Tag, string][])
      .filter(([name]) => usedTags.has(name))
      .map(([name, description]) => ({ name, description })),
    paths: Object.fromEntries(
      Object.keys(paths)
        .sort()
        .map((p) => [p, paths[p] as JsonObject]),
    ),
    components: {
      securitySchemes: {
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: "A tenant's API key; the authorizer maps it to the tenant.",
        },
      },
      schemas: {
        Error: jsonSchema(errorResponse, 'output', 'Error'),
        GatewayError: jsonSchema(gatewayErrorResponse, 'output', 'GatewayError'),
      },
      responses: Object.fromEntries(
        Object.values(ERROR_RESPONSES).map(({ name, description, gateway }) => [
          name,
          {
            description,
            content: {
              'application/json': {
                schema: { $ref: `#/components/schemas/${gateway ? 'GatewayError' : 'Error'}` },
              },
            },
          },
        ]),
      ),
    },
  };
  // Key order inside is canonical (sorted); the top level keeps the order a reader expects.
  return Object.fromEntries(Object.entries(document).map(([k, v]) => [k, canonical(v)]));
}

/** The file `npm run openapi` writes (and the test compares): the document without a server URL. */
export function renderOpenApiDocument(routes: readonly RouteSpec[], version: string): string {
  return `${JSON.stringify(buildOpenApiDocument(routes, { version }), null, 2)}\n`;
}

function operation(spec: RouteSpec): JsonObject {
  const parameters = [...pathParameters(spec), ...queryParameters(spec)];
  const op: JsonObject = {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description && { description: spec.description }),
    tags: [...spec.tags],
    ...(parameters.length > 0 && { parameters }),
    ...(spec.body && { requestBody: requestBody(spec.body, spec.key) }),
    responses: responses(spec),
    // Public routes opt out of the document-wide API key.
    ...(spec.auth === 'none' && { security: [] }),
  };
  return op;
}

function pathParameters(spec: RouteSpec): JsonObject[] {
  const names = [...spec.pathTemplate.matchAll(/\{(\w+)(\+?)\}/g)].map((m) => ({
    name: m[1] as string,
    greedy: m[2] === '+',
  }));
  const schema = spec.path ? objectSchema(spec.path, `${spec.key} path`) : undefined;
  const declared = Object.keys(schema?.properties ?? {}).sort();
  const inTemplate = names.map((n) => n.name).sort();
  if (declared.join() !== inTemplate.join()) {
    throw new Error(`${spec.key}: path schema declares [${declared}], the path has [${inTemplate}]`);
  }
  return names.map(({ name, greedy }) => {
    const { description, ...property } = (schema?.properties[name] ?? {}) as JsonObject;
    const greedyNote =
      `It spans path segments (API Gateway's greedy \`{${name}+}\`): send its slashes as they are. OpenAPI ` +
      'has no such parameter, so a generated client may percent-encode them (`%2F`); the parameter is ' +
      'decoded before the handler sees it, so that names the same value.';
    const text = [description, greedy ? greedyNote : undefined]
      .filter((d) => typeof d === 'string')
      .join(' ');
    return { name, in: 'path', required: true, ...(text && { description: text }), schema: property };
  });
}

function queryParameters(spec: RouteSpec): JsonObject[] {
  if (!spec.query) return [];
  const schema = objectSchema(spec.query, `${spec.key} query`);
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, value]) => {
    const { description, ...property } = value as JsonObject;
    return {
      name,
      in: 'query',
      required: required.has(name),
      ...(typeof description === 'string' && { description }),
      schema: property,
    };
  });
}

function requestBody(body: z.ZodType, key: string): JsonObject {
  return {
    // A route with no body parses `{}`: the body is optional when that passes.
    required: !body.safeParse({}).success,
    content: { 'application/json': { schema: jsonSchema(body, 'input', `${key} body`) } },
  };
}

function responses(spec: RouteSpec): JsonObject {
  const content = Object.fromEntries(
    spec.mediaTypes.map((type: MediaType) => [
      type,
      {
        schema:
          type === 'application/json'
            ? spec.response
              ? jsonSchema(spec.response, 'output', `${spec.key} response`)
              : { type: 'object' }
            : { type: 'string' },
      },
    ]),
  );
  const success = { description: spec.summary, content };
  const errors = Object.fromEntries(
    errorsOf(spec).map((status) => [
      String(status),
      { $ref: `#/components/responses/${ERROR_RESPONSES[status].name}` },
    ]),
  );
  return { [String(spec.successStatus)]: success, ...errors };
}

/**
 * The route's stated errors plus the implied ones: 400 when it validates anything, 401/403 with a key
 * (API Gateway), 429 (stage throttling), 500 always, 503 for routes that call a dependency (keyed ones).
 */
function errorsOf(spec: RouteSpec): ErrorStatus[] {
  const statuses = new Set<ErrorStatus>([...spec.errors, 429, 500]);
  if (spec.path || spec.query || spec.body) statuses.add(400);
  if (spec.auth === 'apiKey') for (const s of [401, 403, 503] as const) statuses.add(s);
  return [...statuses].sort((a, b) => a - b);
}

interface ObjectSchema extends JsonObject {
  properties: JsonObject;
}

function objectSchema(schema: z.ZodType, what: string): ObjectSchema & { required?: string[] } {
  const converted = jsonSchema(schema, 'input', what);
  if (
    converted.type !== 'object' ||
    typeof converted.properties !== 'object' ||
    converted.properties === null
  ) {
    throw new Error(`${what}: parameters must come from a zod object`);
  }
  return converted as ObjectSchema & { required?: string[] };
}

/** A zod schema as an inline JSON Schema 2020-12 (OpenAPI 3.1's dialect), without `$schema`. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', what: string): JsonObject {
  const { $schema: _, ...converted } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'throw',
  }) as JsonObject;
  // Definitions inside an inlined schema would be resolved against the OpenAPI document's root.
  if (JSON.stringify(converted).includes('"$ref"') || '$defs' in converted) {
    throw new Error(`${what}: the schema has references; give it no ids and no cycles`);
  }
  return converted;
}

/** Object keys sorted at every depth (arrays keep their order): one text for one document. */
function canonical(value: unknown): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value as Json;
}
