/**
 * The one place that builds SDK clients and adapters. Endpoints come from config: absent in AWS,
 * pointed at MinIO / DynamoDB Local / LocalStack by the local host. Clients are built lazily and once
 * per cold start, so a handler pays only for the clients it uses.
 */

import { lookup } from 'node:dns/promises';
import { connect, isIP } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlueClient } from '@aws-sdk/client-glue';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import mysql from 'mysql2';
import pg from 'pg';
import { S3TableLogs } from './adapters/delta/s3-table-log.js';
import { TableWriters } from './adapters/delta/table-writer.js';
import { DynamoConnectorStore } from './adapters/dynamo/connector-store.js';
import { DynamoFeatureRegistry, DynamoOnlineFeatureStore } from './adapters/dynamo/feature-store.js';
import { DynamoLifecycleStore } from './adapters/dynamo/lifecycle-store.js';
import { DynamoLineageStore } from './adapters/dynamo/lineage-store.js';
import { DynamoMetadataStore } from './adapters/dynamo/metadata-store.js';
import { DynamoModelStore } from './adapters/dynamo/model-store.js';
import { DynamoRunStore } from './adapters/dynamo/run-store.js';
import { DynamoVersionStore } from './adapters/dynamo/version-store.js';
import { DynamoTableWriterLeases } from './adapters/dynamo/writer-lease.js';
import { GlueTableCatalog } from './adapters/glue/catalog.js';
import { HostGuard } from './adapters/host-guard.js';
import { HttpLineageSink } from './adapters/http-lineage-sink.js';
import { LambdaInvoker } from './adapters/lambda-invoker.js';
import { MysqlSource } from './adapters/mysql-source.js';
import { type PinnedAddress, pinnedAgents, pinnedGet } from './adapters/pinned-http.js';
import { PostgresSource } from './adapters/postgres-source.js';
import { RestSource } from './adapters/rest-source.js';
import { S3DropBox } from './adapters/s3-drop-box.js';
import { S3LineageSink } from './adapters/s3-lineage-sink.js';
import { S3ObjectLister } from './adapters/s3-object-lister.js';
import { S3ObjectSource } from './adapters/s3-object-source.js';
import { S3ObjectStore } from './adapters/s3-object-store.js';
import { EnvSecrets, SecretsManagerSecrets } from './adapters/secrets.js';
import { SfnOrchestrator } from './adapters/sfn-orchestrator.js';
import type { RunLineage } from './app/runs/openlineage.js';
import type { RunDeps } from './app/runs/recording.js';
import type { Config, ConfigKey } from './config.js';
import { type DatabaseConnectorConfig, parseS3Secret } from './domain/connectors.js';
import { type DatabaseConnection, parseDatabaseSecret, useTls } from './domain/database-secret.js';
import { fromDeltaSchema } from './domain/delta/schema.js';
import { tableSchema } from './domain/delta/snapshot.js';
import { classifyAddress } from './domain/network.js';
import { NotFoundError, SourceError } from './errors.js';
import {
  type MetricsRecorder,
  type RecordSource,
  type SecretStore,
  type SourceFactory,
  systemClock,
} from './ports.js';

export const logger = new Logger({ serviceName: 'strata' });

/** Flushed after each invocation by the handler's `logMetrics` middleware. */
export const metrics = new Metrics({ namespace: 'strata', serviceName: 'strata' });

export const metricsRecorder: MetricsRecorder = {
  add: (name, unit, value) => metrics.addMetric(name, unit, value),
};

type AnyConfig = Config<ConfigKey>;

let s3: S3Client | undefined;
let presigner: S3Client | undefined;
let dynamo: DynamoDBDocumentClient | undefined;
let sfn: SFNClient | undefined;

export function s3Client(config: Pick<AnyConfig, 'AWS_REGION' | 'STRATA_S3_ENDPOINT'>): S3Client {
  s3 ??= new S3Client({
    region: config.AWS_REGION,
    ...(config.STRATA_S3_ENDPOINT && {
      endpoint: config.STRATA_S3_ENDPOINT,
      // MinIO on 127.0.0.1 has no per-bucket DNS names.
      forcePathStyle: true,
    }),
  });
  return s3;
}

/**
 * For presigned URLs only. The SDK's default checksum calculation would sign a CRC32 of an empty body
 * into a presigned PUT, which S3 then rejects against the real body; clients of our URLs compute none.
 */
export function presignS3Client(config: Pick<AnyConfig, 'AWS_REGION' | 'STRATA_S3_ENDPOINT'>): S3Client {
  presigner ??= new S3Client({
    region: config.AWS_REGION,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    ...(config.STRATA_S3_ENDPOINT && { endpoint: config.STRATA_S3_ENDPOINT, forcePathStyle: true }),
  });
  return presigner;
}

export function dynamoClient(config: Pick<AnyConfig, 'AWS_REGION' | 'STRATA_DYNAMODB_ENDPOINT'>) {
  dynamo ??= DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: config.AWS_REGION,
      ...(config.STRATA_DYNAMODB_ENDPOINT && { endpoint: config.STRATA_DYNAMODB_ENDPOINT }),
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  return dynamo;
}

export function sfnClient(config: Pick<AnyConfig, 'AWS_REGION' | 'STRATA_SFN_ENDPOINT'>): SFNClient {
  sfn ??= new SFNClient({
    region: config.AWS_REGION,
    ...(config.STRATA_SFN_ENDPOINT && { endpoint: config.STRATA_SFN_ENDPOINT }),
  });
  return sfn;
}

export function objectStore(config: Config<'DATA_BUCKET'>) {
  return new S3ObjectStore(s3Client(config), config.DATA_BUCKET, presignS3Client(config));
}

/** The datasets' Delta tables in the data bucket (`tables/<tenant>/<dataset>/`): their logs and appends. */
export function datasetTables(config: Config<'DATA_BUCKET'>) {
  return new TableWriters(new S3TableLogs(s3Client(config), config.DATA_BUCKET));
}

let glue: GlueClient | undefined;

/**
 * The Glue Data Catalog of the function's own account and region, where datasets' Delta tables are
 * registered for Athena (`strata_<tenant>.<dataset>`); locally, the local cloud's Glue server.
 */
export function tableCatalog(config: Pick<AnyConfig, 'AWS_REGION' | 'STRATA_GLUE_ENDPOINT'>) {
  glue ??= new GlueClient({
    region: config.AWS_REGION,
    ...(config.STRATA_GLUE_ENDPOINT && { endpoint: config.STRATA_GLUE_ENDPOINT }),
  });
  return new GlueTableCatalog(glue);
}

/** fresh/ of the data bucket for a function allowed to create objects there and nothing else. */
export function dropBox(config: Config<'DATA_BUCKET'>) {
  return new S3DropBox(s3Client(config), config.DATA_BUCKET);
}

/** Lists the data bucket's current object versions (no object read). */
export function objectLister(config: Config<'DATA_BUCKET'>) {
  return new S3ObjectLister(s3Client(config), config.DATA_BUCKET);
}

export function metadataStore(config: Config<'METADATA_TABLE'>) {
  return new DynamoMetadataStore(dynamoClient(config), config.METADATA_TABLE);
}

export function lifecycleStore(config: Config<'METADATA_TABLE'>) {
  return new DynamoLifecycleStore(dynamoClient(config), config.METADATA_TABLE);
}

export function runStore(config: Config<'METADATA_TABLE'>) {
  return new DynamoRunStore(dynamoClient(config), config.METADATA_TABLE);
}

export function versionStore(config: Config<'METADATA_TABLE' | 'VERSIONS_TABLE' | 'LINEAGE_TABLE'>) {
  return new DynamoVersionStore(dynamoClient(config), {
    metadataTable: config.METADATA_TABLE,
    versionsTable: config.VERSIONS_TABLE,
    lineageTable: config.LINEAGE_TABLE,
  });
}

/** Who writes each dataset's table: one version stage at a time. */
export function tableWriterLeases(config: Config<'METADATA_TABLE'>) {
  return new DynamoTableWriterLeases(dynamoClient(config), config.METADATA_TABLE);
}

/** Pass the lineage table when the registry registers versions (their edges are written with them). */
export function featureRegistry(config: Config<'FEATURES_TABLE'> & { LINEAGE_TABLE?: string }) {
  return new DynamoFeatureRegistry(dynamoClient(config), config.FEATURES_TABLE, config.LINEAGE_TABLE);
}

/** The metadata store that writes training sets with their lineage edges. */
export function trainingSetStore(config: Config<'METADATA_TABLE' | 'LINEAGE_TABLE'>) {
  return new DynamoMetadataStore(dynamoClient(config), config.METADATA_TABLE, {
    lineageTable: config.LINEAGE_TABLE,
  });
}

export function lineageStore(config: Config<'LINEAGE_TABLE'>) {
  return new DynamoLineageStore(dynamoClient(config), config.LINEAGE_TABLE);
}

export function modelStore(config: Config<'METADATA_TABLE' | 'LINEAGE_TABLE'>) {
  return new DynamoModelStore(dynamoClient(config), {
    metadataTable: config.METADATA_TABLE,
    lineageTable: config.LINEAGE_TABLE,
  });
}

export function onlineFeatureStore(config: Config<'ONLINE_FEATURES_TABLE'>) {
  return new DynamoOnlineFeatureStore(dynamoClient(config), config.ONLINE_FEATURES_TABLE);
}

/**
 * Where runs' OpenLineage events go: always the data bucket's `lineage/`, and the HTTP consumer named by
 * OPENLINEAGE_URL (Marquez) when set.
 */
export function runLineage(config: Config<'DATA_BUCKET' | 'OPENLINEAGE_URL'>): RunLineage {
  const store = objectStore(config);
  return {
    dataBucket: config.DATA_BUCKET,
    sinks: [
      new S3LineageSink(store),
      ...(config.OPENLINEAGE_URL ? [new HttpLineageSink(config.OPENLINEAGE_URL)] : []),
    ],
    // Only the version function asks (COMPLETE of a written version); it reads tables/.
    tableSchema: async (root, deltaVersion) => {
      const snapshot = await datasetTables(config).open(root).snapshot(deltaVersion);
      if (!snapshot) throw new NotFoundError(`no Delta table at ${root}`);
      return fromDeltaSchema(tableSchema(snapshot));
    },
  };
}

export function orchestrator(config: Config<'STATE_MACHINE_ARN'>) {
  return new SfnOrchestrator(sfnClient(config), config.STATE_MACHINE_ARN);
}

export function connectorStore(config: Config<'METADATA_TABLE'>) {
  return new DynamoConnectorStore(dynamoClient(config), config.METADATA_TABLE);
}

let lambda: LambdaClient | undefined;

/** infra/local/lambda-host.ts HOST_TOKEN_HEADER (shared/ does not import the local cloud). */
const LAMBDA_HOST_TOKEN_HEADER = 'x-strata-host-token';

/** Starts the connector pull function asynchronously (locally: the lambda host's Invoke API). */
export function connectorInvoker(config: Config<'CONNECTOR_FUNCTION'>) {
  lambda ??= lambdaClient(config);
  return new LambdaInvoker(lambda, config.CONNECTOR_FUNCTION);
}

function lambdaClient(config: Config): LambdaClient {
  const client = new LambdaClient({
    region: config.AWS_REGION,
    ...(config.STRATA_LAMBDA_ENDPOINT && { endpoint: config.STRATA_LAMBDA_ENDPOINT }),
  });
  const token = config.STRATA_LAMBDA_HOST_TOKEN;
  if (token !== undefined) {
    // The local lambda host's token, in a header of its own: Authorization carries the SigV4 signature.
    // Checking that signature instead would prove nothing, as the local credentials are public dummies.
    client.middlewareStack.add(
      (next) => (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers[LAMBDA_HOST_TOKEN_HEADER] = token;
        return next(args);
      },
      { step: 'build', name: 'strataLambdaHostToken' },
    );
  }
  return client;
}

/** Secrets Manager in AWS; the local cloud sets STRATA_SECRETS_FILE and passes STRATA_SECRET_* variables. */
export function secretStore(config: Config<'SECRETS_PREFIX'>): SecretStore {
  if (config.STRATA_SECRETS_FILE !== undefined)
    return new EnvSecrets(config.STRATA_LOCAL_SECRETS ?? {}, config.STRATA_SECRETS_FILE);
  return new SecretsManagerSecrets(
    new SecretsManagerClient({ region: config.AWS_REGION }),
    config.SECRETS_PREFIX,
  );
}

/**
 * The clients of connector sources: built per run from the connector's settings and secret (each source
 * is someone else's server), so they are made here and handed to the adapters like every other client.
 * Each is built for the address the host guard resolved and checked, and connects to that address only.
 */
export function sourceFactory(config: Config<'CONNECTOR_NETWORK_POLICY'>): SourceFactory {
  const guard = new HostGuard(config.STRATA_CONNECTOR_NETWORK ?? config.CONNECTOR_NETWORK_POLICY, (host) =>
    lookup(host, { all: true }),
  );
  return {
    records(source, secret) {
      switch (source.type) {
        case 'rest':
          return new RestSource(guard.fetch(pinnedGet), source, secret);
        case 'database': {
          if (secret === undefined || secret === '') {
            throw new SourceError(`database secret "${source.secretName}" has no value`);
          }
          const connection = parseDatabaseSecret(secret, source.engine);
          return guard.records((pinned) => databaseSource(source, connection, pinned), connection.host);
        }
      }
    },
    objects(source, secret) {
      // Always the source owner's keys: without them the SDK would fall back to this function's role.
      if (secret === undefined || secret === '') {
        throw new SourceError(
          `an s3 source reads with its owner's access keys: secret "${source.secretName ?? ''}" has no value`,
        );
      }
      const credentials = parseS3Secret(secret);
      const host = source.endpoint === undefined ? undefined : new URL(source.endpoint).hostname;
      return guard.objects((pinned) => {
        const client = new S3Client({
          region: source.region ?? config.AWS_REGION,
          ...(source.endpoint && { endpoint: source.endpoint, forcePathStyle: true }),
          ...(pinned && { requestHandler: pinnedAgents(pinned) }),
          credentials,
        });
        return new S3ObjectSource(client, source.bucket, source.prefix);
      }, host);
    },
  };
}

export const clock = systemClock;

/** A database source for one run, connected to the pinned address (a pg.Client connects once). */
function databaseSource(
  source: DatabaseConnectorConfig,
  c: DatabaseConnection,
  pinned: PinnedAddress,
): RecordSource {
  const tls = useTls(c.ssl, classifyAddress(pinned.address));
  // Certificates name hosts, not the address we connect to: verify against the name the secret gives.
  const servername = isIP(pinned.host) === 0 ? pinned.host : undefined;
  switch (source.engine) {
    case 'postgresql':
      return new PostgresSource(
        new pg.Client({
          host: pinned.address,
          port: c.port,
          user: c.user,
          password: c.password,
          database: c.database,
          ssl: tls ? { rejectUnauthorized: true, ...(servername && { servername }) } : false,
          connectionTimeoutMillis: 10_000,
          application_name: 'strata-connector',
        }),
        source,
      );
    case 'mysql':
      // decimalNumbers, bigNumberStrings, dateStrings, jsonStrings and typeCast stay unset: a query can
      // only turn them on, and the adapter relies on them being off.
      return new MysqlSource(
        () =>
          mysql.createConnection({
            // The driver takes the TLS server name from `host`; the socket goes to the pinned address.
            host: pinned.host,
            port: c.port,
            stream: () =>
              connect({ host: pinned.address, port: c.port, family: pinned.family, noDelay: true }),
            user: c.user,
            password: c.password,
            ...(c.database !== undefined && { database: c.database }),
            ...(tls && { ssl: { rejectUnauthorized: true, verifyIdentity: servername !== undefined } }),
            charset: 'utf8mb4',
            timezone: 'Z',
            supportBigNumbers: true,
            connectTimeout: 10_000,
          }),
        source,
      );
  }
}

/**
 * What a state-machine Lambda records its attempts with (shared/lambda/run-recording.ts): the run store,
 * and the run's OpenLineage events (START, COMPLETE, FAIL) to lineage/ and OPENLINEAGE_URL if set.
 */
export function runRecording(config: Config<'METADATA_TABLE' | 'DATA_BUCKET' | 'OPENLINEAGE_URL'>): RunDeps {
  return { runs: runStore(config), clock, logger, lineage: runLineage(config) };
}

/**
 * A client's target outside a Lambda's own environment: an endpoint with fixed credentials (the local
 * cloud's servers), or the default credential chain and a region (the CLI against a deployed stack).
 */
export interface ClientTarget {
  region?: string | undefined;
  endpoint?: string | undefined;
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
}

function clientOptions(target: ClientTarget) {
  return {
    ...(target.region && { region: target.region }),
    ...(target.endpoint && { endpoint: target.endpoint }),
    ...(target.credentials && { credentials: target.credentials }),
  };
}

/**
 * The API keys of a metadata table named by the caller: `strata keys create` (the operator's credentials)
 * and the local cloud's demo key. No HTTP route writes keys, so these are the only writers. `destroy`
 * closes the client.
 */
export function apiKeyStore(target: ClientTarget & { table: string }) {
  const client = new DynamoDBClient(clientOptions(target));
  const store = new DynamoMetadataStore(
    DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    target.table,
  );
  return { store, destroy: () => client.destroy() };
}

/**
 * The local cloud's control plane: its deploy creates buckets (MinIO), tables (DynamoDB Local), and
 * functions and the state machine (LocalStack) through these, with the local servers' dummy credentials.
 */
export function localControlPlane(
  target: Required<Pick<ClientTarget, 'region' | 'credentials'>> & {
    endpoints: { s3: string; dynamodb: string; stepfunctions: string };
  },
) {
  const common = { region: target.region, credentials: target.credentials };
  return {
    s3: new S3Client({ ...common, endpoint: target.endpoints.s3, forcePathStyle: true }),
    dynamodb: new DynamoDBClient({ ...common, endpoint: target.endpoints.dynamodb }),
    lambda: new LambdaClient({ ...common, endpoint: target.endpoints.stepfunctions }),
    sfn: new SFNClient({ ...common, endpoint: target.endpoints.stepfunctions }),
  };
}

/**
 * What the lifecycle's use cases need (moves, retention, cleanup, vacuum): the same for the lifecycle API
 * function and the daily scheduler.
 */
export function lifecycleDeps(config: Config<'DATA_BUCKET' | 'METADATA_TABLE'>) {
  const metadata = metadataStore(config);
  return {
    lifecycle: lifecycleStore(config),
    store: objectStore(config),
    datasets: metadata,
    metadata,
    tables: datasetTables(config),
    clock,
    logger,
  };
}

/**
 * What every stage of the ingestion state machine uses that reads or writes staged data (split, parse,
 * chunk, settle, merge, validate, profile, quality, drift).
 */
export function stageDeps(config: Config<'DATA_BUCKET' | 'METADATA_TABLE'>) {
  return {
    store: objectStore(config),
    datasets: metadataStore(config),
    clock,
    logger,
    metrics: metricsRecorder,
  };
}
