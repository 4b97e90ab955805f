import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_ACCESS_KEY_ID, LOCAL_REGION, LOCAL_SECRET_ACCESS_KEY } from '../../infra/local/credentials.js';
import {
  HEALTH_PATH,
  HOST_TOKEN_HEADER,
  LambdaHost,
  S3_WEBHOOK_PATH,
} from '../../infra/local/lambda-host.js';
import type { LocalPlan } from '../../infra/local/plan.js';
import { loadConfig } from '../../shared/config.js';
import { connectorInvoker } from '../../shared/wiring.js';

// The lambda host on a free port with one real function (the API's health handler), served both through
// the Invoke API and as the HTTP API route `GET /health`.

const FUNCTION = 'strata-local-health';
const INVOKE = `/2015-03-31/functions/${FUNCTION}/invocations`;
const credentials = { accessKeyId: LOCAL_ACCESS_KEY_ID, secretAccessKey: LOCAL_SECRET_ACCESS_KEY };

const plan: LocalPlan = {
  buckets: [],
  tables: [],
  functions: [
    {
      name: FUNCTION,
      arn: `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:${FUNCTION}`,
      logicalId: 'ApiMeta',
      entry: 'functions/api-meta/handler.ts',
      environment: {},
      timeoutSeconds: 30,
      memorySize: 256,
    },
  ],
  stateMachines: [],
  notifications: [],
  routes: [{ routeKey: 'GET /health', functionName: FUNCTION }],
  schedules: [],
  outputs: {},
  skipped: [],
};

const logDir = mkdtempSync(join(tmpdir(), 'strata-lambda-host-'));
const host = new LambdaHost({ logDir, region: LOCAL_REGION, account: '000000000000' });
let port = 0;

beforeAll(async () => {
  const url = await host.listen(0);
  port = Number(new URL(url).port);
  await host.load(plan, {
    AWS_REGION: LOCAL_REGION,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(async () => {
  await host.close();
  rmSync(logDir, { recursive: true, force: true });
});

/** A raw request, so that the Host header can be anything (fetch always sends the URL's). */
function send(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'POST',
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body ?? '{}');
  });
}

describe('the lambda host', () => {
  it('refuses an Invoke API call without its token, and says what is missing', async () => {
    // Act
    const response = await send(INVOKE);

    // Assess
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body).message).toMatch(/needs the lambda host's per-start token/);
  });

  it.each([
    ['a wrong bearer token', { authorization: 'Bearer not-the-token' }],
    ['a wrong token header', { [HOST_TOKEN_HEADER]: 'not-the-token' }],
    ['a token of another scheme', { authorization: `Basic ${host.token}` }],
    ['an empty token', { authorization: 'Bearer ' }],
  ])('refuses an Invoke API call with %s', async (_, headers) => {
    // Act
    const response = await send(INVOKE, { headers });

    // Assess
    expect(response.status).toBe(403);
  });

  it.each([
    ['the S3 webhook', S3_WEBHOOK_PATH, 'POST'],
    ['the health listing', HEALTH_PATH, 'GET'],
    ['any other internal path', '/2015-03-31/functions/x', 'GET'],
  ])('refuses %s without the token', async (_, path, method) => {
    // Act
    const response = await send(path, { method });

    // Assess
    expect(response.status).toBe(403);
  });

  it.each([
    ['a rebound DNS name', 'attacker.example'],
    ['a rebound DNS name on the same port', 'attacker.example:PORT'],
    ['another port', '127.0.0.1:1'],
    ['the machine name', 'localhost.localdomain:PORT'],
  ])('refuses a request whose Host header names %s, even with the token', async (_, named) => {
    // Prepare
    const hostHeader = named.replace('PORT', String(port));

    // Act
    const invoke = await send(INVOKE, {
      headers: { host: hostHeader, authorization: `Bearer ${host.token}` },
    });
    const route = await send('/health', { method: 'GET', headers: { host: hostHeader } });

    // Assess
    expect(invoke.status).toBe(403);
    expect(JSON.parse(invoke.body).message).toMatch(/answers only Host 127\.0\.0\.1:\d+ or localhost:\d+/);
    expect(route.status).toBe(403);
  });

  it('runs the function for a caller with the token, in either header', async () => {
    // Act
    const bearer = await send(INVOKE, { headers: { authorization: `Bearer ${host.token}` } });
    const header = await send(INVOKE, {
      headers: { host: `localhost:${port}`, [HOST_TOKEN_HEADER]: host.token },
    });

    // Assess
    expect(bearer.status).toBe(200);
    expect(header.status).toBe(200);
  });

  it('serves the HTTP API routes without the token: they have their own authorizer', async () => {
    // Act
    const response = await fetch(`http://127.0.0.1:${port}/health`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', service: 'strata' });
  });

  it('takes invocations from the SDK client the functions are wired with, and from no other', async () => {
    // Prepare
    vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
    const env = {
      AWS_REGION: LOCAL_REGION,
      CONNECTOR_FUNCTION: FUNCTION,
      STRATA_LAMBDA_ENDPOINT: `http://127.0.0.1:${port}`,
      STRATA_LAMBDA_HOST_TOKEN: host.token,
    };
    const wired = connectorInvoker(loadConfig(['CONNECTOR_FUNCTION'], env));
    const plain = new LambdaClient({
      region: LOCAL_REGION,
      endpoint: env.STRATA_LAMBDA_ENDPOINT,
      credentials,
    });

    // Act
    const accepted = await wired.invokeAsync({ ping: true });
    const refused: unknown = await plain
      .send(new InvokeCommand({ FunctionName: FUNCTION, InvocationType: 'Event' }))
      .catch((error: unknown) => error);

    // Assess
    expect(accepted).toBeUndefined();
    expect(refused).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
  });
});
