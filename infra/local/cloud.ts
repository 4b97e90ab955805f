/**
 * The local cloud: MinIO (S3), DynamoDB Local (DynamoDB), LocalStack (Step Functions, and Lambda's
 * control plane), moto (the Glue Data Catalog) and the lambda host, all on 127.0.0.1, with the CDK app deployed into them from its
 * synthesized template. `npm start` and the integration tests both come through here.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiKey, hashApiKey } from '../../shared/app/api-keys.js';
import { apiKeyStore, clock, localControlPlane } from '../../shared/wiring.js';
import { createStrataApp, STACK_ID } from '../strata-app.js';
import { LOCAL_ACCESS_KEY_ID, LOCAL_REGION, LOCAL_SECRET_ACCESS_KEY } from './credentials.js';
import { deployPlan } from './deploy.js';
import { LambdaHost, type RecordedDenial, S3_WEBHOOK_PATH } from './lambda-host.js';
import { type CfnTemplate, type LocalPlan, planLocalDeployment } from './plan.js';
import { ensureDynamoDbLocal, startDynamoDbLocal } from './servers/dynamodb-local.js';
import { ensureLocalStack, startLocalStack } from './servers/localstack.js';
import { ensureMinio, MINIO_WEBHOOK_ARN, startMinio } from './servers/minio.js';
import { ensureMoto, startGlueServer } from './servers/moto.js';
import { freePort, type ManagedProcess } from './servers/process.js';

/** LocalStack's default account for credentials that are not a 12-digit account id. */
export const LOCAL_ACCOUNT = '000000000000';

export interface Ports {
  host: number;
  minio: number;
  minioConsole: number;
  dynamodb: number;
  localstack: number;
  glue: number;
}

/** Fixed ports for `npm start` (so the printed URLs stay the same); tests pass 0 for free ones. */
export const DEFAULT_PORTS: Ports = {
  host: 4400,
  minio: 9400,
  minioConsole: 9401,
  dynamodb: 8400,
  localstack: 4566,
  glue: 4410,
};

export interface LocalCloudOptions {
  /** Server data (MinIO objects, DynamoDB file, LocalStack state), logs and the webhook queue. */
  dataDir: string;
  ports?: Partial<Ports>;
  /** Point at servers someone else runs (e.g. a docker compose); those are not started. */
  external?: { s3?: string; dynamodb?: string; stepfunctions?: string; glue?: string };
  /** In-memory DynamoDB (tests) instead of a file under dataDir (npm start keeps data). */
  ephemeral?: boolean;
  /** The lambda host's waits before retrying a failed asynchronous invocation (default: Lambda's 1 and 2 min). */
  asyncRetryDelaysMs?: readonly number[];
  /**
   * Check each function's AWS calls against its role's policy from the template (default: on, unless the
   * environment says STRATA_LOCAL_IAM=off, for debugging only; STRATA_LOCAL_IAM=trace also logs every
   * allowed call to the function's log).
   */
  enforceIam?: boolean;
  log?: (message: string) => void;
}

export interface LocalCloudInfo {
  region: string;
  account: string;
  apiUrl: string;
  hostUrl: string;
  /**
   * The lambda host's per-start token: its Invoke API and `/_strata/` paths refuse requests without it
   * (`Authorization: Bearer <token>` or the `x-strata-host-token` header). The HTTP API at apiUrl needs none.
   */
  hostToken: string;
  /** `glue`: the Glue Data Catalog datasets' tables are registered in (moto's server). */
  endpoints: { s3: string; dynamodb: string; stepfunctions: string; glue: string };
  credentials: { accessKeyId: string; secretAccessKey: string };
  dataBucket: string;
  metadataTable: string;
  stateMachineArn: string;
  demoTenant: string;
  demoApiKey: string;
  outputs: Record<string, string>;
  /** Connector secrets of this cloud (dotenv: `STRATA_SECRET_<NAME>=value`), read at every lookup. */
  secretsFile: string;
}

/** The servers the local cloud starts itself (not the lambda host, which runs in this process). */
export const LOCAL_SERVERS = ['minio', 'dynamodb', 'localstack', 'glue'] as const;
export type LocalServer = (typeof LOCAL_SERVERS)[number];

export interface LocalCloud {
  info: LocalCloudInfo;
  plan: LocalPlan;
  stop(): Promise<void>;
  /**
   * Ends one server as a crash would (SIGKILL to its process group: no shutdown, only what is on disk
   * stays), for fault tests. Its port refuses connections until `restart`.
   */
  kill(server: LocalServer): Promise<void>;
  /**
   * Starts a killed server again on the same port with the same data dir (MinIO's objects and webhook
   * queue, DynamoDB Local's file unless `ephemeral`). LocalStack core keeps no state across a restart in
   * host mode (`PERSISTENCE=1` is a Pro feature: with it set, state machines and executions were still gone
   * after a graceful restart), so its functions and state machine are deployed into it again; executions
   * that were running are lost.
   */
  restart(server: LocalServer): Promise<void>;
  /**
   * The AWS calls the functions' IAM policies refused so far. Some use cases swallow a refusal (a run read
   * that cannot describe its execution answers the stored run), so a test run that wants every grant
   * proven checks this list is empty at its end.
   */
  iamDenials(): readonly RecordedDenial[];
}

export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const log = options.log ?? (() => undefined);
  const external = { ...externalFromEnv(), ...options.external };
  const ports = await choosePorts({ ...DEFAULT_PORTS, ...options.ports });
  const logDir = join(options.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  // Each server's start, kept so that `restart` starts it again exactly so; and the ones running now.
  const starters = new Map<LocalServer, () => Promise<ManagedProcess>>();
  const running = new Map<LocalServer, ManagedProcess>();
  let host: LambdaHost | undefined;

  const enforceIam = options.enforceIam ?? process.env.STRATA_LOCAL_IAM !== 'off';
  const stop = async () => {
    const denials = host?.iamDenials ?? [];
    if (denials.length > 0) {
      log(
        `${denials.length} AWS call(s) refused by function IAM policies (${join(logDir, 'functions', 'iam-denials.log')}):\n` +
          denials.map((d) => `  ${d.functionName}: ${d.action} on ${d.resource}`).join('\n'),
      );
    }
    await host?.close();
    await Promise.allSettled([...running.values()].map((p) => p.stop()));
    running.clear();
  };
  const startServer = async (server: LocalServer) => {
    const start = starters.get(server);
    if (!start) throw new Error(`${server} is not started by this local cloud (external)`);
    if (running.has(server)) throw new Error(`${server} is running`);
    running.set(server, await start());
  };

  try {
    // One install at a time (the first run compiles MinIO and resolves LocalStack: both want every core).
    if (!external.s3) await ensureMinio(log);
    if (!external.dynamodb) await ensureDynamoDbLocal(log);
    if (!external.stepfunctions) await ensureLocalStack(log);
    if (!external.glue) await ensureMoto(log);

    // The host first: MinIO's webhook and LocalStack's executor both need its URL.
    host = new LambdaHost({
      logDir: join(logDir, 'functions'),
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      ...(options.asyncRetryDelaysMs && { asyncRetryDelaysMs: options.asyncRetryDelaysMs }),
      enforceIam,
      traceIam: process.env.STRATA_LOCAL_IAM === 'trace',
    });
    if (!enforceIam) log('IAM enforcement is OFF (STRATA_LOCAL_IAM=off): function grants are not checked');
    const hostUrl = await host.listen(ports.host);
    const hostToken = host.token;
    const secretsFile = join(options.dataDir, 'secrets.env');
    const endpoints = {
      s3: external.s3 ?? `http://127.0.0.1:${ports.minio}`,
      dynamodb: external.dynamodb ?? `http://127.0.0.1:${ports.dynamodb}`,
      stepfunctions: external.stepfunctions ?? `http://127.0.0.1:${ports.localstack}`,
      glue: external.glue ?? `http://127.0.0.1:${ports.glue}`,
    };
    if (!external.s3) {
      starters.set('minio', () =>
        startMinio({
          port: ports.minio,
          consolePort: ports.minioConsole,
          dataDir: join(options.dataDir, 'minio'),
          webhookUrl: `${hostUrl}${S3_WEBHOOK_PATH}`,
          webhookAuthToken: hostToken,
          queueDir: join(options.dataDir, 'minio-events'),
          logFile: join(logDir, 'minio.log'),
        }),
      );
    }
    if (!external.dynamodb) {
      starters.set('dynamodb', () =>
        startDynamoDbLocal({
          port: ports.dynamodb,
          ...(!options.ephemeral && { dbPath: join(options.dataDir, 'dynamodb') }),
          logFile: join(logDir, 'dynamodb-local.log'),
        }),
      );
    }
    if (!external.stepfunctions) {
      starters.set('localstack', () =>
        startLocalStack({
          port: ports.localstack,
          dataDir: join(options.dataDir, 'localstack'),
          lambdaHostUrl: hostUrl,
          lambdaHostToken: hostToken,
          s3Url: endpoints.s3,
          logFile: join(logDir, 'localstack.log'),
        }),
      );
    }
    if (!external.glue) {
      starters.set('glue', () => startGlueServer({ port: ports.glue, logFile: join(logDir, 'glue.log') }));
    }
    const t0 = Date.now();
    const starts = await Promise.allSettled([...starters.keys()].map(startServer));
    const failed = starts.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    log(`servers ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const t1 = Date.now();
    const plan = planLocalDeployment(synthesizeTemplate(join(options.dataDir, 'cdk.out')), {
      stackName: STACK_ID,
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      apiEndpoint: hostUrl,
    });
    const clients = awsClients(endpoints);
    await deployPlan(plan, clients, { account: LOCAL_ACCOUNT, notificationQueueArn: MINIO_WEBHOOK_ARN });
    await host.load(plan, functionBaseEnvironment({ endpoints, hostUrl, hostToken, secretsFile }));
    log(`app deployed from the synthesized template in ${((Date.now() - t1) / 1000).toFixed(1)} s`);

    const metadataTable = required(plan.outputs, 'MetadataTableName');
    const demoTenant = 'demo';
    const demoApiKey = await demoKey(
      endpoints.dynamodb,
      metadataTable,
      demoTenant,
      join(options.dataDir, 'demo-api-key'),
    );
    const info: LocalCloudInfo = {
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      apiUrl: required(plan.outputs, 'ApiUrl'),
      hostUrl,
      hostToken: host.token,
      endpoints,
      credentials: { accessKeyId: LOCAL_ACCESS_KEY_ID, secretAccessKey: LOCAL_SECRET_ACCESS_KEY },
      dataBucket: required(plan.outputs, 'DataBucketName'),
      metadataTable,
      stateMachineArn: required(plan.outputs, 'StateMachineArn'),
      demoTenant,
      demoApiKey,
      outputs: plan.outputs,
      secretsFile,
    };
    clients.lambda.destroy();
    const kill = async (server: LocalServer) => {
      const process = running.get(server);
      if (!process) throw new Error(`${server} is not running`);
      running.delete(server);
      await process.kill();
    };
    const restart = async (server: LocalServer) => {
      await startServer(server);
      if (server !== 'localstack') return;
      const fresh = awsClients(endpoints);
      try {
        await deployPlan(plan, fresh, { account: LOCAL_ACCOUNT, notificationQueueArn: MINIO_WEBHOOK_ARN });
      } finally {
        for (const client of Object.values(fresh)) client.destroy();
      }
    };
    const started = host;
    return { info, plan, stop, kill, restart, iamDenials: () => started.iamDenials };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * What every function gets besides its template environment: what Lambda's runtime would add, plus the
 * endpoints the wiring module reads. Exported for tests that run functions on a lambda host of their own.
 */
export function functionBaseEnvironment(target: {
  endpoints: LocalCloudInfo['endpoints'];
  hostUrl: string;
  hostToken: string;
  secretsFile: string;
}): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: LOCAL_SECRET_ACCESS_KEY,
    STRATA_S3_ENDPOINT: target.endpoints.s3,
    STRATA_DYNAMODB_ENDPOINT: target.endpoints.dynamodb,
    STRATA_SFN_ENDPOINT: target.endpoints.stepfunctions,
    STRATA_GLUE_ENDPOINT: target.endpoints.glue,
    // Functions that start others asynchronously (connector runs) call the host's Invoke API.
    STRATA_LAMBDA_ENDPOINT: target.hostUrl,
    STRATA_LAMBDA_HOST_TOKEN: target.hostToken,
    // Connector secrets: Secrets Manager in AWS; here STRATA_SECRET_* variables and this file.
    STRATA_SECRETS_FILE: target.secretsFile,
    // Test sources (a JSON API, PostgreSQL, a second MinIO bucket) listen on 127.0.0.1.
    STRATA_CONNECTOR_NETWORK: 'any',
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('STRATA_SECRET_'))),
    // Handlers run on the machine's Node 20 here, on 22 in Lambda; the SDK's reminder is noise.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  } as Record<string, string>;
}

/** The same app `cdk synth` builds, without bundling: the host runs handlers from source. */
export function synthesizeTemplate(outdir: string): CfnTemplate {
  const { app } = createStrataApp({ bundle: false, validation: false, outdir });
  return app.synth().getStackByName(STACK_ID).template as CfnTemplate;
}

const LOCAL_CREDENTIALS = { accessKeyId: LOCAL_ACCESS_KEY_ID, secretAccessKey: LOCAL_SECRET_ACCESS_KEY };

export function awsClients(endpoints: LocalCloudInfo['endpoints']) {
  return localControlPlane({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoints });
}

/** npm start keeps its data; the demo key is kept beside it so the printed key stays valid. */
async function demoKey(endpoint: string, table: string, tenant: string, file: string): Promise<string> {
  const { store, destroy } = apiKeyStore({
    region: LOCAL_REGION,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    table,
  });
  try {
    if (existsSync(file)) {
      const saved = readFileSync(file, 'utf8').trim();
      if (await store.getApiKey(hashApiKey(saved))) return saved;
    }
    const key = await createApiKey({ apiKeys: store, clock }, tenant, 'local demo key');
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    return key;
  } finally {
    destroy();
  }
}

function externalFromEnv(): NonNullable<LocalCloudOptions['external']> {
  const env = process.env;
  return {
    ...(env.STRATA_EXTERNAL_S3 && { s3: env.STRATA_EXTERNAL_S3 }),
    ...(env.STRATA_EXTERNAL_DYNAMODB && { dynamodb: env.STRATA_EXTERNAL_DYNAMODB }),
    ...(env.STRATA_EXTERNAL_STEPFUNCTIONS && { stepfunctions: env.STRATA_EXTERNAL_STEPFUNCTIONS }),
    ...(env.STRATA_EXTERNAL_GLUE && { glue: env.STRATA_EXTERNAL_GLUE }),
  };
}

/**
 * Port 0 → a free port picked by the OS now (released before the server binds it), and never one another
 * server of this cloud was given: the OS may hand a just-released port out again, and two servers on one
 * port would have the second's clients talk to the first (a DynamoDB call answered 404 by another server).
 */
async function choosePorts(ports: Ports): Promise<Ports> {
  const out = { ...ports };
  const given = new Set<number>(Object.values(out).filter((port) => port !== 0));
  for (const key of Object.keys(out) as (keyof Ports)[]) {
    if (out[key] !== 0) continue;
    let port = await freePort();
    while (given.has(port)) port = await freePort();
    given.add(port);
    out[key] = port;
  }
  return out;
}

function required(outputs: Record<string, string>, key: string): string {
  const value = outputs[key];
  if (!value) throw new Error(`the template has no output ${key}`);
  return value;
}
