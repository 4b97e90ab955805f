import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ACCESS_KEY_ID, LOCAL_REGION, LOCAL_SECRET_ACCESS_KEY } from '../../infra/local/credentials.js';
import { startDynamoDbLocal } from '../../infra/local/servers/dynamodb-local.js';
import { startLocalStack } from '../../infra/local/servers/localstack.js';
import { MINIO_WEBHOOK_ARN, startMinio } from '../../infra/local/servers/minio.js';
import { isPortOpen, type ManagedProcess } from '../../infra/local/servers/process.js';

// Starts MinIO, DynamoDB Local and LocalStack as infra/local starts them (installed under CACHE_DIR by
// `npm run cloud:install`; a missing install is done first, which takes minutes) and proves each one
// does what the local cloud relies on.

const credentials = { accessKeyId: LOCAL_ACCESS_KEY_ID, secretAccessKey: LOCAL_SECRET_ACCESS_KEY };
const ACCOUNT = '000000000000'; // LocalStack's account for a non-numeric access key id
/** What the lambda host hands MinIO and LocalStack at start (a fixed one will do for the stand-ins here). */
const HOST_TOKEN = 'local-servers-test-token-0123456789abcdef';

interface HostCall {
  name: string;
  headers: IncomingMessage['headers'];
  payload: unknown;
}

/** Stands in for the strata lambda host: answers the Invoke API as the functions below would. */
class LambdaHostStub {
  readonly calls: HostCall[] = [];
  readonly server: Server = createServer((request, response) => void this.handle(request, response));

  callsTo(name: string): HostCall[] {
    return this.calls.filter((call) => call.name === name);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(request.url ?? '');
    if (request.method !== 'POST' || !match?.[1]) {
      response.writeHead(404).end();
      return;
    }
    const name = decodeURIComponent(match[1]);
    const payload: unknown = JSON.parse((await readBody(request)) || 'null');
    this.calls.push({ name, headers: request.headers, payload });
    const { error, body } = this.answer(name, payload);
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (error) headers['X-Amz-Function-Error'] = 'Unhandled';
    response.writeHead(200, headers).end(JSON.stringify(body));
  }

  private answer(name: string, payload: unknown): { error: boolean; body: unknown } {
    switch (name) {
      case 'ok':
        return { error: false, body: { echo: payload } };
      case 'flaky': {
        const attempt = this.callsTo('flaky').length;
        return attempt <= 2
          ? { error: true, body: { errorType: 'TransientError', errorMessage: 'try again' } }
          : { error: false, body: { attempts: attempt } };
      }
      case 'bad':
        return { error: true, body: { errorType: 'BadInput', errorMessage: 'no such dataset', trace: [] } };
      default:
        return { error: true, body: { errorType: 'ResourceNotFound', errorMessage: name } };
    }
  }
}

describe('local servers', () => {
  const work = mkdtempSync(join(tmpdir(), 'strata-local-servers-'));
  const host = new LambdaHostStub();
  const webhookEvents: unknown[] = [];
  const webhookAuthorizations: Array<string | undefined> = [];
  const webhook = createServer((request, response) => {
    void readBody(request).then((body) => {
      webhookAuthorizations.push(request.headers.authorization);
      webhookEvents.push(JSON.parse(body));
      response.writeHead(200).end();
    });
  });
  let webhookPort = 0;
  let s3: S3Client;
  let dynamodb: DynamoDBClient;
  let sfn: SFNClient;
  let localStackUrl = '';
  const ports: Record<string, number> = {};
  const servers: ManagedProcess[] = [];

  beforeAll(async () => {
    await listen(host.server);
    webhookPort = await freePort(); // the receiver starts later, in its test
    for (const name of ['minio', 'minioConsole', 'dynamodb', 'localstack']) ports[name] = await freePort();
    localStackUrl = `http://127.0.0.1:${ports.localstack}`;
    servers.push(
      ...(await Promise.all([
        startMinio({
          port: port('minio'),
          consolePort: port('minioConsole'),
          dataDir: join(work, 'minio', 'data'),
          webhookUrl: `http://127.0.0.1:${webhookPort}/s3-events`,
          webhookAuthToken: HOST_TOKEN,
          queueDir: join(work, 'minio', 'events'),
          logFile: join(work, 'minio.log'),
        }),
        startDynamoDbLocal({ port: port('dynamodb'), logFile: join(work, 'dynamodb.log') }),
        startLocalStack({
          port: port('localstack'),
          dataDir: join(work, 'localstack'),
          lambdaHostUrl: `http://127.0.0.1:${(host.server.address() as AddressInfo).port}`,
          lambdaHostToken: HOST_TOKEN,
          logFile: join(work, 'localstack.log'),
        }),
      ])),
    );
    const client = { region: LOCAL_REGION, credentials };
    s3 = new S3Client({ ...client, endpoint: `http://127.0.0.1:${port('minio')}`, forcePathStyle: true });
    dynamodb = new DynamoDBClient({ ...client, endpoint: `http://127.0.0.1:${port('dynamodb')}` });
    sfn = new SFNClient({ ...client, endpoint: localStackUrl });
  }, 300_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    host.server.close();
    webhook.close();
    rmSync(work, { recursive: true, force: true });
  });

  function port(name: string): number {
    const value = ports[name];
    if (value === undefined) throw new Error(`no port for ${name}`);
    return value;
  }

  it('listens on loopback only', async () => {
    // Prepare
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address && !address.internal && address.family === 'IPv4')
      .map((address) => address?.address ?? '');
    const serverPorts = [port('minio'), port('minioConsole'), port('dynamodb'), port('localstack')];

    // Act
    const onLoopback = await Promise.all(serverPorts.map((p) => isPortOpen(p)));
    const probes = external.flatMap((address) => serverPorts.map((p) => ({ address, port: p })));
    const open = await Promise.all(probes.map(({ address, port: p }) => isPortOpen(p, address)));

    // Assess
    expect(onLoopback).toEqual(serverPorts.map(() => true));
    expect(probes.filter((_, i) => open[i])).toEqual([]);
  });

  it('stores and returns an object in MinIO', async () => {
    // Prepare
    await s3.send(new CreateBucketCommand({ Bucket: 'roundtrip' }));

    // Act
    await s3.send(new PutObjectCommand({ Bucket: 'roundtrip', Key: 'a/b.csv', Body: 'x,y\n1,2\n' }));
    const object = await s3.send(new GetObjectCommand({ Bucket: 'roundtrip', Key: 'a/b.csv' }));

    // Assess
    expect(await object.Body?.transformToString()).toBe('x,y\n1,2\n');
  });

  it('delivers an S3 event raised while the webhook receiver was down once it is up', async () => {
    // Prepare
    await s3.send(new CreateBucketCommand({ Bucket: 'events' }));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: 'events',
        NotificationConfiguration: {
          QueueConfigurations: [{ QueueArn: MINIO_WEBHOOK_ARN, Events: ['s3:ObjectCreated:*'] }],
        },
      }),
    );

    // Act
    await s3.send(new PutObjectCommand({ Bucket: 'events', Key: 'fresh/a b.csv', Body: 'x\n' }));
    await sleep(500);
    await listen(webhook, webhookPort);
    const event = await waitFor(() => webhookEvents[0], 30_000);

    // Assess
    expect(event).toMatchObject({
      EventName: 's3:ObjectCreated:Put',
      Key: 'events/fresh/a b.csv',
      Records: [{ awsRegion: LOCAL_REGION, s3: { bucket: { name: 'events' } } }],
    });
    expect(webhookAuthorizations[0]).toBe(`Bearer ${HOST_TOKEN}`);
    // Form-encoded as in AWS, but MinIO also encodes '/' (AWS leaves it), so decode rather than compare.
    const { Records } = event as { Records: { s3: { object: { key: string } } }[] };
    expect(Records[0]?.s3.object.key).toBe('fresh%2Fa+b.csv');
    expect(decodeURIComponent((Records[0]?.s3.object.key ?? '').replaceAll('+', ' '))).toBe('fresh/a b.csv');
  }, 60_000);

  it('creates a table and reads back an item in DynamoDB Local', async () => {
    // Prepare
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'datasets',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );

    // Act
    await dynamodb.send(
      new PutItemCommand({ TableName: 'datasets', Item: { pk: { S: 'd1' }, n: { N: '3' } } }),
    );
    const read = await dynamodb.send(new GetItemCommand({ TableName: 'datasets', Key: { pk: { S: 'd1' } } }));

    // Assess
    expect(read.Item).toEqual({ pk: { S: 'd1' }, n: { N: '3' } });
  });

  it('routes a Step Functions lambda task to the local host', async () => {
    // Prepare
    await createFunction(localStackUrl, 'ok', { STAGE: 'local' });
    await createFunction(localStackUrl, 'flaky');
    const arn = await createStateMachine(sfn, 'ok-then-flaky', {
      StartAt: 'Ok',
      States: {
        Ok: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'ok', 'Payload.$': '$' },
          ResultSelector: { 'value.$': '$.Payload' },
          ResultPath: '$.ok',
          Next: 'Flaky',
        },
        Flaky: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'flaky', 'Payload.$': '$' },
          ResultSelector: { 'value.$': '$.Payload' },
          ResultPath: '$.flaky',
          Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 1 }],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }],
          End: true,
        },
        Failed: { Type: 'Fail', Error: 'Unexpected' },
      },
    });

    // Act
    const execution = await runExecution(sfn, arn, { dataset: 'd1' });

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '')).toEqual({
      dataset: 'd1',
      ok: { value: { echo: { dataset: 'd1' } } },
      flaky: { value: { attempts: 3 } },
    });
    expect(host.callsTo('flaky')).toHaveLength(3);
    const [okCall] = host.callsTo('ok');
    expect(okCall?.headers['lambda-runtime-aws-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(okCall?.headers.authorization).toBe(`Bearer ${HOST_TOKEN}`);
    expect(decodeEnvironment(okCall?.headers['x-strata-function-environment'])).toEqual({ STAGE: 'local' });
  }, 90_000);

  it('catches a function error by its errorType without retrying it', async () => {
    // Prepare
    await createFunction(localStackUrl, 'bad');
    const arn = await createStateMachine(sfn, 'bad-input', {
      StartAt: 'Bad',
      States: {
        Bad: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'bad', 'Payload.$': '$' },
          Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 1, MaxAttempts: 3 }],
          Catch: [{ ErrorEquals: ['BadInput'], ResultPath: '$.error', Next: 'Rejected' }],
          End: true,
        },
        Rejected: { Type: 'Pass', End: true },
      },
    });

    // Act
    const execution = await runExecution(sfn, arn, { dataset: 'missing' });

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output ?? '') as { error: { Error: string; Cause: string } };
    expect(output.error.Error).toBe('BadInput');
    expect(JSON.parse(output.error.Cause)).toMatchObject({
      errorType: 'BadInput',
      errorMessage: 'no such dataset',
    });
    expect(host.callsTo('bad')).toHaveLength(1);
  }, 90_000);
});

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function listen(server: Server, port = 0): Promise<void> {
  return new Promise((resolveListen) => server.listen(port, '127.0.0.1', resolveListen));
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await listen(probe);
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolveClose) => probe.close(resolveClose));
  return port;
}

async function waitFor<T>(get: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await sleep(100);
  }
}

function decodeEnvironment(header: string | string[] | undefined): unknown {
  return typeof header === 'string' ? JSON.parse(Buffer.from(header, 'base64').toString('utf8')) : undefined;
}

/**
 * @aws-sdk/client-lambda is not a dependency, so functions are created over Lambda's REST API. LocalStack
 * parses but does not verify SigV4, so a well-formed Authorization header with the local key is enough.
 */
async function lambdaApi(baseUrl: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${baseUrl}/2015-03-31/functions${path}`, {
    method,
    headers: {
      'Content-Type': 'application/json',
      Authorization:
        `AWS4-HMAC-SHA256 Credential=${LOCAL_ACCESS_KEY_ID}/20260101/${LOCAL_REGION}/lambda/aws4_request, ` +
        'SignedHeaders=host, Signature=x',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`Lambda ${method} ${path}: HTTP ${response.status} ${text}`);
  return JSON.parse(text);
}

/** The code is never run (the host has it), so the zip is an empty archive. */
async function createFunction(baseUrl: string, name: string, variables?: Record<string, string>) {
  const emptyZip = Buffer.concat([Buffer.from('PK\x05\x06'), Buffer.alloc(18)]).toString('base64');
  await lambdaApi(baseUrl, 'POST', '', {
    FunctionName: name,
    Runtime: 'nodejs20.x',
    Handler: 'index.handler',
    Role: `arn:aws:iam::${ACCOUNT}:role/strata-local-lambda`,
    Code: { ZipFile: emptyZip },
    ...(variables ? { Environment: { Variables: variables } } : {}),
  });
  await waitFor(async () => {
    const fn = (await lambdaApi(baseUrl, 'GET', `/${name}`)) as { Configuration?: { State?: string } };
    return fn.Configuration?.State === 'Active' ? true : undefined;
  }, 30_000);
}

async function createStateMachine(sfn: SFNClient, name: string, definition: unknown): Promise<string> {
  const created = await sfn.send(
    new CreateStateMachineCommand({
      name,
      definition: JSON.stringify(definition),
      roleArn: `arn:aws:iam::${ACCOUNT}:role/strata-local-states`,
    }),
  );
  return created.stateMachineArn ?? '';
}

async function runExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  input: unknown,
): Promise<DescribeExecutionCommandOutput> {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name: `run-${Date.now()}`, input: JSON.stringify(input) }),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING' || Date.now() > deadline) return execution;
    await sleep(250);
  }
}
