/**
 * Connectors end to end on the local cloud: settings through the HTTP API, a run started by the API or
 * by the scheduler function, the pull Lambda writing Parquet into fresh/, and the normal pipeline making
 * a dataset version of it.
 */
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../infra/local/servers/postgres.js';
import { secretVariable } from '../../shared/adapters/secrets.js';
import { api, cloudContext, hostFetch, newTenant } from '../support/cloud.js';
import { apiRows, type RecordsApi, startRecordsApi } from '../support/rest-server.js';

const ctx = cloudContext();
let apiKey: string;
let tenant: string;
let source: RecordsApi;
let postgres: PostgresServer;

beforeAll(async () => {
  ({ apiKey, tenant } = await newTenant(ctx, 'connect'));
  source = await startRecordsApi();
  postgres = await startPostgres();
});
afterAll(async () => {
  await source.close();
  await postgres?.stop();
});

const call = (method: string, path: string, body?: unknown) =>
  api(ctx.info, path, {
    apiKey,
    method,
    ...(body !== undefined && {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  });

/**
 * Connectors of these tests are disabled unless the test is about the schedule: the local cloud's
 * scheduler ticks every minute and would start an enabled one at once, racing the test's own runs.
 */
const restSource = () => ({
  type: 'rest',
  url: source.url,
  pagination: { style: 'page', sizeParam: 'per_page', pageSize: 50 },
  recordsPath: '$.data',
  incrementalField: 'updated_at',
  batchSize: 100,
});

async function waitForRun(dataset: string, runId: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const run = await call('GET', `/datasets/${dataset}/connector/runs/${runId}`);
    if (run.status === 200 && run.body?.status !== 'RUNNING') return run.body ?? {};
    await sleep(200);
  }
  throw new Error(`connector run ${runId} did not finish`);
}

async function waitForVersions(dataset: string, count: number, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const versions = await call('GET', `/datasets/${dataset}/versions`);
    const list = (versions.body?.versions ?? []) as Array<{
      version: number;
      status: string;
      rowCount?: number;
    }>;
    if (list.length >= count && list.every((v) => v.status !== 'PENDING')) return list;
    await sleep(500);
  }
  throw new Error(`dataset ${dataset} did not reach ${count} versions`);
}

describe('the connector API', () => {
  it('pulls a REST API into dataset versions, one increment per run', async () => {
    // Prepare
    source.rows = apiRows(1, 120);
    const put = await call('PUT', '/datasets/orders/connector', {
      source: restSource(),
      scheduleMinutes: 1440,
    });

    // Act
    const started = await call('POST', '/datasets/orders/connector/runs');
    const run = await waitForRun('orders', String(started.body?.runId));
    // 120 records in batches of 100: two files, two versions.
    const first = await waitForVersions('orders', 2);
    source.rows.push(...apiRows(121, 130));
    const next = await call('POST', '/datasets/orders/connector/runs');
    const second = await waitForRun('orders', String(next.body?.runId));
    const versions = await waitForVersions('orders', 3);

    // Assess
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      dataset: 'orders',
      enabled: true,
      scheduleMinutes: 1440,
      watermark: null,
    });
    expect(started.status).toBe(202);
    expect(run).toMatchObject({ status: 'SUCCEEDED', trigger: 'api', sourceType: 'rest' });
    expect(run.counts).toMatchObject({ read: 120, written: 120, failed: 0, files: 2 });
    expect(first.map((v) => v.status)).toEqual(['READY', 'READY']);
    expect(second.counts).toMatchObject({ written: 10, files: 1 });
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2, 3]);
    const connector = await call('GET', '/datasets/orders/connector');
    expect(connector.body).toMatchObject({
      watermark: apiRows(130, 130)[0]?.updated_at,
      running: null,
      consecutiveFailures: 0,
      lastRun: { runId: next.body?.runId, status: 'SUCCEEDED' },
    });
    const runs = await call('GET', '/datasets/orders/connector/runs?limit=10');
    expect(((runs.body?.runs ?? []) as Array<{ runId: string }>).map((r) => r.runId)).toEqual([
      next.body?.runId,
      started.body?.runId,
    ]);
  });

  it('keeps the watermark when settings change, and starts over when the source does', async () => {
    // Prepare
    source.rows = apiRows(1, 4);
    await call('PUT', '/datasets/moving/connector', { source: restSource(), enabled: false });
    await waitForRun('moving', String((await call('POST', '/datasets/moving/connector/runs')).body?.runId));

    // Act
    const tuned = await call('PUT', '/datasets/moving/connector', {
      source: { ...restSource(), batchSize: 7 },
      scheduleMinutes: 10,
      enabled: false,
    });
    const moved = await call('PUT', '/datasets/moving/connector', {
      source: { ...restSource(), url: `${source.url}?region=eu` },
      enabled: false,
    });

    // Assess
    expect(tuned.body?.watermark).toBe(apiRows(4, 4)[0]?.updated_at);
    expect(moved.body?.watermark).toBeNull();
  });

  it('answers 409 while a run is in progress', async () => {
    // Prepare
    source.rows = apiRows(1, 5);
    source.delayMs = 1_500;
    await call('PUT', '/datasets/slow/connector', { source: restSource(), enabled: false });

    // Act
    const first = await call('POST', '/datasets/slow/connector/runs');
    const second = await call('POST', '/datasets/slow/connector/runs');
    const running = await call('GET', '/datasets/slow/connector');
    const done = await waitForRun('slow', String(first.body?.runId));
    source.delayMs = 0;

    // Assess
    expect(first.status).toBe(202);
    expect(second.status).toBe(409);
    expect(second.body?.error).toBe('ConflictError');
    expect(running.body?.running).toBe(first.body?.runId);
    expect(done.status).toBe('SUCCEEDED');
  });

  it('starts due connectors from the scheduler function', async () => {
    // Prepare
    source.rows = apiRows(1, 7);
    await call('PUT', '/datasets/scheduled/connector', { source: restSource(), scheduleMinutes: 5 });
    const scheduler = ctx.info.outputs.ConnectorSchedulerName;

    // Act
    const tick = await hostFetch(ctx.info, `/2015-03-31/functions/${scheduler}/invocations`, {
      method: 'POST',
      body: '{}',
    });
    let runs: Array<{ runId: string; status: string; trigger: string }> = [];
    for (let i = 0; i < 150 && !runs.some((r) => r.status === 'SUCCEEDED'); i++) {
      await sleep(200);
      runs = ((await call('GET', '/datasets/scheduled/connector/runs')).body?.runs ?? []) as typeof runs;
    }

    // Assess
    expect(tick.status).toBe(200);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'SUCCEEDED', trigger: 'schedule' });
    const connector = await call('GET', '/datasets/scheduled/connector');
    const nextRunAt = Date.parse(String(connector.body?.nextRunAt));
    expect(nextRunAt - Date.now()).toBeGreaterThan(3 * 60_000);
  });

  it('refuses malformed settings with the problems listed', async () => {
    // Act
    const unknownField = await call('PUT', '/datasets/bad/connector', {
      source: restSource(),
      password: 'x',
    });
    const both = await call('PUT', '/datasets/bad/connector', {
      source: { type: 'database', engine: 'postgresql', secretName: 'pg', table: 't', query: 'select 1' },
    });
    const badName = await call('PUT', '/datasets/Bad!Name/connector', { source: restSource() });
    const missing = await call('GET', '/datasets/never/connector');
    const notRunnable = await call('POST', '/datasets/never/connector/runs');

    // Assess
    expect(unknownField.status).toBe(400);
    expect(both.status).toBe(400);
    expect(String(both.body?.message)).toContain('exactly one of table or query');
    expect(badName.status).toBe(400);
    expect(missing.status).toBe(404);
    expect(notRunnable.status).toBe(404);
  });

  it("refuses an s3 source on the deployment's own bucket, so no tenant can copy another's files", async () => {
    // Prepare: a victim tenant's raw file in fresh/; the local cloud holds the MinIO root keys as a secret
    const victim = await newTenant(ctx, 'victim');
    await ctx.s3.send(
      new PutObjectCommand({
        Bucket: ctx.info.dataBucket,
        Key: `fresh/${victim.tenant}/payroll/salaries.csv`,
        Body: 'name,salary\nada,100\n',
      }),
    );
    const keys = `minio-root-${Date.now()}`;
    appendFileSync(
      ctx.info.secretsFile,
      `${secretVariable(keys)}='${JSON.stringify(ctx.info.credentials)}'\n`,
    );
    const loot = { type: 's3', bucket: ctx.info.dataBucket, prefix: `fresh/${victim.tenant}/` };

    // Act: the exact request of the attack, then with credentials that can read the bucket
    const bare = await call('PUT', '/datasets/loot/connector', { source: loot });
    const withKeys = await call('PUT', '/datasets/loot/connector', {
      source: { ...loot, endpoint: ctx.info.endpoints.s3, secretName: keys },
    });
    const run = await call('POST', '/datasets/loot/connector/runs');
    const copied = await ctx.s3.send(
      new ListObjectsV2Command({ Bucket: ctx.info.dataBucket, Prefix: `fresh/${tenant}/loot/` }),
    );

    // Assess
    expect(bare.status).toBe(400);
    expect(String(bare.body?.message)).toContain('secretName');
    expect(withKeys.status).toBe(400);
    expect(withKeys.body?.error).toBe('InvalidInputError');
    expect(String(withKeys.body?.message)).toContain("this deployment's own buckets");
    expect(run.status).toBe(404);
    expect(copied.KeyCount).toBe(0);
  });

  it('deletes a connector', async () => {
    // Prepare
    await call('PUT', '/datasets/gone/connector', { source: restSource(), enabled: false });

    // Act
    const deleted = await call('DELETE', '/datasets/gone/connector');
    const after = await call('GET', '/datasets/gone/connector');
    const again = await call('DELETE', '/datasets/gone/connector');

    // Assess
    expect(deleted.status).toBe(200);
    expect(after.status).toBe(404);
    expect(again.status).toBe(404);
  });

  it('pulls a PostgreSQL table incrementally into dataset versions, with the secret from the local env file', async () => {
    // Prepare: a table in a real PostgreSQL; its connection secret where the local cloud reads secrets
    const db = new pg.Client({
      host: postgres.host,
      port: postgres.port,
      user: postgres.user,
      password: postgres.password,
      database: postgres.database,
    });
    await db.connect();
    await db.query('CREATE TABLE readings (id bigint, sensor text, value float8, taken_at timestamptz)');
    const insert = (from: number, to: number) =>
      db.query(
        `INSERT INTO readings SELECT i, 's' || (i % 3), i * 0.5, '2026-01-01'::timestamptz + i * interval '1.000001 second'
         FROM generate_series($1::int, $2::int) AS i`,
        [from, to],
      );
    await insert(1, 500);
    const secretName = `pg-${Date.now()}`;
    appendFileSync(ctx.info.secretsFile, `${secretVariable(secretName)}='${postgres.connectionSecret()}'\n`);
    await call('PUT', '/datasets/readings/connector', {
      source: {
        type: 'database',
        engine: 'postgresql',
        secretName,
        table: 'public.readings',
        incrementalField: 'taken_at',
        batchSize: 1000,
        requiredColumns: ['value'],
      },
      enabled: false,
    });

    // Act
    const first = await waitForRun(
      'readings',
      String((await call('POST', '/datasets/readings/connector/runs')).body?.runId),
    );
    await insert(501, 520);
    const second = await waitForRun(
      'readings',
      String((await call('POST', '/datasets/readings/connector/runs')).body?.runId),
    );
    const third = await waitForRun(
      'readings',
      String((await call('POST', '/datasets/readings/connector/runs')).body?.runId),
    );
    const versions = await waitForVersions('readings', 2);
    await db.end();

    // Assess
    expect(first).toMatchObject({ status: 'SUCCEEDED', sourceType: 'database' });
    expect(first.counts).toMatchObject({ read: 500, written: 500, failed: 0, files: 1 });
    expect(second.counts).toMatchObject({ read: 20, written: 20, files: 1 });
    expect(third.counts).toMatchObject({ read: 0, written: 0, files: 0 });
    expect(JSON.stringify([first, second, third])).not.toContain(postgres.password);
    expect(versions.map((v) => v.status)).toEqual(['READY', 'READY']);
    // Each increment is its own file and version; their numbers follow pipeline completion order.
    expect(versions.map((v) => v.rowCount).sort((a = 0, b = 0) => a - b)).toEqual([20, 500]);
  });
});
