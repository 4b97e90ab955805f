/**
 * The connector pull against real servers: DynamoDB Local (state, lease, runs), MinIO (fresh/ and a
 * foreign bucket), and a paginated JSON API on 127.0.0.1. The use case runs in this process with the
 * adapters the Lambda uses; the API end-to-end path is in connector-api.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConnectorStore } from '../../shared/adapters/dynamo/connector-store.js';
import { S3DropBox } from '../../shared/adapters/s3-drop-box.js';
import { S3ObjectStore } from '../../shared/adapters/s3-object-store.js';
import { EnvSecrets, secretVariable } from '../../shared/adapters/secrets.js';
import { type PullDeps, runConnector } from '../../shared/app/connectors/pull.js';
import { readTable } from '../../shared/app/io/in-memory-tables.js';
import {
  type ConnectorRunRecord,
  type ConnectorSettings,
  connectorRunId,
  LEASE_MS,
} from '../../shared/domain/connector-runs.js';
import { connectorConfigSchema } from '../../shared/domain/connectors.js';
import type { ConnectorStore, Logger } from '../../shared/ports.js';
import { systemClock } from '../../shared/ports.js';
import { sourceFactory } from '../../shared/wiring.js';
import { cloudContext } from '../support/cloud.js';
import { apiRows, type RecordsApi, startRecordsApi } from '../support/rest-server.js';

const ctx = cloudContext();
const store = new S3ObjectStore(ctx.s3, ctx.info.dataBucket);
const connectors = new DynamoConnectorStore(ctx.doc, ctx.info.metadataTable);
const tenant = `pull-${randomBytes(4).toString('hex')}`;
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const MINIO_SECRET = 'minio-source';

let api: RecordsApi;

function deps(overrides: Partial<PullDeps> = {}): PullDeps {
  return {
    connectors,
    drop: new S3DropBox(ctx.s3, ctx.info.dataBucket),
    deploymentBuckets: [ctx.info.dataBucket],
    sources: sourceFactory({
      AWS_REGION: ctx.info.region,
      CONNECTOR_NETWORK_POLICY: 'public',
      STRATA_CONNECTOR_NETWORK: 'any',
    }),
    secrets: new EnvSecrets({
      [secretVariable(MINIO_SECRET)]: JSON.stringify(ctx.info.credentials),
      [secretVariable('api-token')]: 'Bearer t0ken-value',
    }),
    clock: systemClock,
    logger: quiet,
    remainingMs: () => 10 * 60_000,
    ...overrides,
  };
}

function restSettings(extra: Record<string, unknown> = {}): ConnectorSettings {
  return {
    scheduleMinutes: 60,
    // Runs here are started by the test; an enabled connector would also be started by the local
    // cloud's scheduler tick (same table), racing the test for the lease.
    enabled: false,
    source: connectorConfigSchema.parse({
      type: 'rest',
      url: api.url,
      pagination: { style: 'page', sizeParam: 'per_page', pageSize: 10 },
      recordsPath: '$.data',
      incrementalField: 'updated_at',
      batchSize: 10,
      maxAttempts: 2,
      rateLimitPerSecond: 1000,
      ...extra,
    }),
  };
}

/** A disabled S3 connector reading `bucket`/`prefix` of the local MinIO with its root keys. */
async function putS3Connector(
  dataset: string,
  bucket: string,
  prefix: string,
  extra: Record<string, unknown> = {},
) {
  await connectors.putConnector(
    tenant,
    dataset,
    {
      scheduleMinutes: 30,
      enabled: false,
      source: connectorConfigSchema.parse({
        type: 's3',
        bucket,
        prefix,
        endpoint: ctx.info.endpoints.s3,
        secretName: MINIO_SECRET,
        ...extra,
      }),
    },
    { at: new Date().toISOString(), resetWatermark: false },
  );
}

/** What the scheduler or the API does before invoking the pull: lease the connector for a new run. */
async function leaseAndRun(dataset: string, d: PullDeps = deps()): Promise<ConnectorRunRecord> {
  const now = new Date();
  const runId = connectorRunId(now, randomBytes(4).toString('hex'));
  const leased = await connectors.acquireLease(
    tenant,
    dataset,
    { runId, until: new Date(now.getTime() + LEASE_MS).toISOString(), trigger: 'api' },
    now.toISOString(),
  );
  expect(leased).toBeDefined();
  const outcome = await runConnector(d, { tenant, dataset, runId });
  if (outcome.status !== 'finished') throw new Error(`run skipped: ${outcome.reason}`);
  return outcome.run;
}

/** The ids in the Parquet files a run wrote, in file order. */
async function idsIn(keys: readonly string[]): Promise<number[]> {
  const ids: number[] = [];
  for (const key of keys) {
    const table = await readTable(store, key);
    const col = table.schema.columns.findIndex((c) => c.name === 'id');
    ids.push(...(table.columns[col] ?? []).map(Number));
  }
  return ids;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

beforeAll(async () => {
  api = await startRecordsApi();
});
afterAll(async () => {
  await api.close();
});

describe('a REST connector run', () => {
  it('pulls only the records after the watermark on the next run', async () => {
    // Prepare
    const dataset = 'rest-incremental';
    api.rows = apiRows(1, 25);
    await connectors.putConnector(tenant, dataset, restSettings(), {
      at: new Date().toISOString(),
      resetWatermark: false,
    });

    // Act
    const first = await leaseAndRun(dataset);
    api.rows.push(...apiRows(26, 30));
    const second = await leaseAndRun(dataset);
    const third = await leaseAndRun(dataset);

    // Assess
    expect(first.status).toBe('SUCCEEDED');
    expect(first.counts).toMatchObject({ read: 25, written: 25, failed: 0, files: 3 });
    expect(await idsIn(first.files)).toEqual(range(1, 25));
    expect(first.files.every((k) => k.startsWith(`fresh/${tenant}/${dataset}/pull-`))).toBe(true);
    expect(second.counts).toMatchObject({ written: 5, files: 1, skipped: 25 });
    expect(await idsIn(second.files)).toEqual(range(26, 30));
    expect(third.counts).toMatchObject({ written: 0, files: 0 });
    const record = await connectors.getConnector(tenant, dataset);
    expect(record?.watermark?.value).toBe(apiRows(30, 30)[0]?.updated_at);
    expect(record?.lease).toBeUndefined();
    expect(record?.lastRun?.runId).toBe(third.runId);
    expect(second.durationMs).toBeGreaterThanOrEqual(0);
    expect(second.counts.bytes).toBeGreaterThan(0);
  });

  it('keeps the watermark at the last written batch when a page fails, and the rerun pulls nothing twice', async () => {
    // Prepare
    const dataset = 'rest-midfail';
    api.rows = apiRows(1, 35);
    api.failPage = new Map([[3, 2]]); // both attempts of page 3 fail
    await connectors.putConnector(tenant, dataset, restSettings(), {
      at: new Date().toISOString(),
      resetWatermark: false,
    });

    // Act
    const failed = await leaseAndRun(dataset);
    const afterFailure = await connectors.getConnector(tenant, dataset);
    const rerun = await leaseAndRun(dataset);

    // Assess
    expect(failed.status).toBe('FAILED');
    expect(failed.error?.name).toBe('TransientError');
    // Rows 11-20 were read but not written: a batch is cut only once the next record shows no tie.
    expect(await idsIn(failed.files)).toEqual(range(1, 10));
    expect(afterFailure?.watermark?.value).toBe(apiRows(10, 10)[0]?.updated_at);
    expect(afterFailure?.consecutiveFailures).toBe(1);
    // Retried sooner than the hourly schedule: one minute after a first failure.
    const retryIn = Date.parse(afterFailure?.nextRunAt ?? '') - Date.parse(failed.endedAt ?? '');
    expect(retryIn).toBe(60_000);
    expect(rerun.status).toBe('SUCCEEDED');
    expect(await idsIn(rerun.files)).toEqual(range(11, 35));
    expect((await connectors.getConnector(tenant, dataset))?.consecutiveFailures).toBe(0);
  });

  it('stores the watermark of a file a dead run wrote, and pulls nothing twice', async () => {
    // Prepare: the first run "dies" between writing its second file and storing that file's watermark.
    const dataset = 'rest-crash';
    api.rows = apiRows(1, 25);
    await connectors.putConnector(tenant, dataset, restSettings(), {
      at: new Date().toISOString(),
      resetWatermark: false,
    });
    let commits = 0;
    const crashing: ConnectorStore = Object.create(connectors, {
      commitWatermark: {
        value: async (...args: Parameters<ConnectorStore['commitWatermark']>) => {
          if (++commits === 2) throw new Error('process killed');
          return connectors.commitWatermark(...args);
        },
      },
    });

    // Act
    const died = await leaseAndRun(dataset, deps({ connectors: crashing }));
    const pending = (await connectors.getConnector(tenant, dataset))?.pending;
    api.rows.push(...apiRows(26, 28));
    const next = await leaseAndRun(dataset);

    // Assess
    expect(died.status).toBe('FAILED');
    expect(pending?.keys).toEqual([died.files[1]]);
    expect(next.recovered).toEqual([died.files[1]]);
    const all = [...(await idsIn(died.files)), ...(await idsIn(next.files))];
    expect(all).toEqual(range(1, 28));
    expect((await connectors.getConnector(tenant, dataset))?.pending).toBeUndefined();
  });

  it('drops records without a required column and counts them as failed', async () => {
    // Prepare
    const dataset = 'rest-required';
    api.rows = apiRows(1, 10).map((r) => (r.id % 5 === 0 ? { ...r, label: null } : r));
    await connectors.putConnector(
      tenant,
      dataset,
      restSettings({ requiredColumns: ['category'], columnMapping: { label: 'category' } }),
      { at: new Date().toISOString(), resetWatermark: false },
    );

    // Act
    const run = await leaseAndRun(dataset);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.counts).toMatchObject({ read: 10, written: 8, failed: 2 });
    expect(run.errorRate).toBeCloseTo(0.2);
    const table = await readTable(store, run.files[0] ?? '');
    expect(table.schema.columns.map((c) => c.name)).toContain('category');
    expect(table.schema.columns.find((c) => c.name === 'updated_at')?.type).toBe('timestamp');
  });

  it('fails the run and keeps the watermark when a critical column is missing', async () => {
    // Prepare
    const dataset = 'rest-critical';
    api.rows = apiRows(1, 10).map((r) => (r.id === 7 ? { id: r.id, updated_at: r.updated_at } : r));
    await connectors.putConnector(tenant, dataset, restSettings({ criticalColumns: ['amount'] }), {
      at: new Date().toISOString(),
      resetWatermark: false,
    });

    // Act
    const run = await leaseAndRun(dataset);

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('SourceError');
    expect(run.error?.message).toContain('"amount" in 1 of 10');
    expect(run.files).toEqual([]);
    expect((await connectors.getConnector(tenant, dataset))?.watermark).toBeUndefined();
  });

  it('never puts the secret into the run record when the API refuses it', async () => {
    // Prepare
    const dataset = 'rest-auth';
    api.rows = apiRows(1, 3);
    api.token = 'another-token';
    await connectors.putConnector(
      tenant,
      dataset,
      restSettings({ auth: { header: 'authorization', secretName: 'api-token' } }),
      { at: new Date().toISOString(), resetWatermark: false },
    );

    // Act
    const refused = await leaseAndRun(dataset);
    api.token = 't0ken-value';
    const accepted = await leaseAndRun(dataset);
    api.token = undefined;

    // Assess
    expect(refused.status).toBe('FAILED');
    expect(refused.error?.message).toContain('HTTP 401');
    expect(JSON.stringify(refused)).not.toContain('t0ken-value');
    expect(accepted.counts.written).toBe(3);
  });

  it('stops at its time budget and schedules the next run at once, which continues where it stopped', async () => {
    // Prepare: the invocation "runs out of time" once its first batch is stored
    const dataset = 'rest-budget';
    api.rows = apiRows(1, 25);
    await connectors.putConnector(tenant, dataset, restSettings(), {
      at: new Date().toISOString(),
      resetWatermark: false,
    });
    let batches = 0;
    const shortLived = deps({
      connectors: Object.create(connectors, {
        putRun: {
          value: async (run: ConnectorRunRecord) => {
            if (run.status === 'RUNNING' && run.counts.read > 0) batches++;
            return connectors.putRun(run);
          },
        },
      }),
      remainingMs: () => (batches >= 1 ? 30_000 : 10 * 60_000),
    });

    // Act
    const cut = await leaseAndRun(dataset, shortLived);
    const record = await connectors.getConnector(tenant, dataset);
    const rest = await leaseAndRun(dataset);

    // Assess
    expect(cut).toMatchObject({ status: 'SUCCEEDED', more: true });
    expect(await idsIn(cut.files)).toEqual(range(1, 10));
    expect(Date.parse(record?.nextRunAt ?? '')).toBeLessThanOrEqual(Date.parse(cut.endedAt ?? ''));
    expect(await idsIn(rest.files)).toEqual(range(11, 25));
  });

  it('closes the record of a run that died holding its lease once the lease has run out', async () => {
    // Prepare: run A took a short lease, recorded itself RUNNING, and died
    const dataset = 'rest-abandoned';
    api.rows = apiRows(1, 3);
    await connectors.putConnector(tenant, dataset, restSettings(), {
      at: new Date().toISOString(),
      resetWatermark: false,
    });
    const now = new Date();
    const dead = connectorRunId(now, 'a0a0a0a0');
    await connectors.acquireLease(
      tenant,
      dataset,
      { runId: dead, until: new Date(now.getTime() + 300).toISOString(), trigger: 'schedule' },
      now.toISOString(),
    );
    await connectors.putRun({
      runId: dead,
      tenant,
      dataset,
      sourceType: 'rest',
      trigger: 'schedule',
      status: 'RUNNING',
      startedAt: now.toISOString(),
      counts: { read: 0, written: 0, failed: 0, skipped: 0, bytes: 0, files: 0 },
      errorRate: 0,
      files: [],
    });
    await new Promise((resolve) => setTimeout(resolve, 400));

    // Act
    const next = await leaseAndRun(dataset);

    // Assess
    expect(next.status).toBe('SUCCEEDED');
    expect(await connectors.getRun(tenant, dataset, dead)).toMatchObject({
      status: 'FAILED',
      error: { name: 'RunAbandoned' },
    });
  });

  it('skips an invocation whose run does not hold the lease, and a finished run invoked again', async () => {
    // Prepare
    const dataset = 'rest-duplicate';
    api.rows = apiRows(1, 3);
    await connectors.putConnector(tenant, dataset, restSettings(), {
      at: new Date().toISOString(),
      resetWatermark: false,
    });
    const done = await leaseAndRun(dataset);

    // Act
    const stray = await runConnector(deps(), {
      tenant,
      dataset,
      runId: connectorRunId(new Date(), 'deadbeef'),
    });
    const again = await runConnector(deps(), { tenant, dataset, runId: done.runId });

    // Assess
    expect(stray).toEqual({ status: 'skipped', reason: 'the run does not hold the lease' });
    expect(again.status).toBe('skipped');
    const runs = await connectors.listRuns(tenant, dataset, { limit: 10 });
    expect(runs.items.map((r) => r.runId)).toEqual([done.runId]);
  });
});

describe('an S3 connector run', () => {
  it('copies the new objects of another bucket once, oldest first', async () => {
    // Prepare
    const bucket = `source-${randomBytes(4).toString('hex')}`;
    await ctx.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const put = (key: string, body: string) =>
      ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    await put('exports/a.csv', 'id,v\n1,2\n');
    await put('exports/b.csv', 'id,v\n3,4\n');
    await put('exports/notes.txt', 'not data');
    await put('elsewhere/c.csv', 'id,v\n5,6\n');
    const dataset = 's3-copy';
    await putS3Connector(dataset, bucket, 'exports/', { batchSize: 1 });

    // Act
    const first = await leaseAndRun(dataset);
    await put('exports/d.jsonl', '{"id":7,"v":8}\n');
    const second = await leaseAndRun(dataset);
    const third = await leaseAndRun(dataset);

    // Assess
    expect(first.status).toBe('SUCCEEDED');
    expect(first.counts).toMatchObject({ read: 3, written: 2, failed: 1, files: 2 });
    expect(first.files.map((k) => k.split('-').pop())).toEqual(['a.csv', 'b.csv']);
    const copied = await ctx.s3.send(
      new GetObjectCommand({ Bucket: ctx.info.dataBucket, Key: first.files[0] }),
    );
    expect(await copied.Body?.transformToString()).toBe('id,v\n1,2\n');
    expect(second.counts).toMatchObject({ written: 1, skipped: 3 });
    expect(second.files[0]?.endsWith('d.jsonl')).toBe(true);
    expect(third.counts.written).toBe(0);
  });
});

describe("an S3 connector on the deployment's own bucket", () => {
  it('fails its run without copying, even when stored before such sources were refused', async () => {
    // Prepare: written straight to the store, as a connector saved by an older release would be
    const victim = `victim-${randomBytes(4).toString('hex')}`;
    await ctx.s3.send(
      new PutObjectCommand({
        Bucket: ctx.info.dataBucket,
        Key: `fresh/${victim}/hr/pay.csv`,
        Body: 'a\n1\n',
      }),
    );
    const dataset = 'own-bucket';
    await putS3Connector(dataset, ctx.info.dataBucket, `fresh/${victim}/`);

    // Act
    const run = await leaseAndRun(dataset);

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('SourceError');
    expect(run.error?.message).toContain("this deployment's own buckets");
    expect(run.counts.written).toBe(0);
    expect(await new S3DropBox(ctx.s3, ctx.info.dataBucket).exists(`fresh/${tenant}/${dataset}/`)).toBe(
      false,
    );
  });
});

describe('the drop box the pull writes through', () => {
  it('creates a key once, never replaces it, and tells existence by listing', async () => {
    // Prepare
    const drop = new S3DropBox(ctx.s3, ctx.info.dataBucket);
    const key = `fresh/${tenant}/drop/${randomBytes(4).toString('hex')}.csv`;

    // Act
    const before = await drop.exists(key);
    const first = await drop.put(key, new TextEncoder().encode('a\n1\n'));
    const second = await drop.put(key, new TextEncoder().encode('a\n2\n'));
    const streamed = await drop.write(
      key,
      (async function* () {
        yield new TextEncoder().encode('a\n3\n');
      })(),
    );
    const prefixOnly = await drop.exists(key.slice(0, -4));
    const stored = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.info.dataBucket, Key: key }));

    // Assess
    expect(before).toBe(false);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(streamed.created).toBe(false);
    expect(await drop.exists(key)).toBe(true);
    expect(prefixOnly).toBe(false);
    expect(await stored.Body?.transformToString()).toBe('a\n1\n');
  });
});
