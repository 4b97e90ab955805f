import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { S3TableLogs } from '../../shared/adapters/delta/s3-table-log.js';
import { TableWriters } from '../../shared/adapters/delta/table-writer.js';
import {
  DynamoFeatureRegistry,
  DynamoOnlineFeatureStore,
} from '../../shared/adapters/dynamo/feature-store.js';
import { DynamoVersionStore } from '../../shared/adapters/dynamo/version-store.js';
import { S3ObjectStore } from '../../shared/adapters/s3-object-store.js';
import {
  type FeatureStoreDeps,
  type RegisterFeatureRequest,
  registerFeatureVersion,
} from '../../shared/app/features/registration.js';
import { arrowTableFrom } from '../../shared/client/arrow.js';
import {
  createFeatureStore,
  type FeatureStoreClient,
  isFeatureNotServable,
} from '../../shared/client/feature-store.js';
import { ApiError } from '../../shared/client/http.js';
import { entityKeyOf, type FeatureVersionRecord } from '../../shared/domain/feature-store.js';
import type { CellValue, TableSchema } from '../../shared/domain/table.js';
import { openParquet } from '../../shared/formats/parquet.js';
import {
  featureVersionResponse,
  onlineFeaturesResponse,
  registeredFeatureResponse,
} from '../../shared/http/responses.js';
import { type FeatureRegistry, systemClock } from '../../shared/ports.js';
import { cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';
import { normal } from '../support/random.js';

const ctx = cloudContext();
let tenant: string;
let client: FeatureStoreClient;
const T0 = Date.UTC(2026, 5, 1);
const HOUR = 3_600_000;

beforeAll(async () => {
  const created = await newTenant(ctx, 'features');
  tenant = created.tenant;
  client = createFeatureStore({ apiUrl: ctx.info.apiUrl, apiKey: created.apiKey });
});

/** Hourly readings of three machines over four days (or the hours asked for): id, ts, temp, load. */
function readingsCsv(from = 0, to = 96) {
  const z = normal(5 + from);
  const lines = ['machine,ts,temp,load'];
  for (let h = from; h < to; h++) {
    for (const machine of ['m1', 'm2', 'm3']) {
      const temp = 60 + 10 * Math.sin((2 * Math.PI * h) / 24) + z();
      lines.push(`${machine},${new Date(T0 + h * HOUR).toISOString()},${temp.toFixed(3)},${(h % 7) + 1}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function ingest(dataset: string, body: string, name = 'readings.csv') {
  const key = `fresh/${tenant}/${dataset}/${name}`;
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: body }));
  const execution = await waitForExecution(
    ctx.sfn,
    executionArnFor(ctx.info, { bucket: ctx.info.dataBucket, key, versionId: put.VersionId }),
    90_000,
  );
  expect(execution.status, execution.cause).toBe('SUCCEEDED');
}

describe('the feature store', () => {
  it('registers inline features, serves the latest per entity online, and keeps versions immutable', async () => {
    // Prepare
    const inline = {
      user: ['u1', 'u2', 'u1', 'u2', 'u3'],
      ts: [T0, T0, T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR],
      spend_7d: [10, 5, 12.5, 7, 1],
    };

    // Act
    const first = await client.register('user_spend', {
      source: { inline },
      entity_keys: ['user'],
      timestamp_column: 'ts',
      metadata: { owner: 'growth' },
    });
    const again = await client.register('user_spend', {
      version: '1.0.0',
      source: { inline },
      entity_keys: ['user'],
      timestamp_column: 'ts',
      metadata: { owner: 'growth' },
    });
    const conflict = await client
      .register('user_spend', {
        version: '1.0.0',
        source: { inline: { ...inline, spend_7d: [0, 0, 0, 0, 0] } },
        entity_keys: ['user'],
        timestamp_column: 'ts',
      })
      .catch((error: unknown) => error);
    const online = await client.online(['user_spend'], ['u1', 'u2', 'nobody']);

    // Assess
    expect(first).toMatchObject({ version: '1.0.0', created: true, rowCount: 5, entityCount: 3 });
    expect(first.features).toEqual(['spend_7d']);
    expect(again).toMatchObject({ version: '1.0.0', created: false, contentHash: first.contentHash });
    expect(conflict).toBeInstanceOf(ApiError);
    expect((conflict as ApiError).status).toBe(409);
    expect(online.versions).toEqual({ user_spend: '1.0.0' });
    expect(online.results.map((r) => r.features['user_spend.spend_7d'])).toEqual([12.5, 7, null]);
    expect(online.results[0]?.event_times.user_spend).toBe(new Date(T0 + HOUR).toISOString());
    expect(online.results[2]?.found).toBe(false);

    // Act: a new version; online without a version follows it, with one pins the old one.
    await client.register('user_spend', {
      source: { inline: { ...inline, spend_7d: [1, 2, 3, 4, 5] } },
      entity_keys: ['user'],
      timestamp_column: 'ts',
    });
    const latest = await client.online(['user_spend'], ['u1']);
    const pinned = await client.online(['user_spend@1.0.0'], ['u1']);

    // Assess
    expect(latest.versions.user_spend).toBe('1.1.0');
    expect(latest.results[0]?.features['user_spend.spend_7d']).toBe(3);
    expect(pinned.results[0]?.features['user_spend.spend_7d']).toBe(12.5);
  });

  it('engineers, splits by time and normalizes a dataset version, with params fit on train only', async () => {
    // Prepare
    await ingest('machines', readingsCsv());

    // Act
    const registered = await client.register('machine_health', {
      version: '2.0.0',
      source: { dataset: 'machines' },
      entity_keys: ['machine'],
      timestamp_column: 'ts',
      transform: {
        transforms: [
          { kind: 'rolling', column: 'temp', windows: [3], stats: ['mean'] },
          { kind: 'lag', column: 'temp', lags: [1] },
          { kind: 'time_parts', parts: ['hour'], cyclical: true },
        ],
      },
      split: { train: 0.5, validation: 0.25, test: 0.25 },
      normalization: { method: 'zscore', columns: ['temp', 'load'] },
    });
    const page1 = await client.get('machine_health', { split: 'train', limit: 100 });
    const page2 = await client.get('machine_health', {
      split: 'train',
      limit: 100,
      cursor: page1.nextCursor,
    });
    const files = await client.files('machine_health');

    // Assess: columns, splits in time order, no timestamp in two splits.
    expect(registered.features).toEqual(
      expect.arrayContaining(['temp', 'load', 'temp_rolling_mean_3', 'temp_lag_1', 'ts_hour_sin']),
    );
    expect(registered.files.map((f) => [f.split, f.rows])).toEqual([
      ['train', 144],
      ['validation', 72],
      ['test', 72],
    ]);
    const train = [...page1.features, ...page2.features];
    expect(train).toHaveLength(144);
    expect(page2.nextCursor).toBeUndefined();
    const times = (rows: Array<Record<string, unknown>>) => rows.map((r) => Number(r.ts));
    const testRows = (await client.get('machine_health', { split: 'test', limit: 1000 })).features;
    expect(Math.max(...times(train))).toBeLessThan(Math.min(...times(testRows)));

    // The z-score params come from the training rows alone: train has mean 0, the later splits do not.
    const params = registered.normalization?.columns.temp as {
      method: string;
      mean: number;
      fittedRows: number;
    };
    expect(params).toMatchObject({ method: 'zscore', fittedRows: 144 });
    const trainTemps = train.map((r) => Number(r.temp));
    expect(trainTemps.reduce((s, v) => s + v, 0) / trainTemps.length).toBeCloseTo(0, 9);

    // Each file is downloadable and hashes to its recorded sha256.
    for (const f of files.files) {
      const bytes = new Uint8Array(await (await fetch(f.url)).arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
      const parquet = await openParquet({ size: bytes.length, read: async (s, e) => bytes.slice(s, e) });
      expect(parquet.numRows).toBe(f.rows);
    }
  });

  it("registers from the dataset's table at a version: every data file of it, refused over the row limit", async () => {
    // Prepare: two files, two Delta versions of one table (144 rows each).
    await ingest('fleet', readingsCsv(0, 48), 'first-half.csv');
    await ingest('fleet', readingsCsv(48, 96), 'second-half.csv');

    // Act
    const both = await client.register('fleet_health', {
      version: '2.0.0',
      source: { dataset: 'fleet', version: 2 },
      entity_keys: ['machine'],
      timestamp_column: 'ts',
    });
    const first = await client.register('fleet_health', {
      version: '1.0.0',
      source: { dataset: 'fleet', version: 1 },
      entity_keys: ['machine'],
      timestamp_column: 'ts',
    });
    const doc = DynamoDBDocumentClient.from(ctx.dynamodb, {
      marshallOptions: { removeUndefinedValues: true },
    });
    const lineageTable = ctx.info.outputs.LineageTableName as string;
    const deps: FeatureStoreDeps = {
      registry: new DynamoFeatureRegistry(doc, ctx.info.outputs.FeaturesTableName as string, lineageTable),
      online: new DynamoOnlineFeatureStore(doc, ctx.info.outputs.OnlineFeaturesTableName as string),
      store: new S3ObjectStore(ctx.s3, ctx.info.dataBucket),
      tables: new TableWriters(new S3TableLogs(ctx.s3, ctx.info.dataBucket)),
      clock: systemClock,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      versions: new DynamoVersionStore(doc, {
        metadataTable: ctx.info.metadataTable,
        versionsTable: ctx.info.outputs.VersionsTableName as string,
        lineageTable,
      }),
      datasets: { getDataset: async () => ({ currentVersion: 2 }) },
      maxRegisterRows: 200,
    };
    const refused = await registerFeatureVersion(deps, tenant, 'fleet_small', {
      source: { dataset: 'fleet', version: 2 },
      entityKeys: ['machine'],
      timestampColumn: 'ts',
    }).catch((error: unknown) => error);

    // Assess: version 2 reads both files, version 1 the first alone; over the limit is a typed 422.
    expect(both.rowCount).toBe(288);
    expect(first.rowCount).toBe(144);
    expect(both.files.map((f) => f.rows)).toEqual([288]);
    expect(both.entityCount).toBe(3);
    expect(refused).toMatchObject({ name: 'TableTooLargeError', rows: 288, limit: 200, statusCode: 422 });
  });

  it('joins features point in time, never with a value stamped after the entity row', async () => {
    // Prepare: known hourly values for two accounts.
    await client.register('balance', {
      source: {
        inline: {
          account: ['a', 'a', 'a', 'b'],
          ts: [T0, T0 + 2 * HOUR, T0 + 4 * HOUR, T0 + HOUR],
          balance: [100, 80, 120, 5],
        },
      },
      entity_keys: ['account'],
      timestamp_column: 'ts',
    });
    const asks = [
      { account: 'a', timestamp: new Date(T0 - 1).toISOString() },
      { account: 'a', timestamp: new Date(T0).toISOString() },
      { account: 'a', timestamp: new Date(T0 + 2 * HOUR - 1).toISOString() },
      { account: 'a', timestamp: new Date(T0 + 3 * HOUR).toISOString() },
      { account: 'a', timestamp: new Date(T0 + 9 * HOUR).toISOString() },
      { account: 'b', timestamp: T0 + 30 * 60_000 },
      { account: 'zz', timestamp: T0 + 9 * HOUR },
    ];

    // Act
    const result = await client.historical(['balance'], asks);

    // Assess
    expect(result.rows.map((r) => r['balance.balance'])).toEqual([null, 100, 100, 80, 120, null, null]);
    for (const row of result.rows) {
      const asked = typeof row.timestamp === 'number' ? row.timestamp : Date.parse(String(row.timestamp));
      const eventTime = row['balance.event_time'];
      if (eventTime !== null) expect(Date.parse(String(eventTime))).toBeLessThanOrEqual(asked);
    }
  });

  it('refuses bad requests with typed errors', async () => {
    const fail = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: ApiError) => e.status,
      );
    expect(await fail(client.online(['no_such_feature'], ['x']))).toBe(404);
    expect(
      await fail(
        client.register('Bad Name', {
          source: { inline: { k: [1], ts: [T0] } },
          entity_keys: ['k'],
          timestamp_column: 'ts',
        }),
      ),
    ).toBe(400);
    expect(
      await fail(
        client.register('missing_col', {
          source: { inline: { k: [1], ts: [T0] } },
          entity_keys: ['nope'],
          timestamp_column: 'ts',
        }),
      ),
    ).toBe(400);
    expect(
      await fail(
        client.register('bad_spec', {
          source: { inline: { k: [1], ts: [T0], v: [1] } },
          entity_keys: ['k'],
          timestamp_column: 'ts',
          transform: { transforms: [{ kind: 'rolling', column: 'v', windows: [0], stats: ['mean'] }] },
        }),
      ),
    ).toBe(400);
  });
});

describe('static feature tables and the SDK data shapes', () => {
  /** The ApiError a call failed with (the test fails if it answered). */
  const refusal = (call: Promise<unknown>) =>
    call.then(
      (answer) => {
        throw new Error(`expected a refusal, got ${JSON.stringify(answer).slice(0, 200)}`);
      },
      (error: unknown) => error as ApiError,
    );
  const tickets = {
    ticket_id: [101, 102, 103],
    priority: ['high', 'low', 'medium'],
    category: ['billing', 'bug', 'billing'],
  };

  it('registers a column map without entity or time as a static table, served whole offline only', async () => {
    // Act
    const registered = await client.registerFeature('ticket_features', tickets, '1.0.0');
    const read = await client.getFeature('ticket_features');
    const online = await refusal(client.online(['ticket_features'], [101]));
    const historical = await refusal(
      client.historical(['ticket_features'], [{ ticket_id: 101, timestamp: T0 }]),
    );

    // Assess
    expect(registeredFeatureResponse.parse(registered)).toMatchObject({
      version: '1.0.0',
      created: true,
      entityKeys: [],
      features: ['ticket_id', 'priority', 'category'],
      rowCount: 3,
      entityCount: 0,
      source: { kind: 'inline' },
    });
    expect(registered.timestampColumn).toBeUndefined();
    expect(read.version).toBe('1.0.0');
    expect(read.features).toEqual(tickets);
    expect(featureVersionResponse.parse(read.metadata)).toMatchObject({
      name: 'ticket_features',
      version: '1.0.0',
      entityKeys: [],
      createdAt: registered.createdAt,
      contentHash: registered.contentHash,
    });
    expect(read.metadata.schema.columns.map((c) => [c.name, c.type])).toEqual([
      ['ticket_id', 'int'],
      ['priority', 'string'],
      ['category', 'string'],
    ]);
    expect(online).toMatchObject({ status: 422, errorName: 'FeatureNotServableError' });
    expect(isFeatureNotServable(online)).toBe(true);
    expect(online.message).toMatch(/ticket_features@1.0.0 has no entity key/);
    expect(historical).toMatchObject({ status: 422, errorName: 'FeatureNotServableError' });
    expect(historical.message).toMatch(/static table .*point-in-time join does not apply/);
  });

  it('serves a static table online by the entity key it names, refusing a key on two rows', async () => {
    // Act
    const registered = await client.registerFeature('ticket_lookup', tickets, '1.0.0', {
      entity: 'ticket_id',
      description: 'ticket triage labels',
      metadata: { owner: 'support' },
    });
    const online = await client.online(['ticket_lookup'], [102, 101, 999]);
    const duplicated = await refusal(
      client.registerFeature('ticket_twice', { ticket_id: [1, 1], priority: ['a', 'b'] }, '1.0.0', {
        entity: 'ticket_id',
      }),
    );
    const transformed = await refusal(
      client.registerFeature('ticket_spec', tickets, '1.0.0', {
        entity: 'ticket_id',
        transform: { transforms: [{ kind: 'lag', column: 'priority', lags: [1] }] },
      }),
    );

    // Assess
    expect(registered).toMatchObject({
      entityKeys: ['ticket_id'],
      features: ['priority', 'category'],
      entityCount: 3,
      description: 'ticket triage labels',
      metadata: { owner: 'support' },
    });
    expect(onlineFeaturesResponse.parse(online).results).toEqual([
      {
        entity_key: 102,
        found: true,
        features: { 'ticket_lookup.priority': 'low', 'ticket_lookup.category': 'bug' },
        event_times: { ticket_lookup: null },
      },
      {
        entity_key: 101,
        found: true,
        features: { 'ticket_lookup.priority': 'high', 'ticket_lookup.category': 'billing' },
        event_times: { ticket_lookup: null },
      },
      {
        entity_key: 999,
        found: false,
        features: { 'ticket_lookup.priority': null, 'ticket_lookup.category': null },
        event_times: { ticket_lookup: null },
      },
    ]);
    expect(duplicated).toMatchObject({ status: 400, errorName: 'InvalidInputError' });
    expect(duplicated.message).toMatch(/is on rows 0 and 1/);
    expect(transformed).toMatchObject({ status: 400 });
    expect(transformed.message).toMatch(/transform runs over each entity's rows in time order/);
  });

  it('registers an Arrow table and reads it back as an equal Arrow table, over several pages', async () => {
    // Prepare: more rows than one page of the route, whole numbers in a float column, a timestamp that
    // is not the time column, nulls.
    const rows = 6001;
    const schema: TableSchema = {
      columns: [
        { name: 'user', type: 'string', nullable: false },
        { name: 'ts', type: 'timestamp', nullable: false },
        { name: 'score', type: 'float', nullable: true },
        { name: 'visits', type: 'int', nullable: false },
        { name: 'vip', type: 'bool', nullable: true },
        { name: 'signed_up', type: 'timestamp', nullable: true },
      ],
    };
    const columns: CellValue[][] = [
      Array.from({ length: rows }, (_, i) => `u${i % 50}`),
      Array.from({ length: rows }, (_, i) => T0 + i * 60_000),
      Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? null : i % 11)),
      Array.from({ length: rows }, (_, i) => i),
      Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? null : i % 2 === 0)),
      Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? null : T0 - i * HOUR)),
    ];
    const table = arrowTableFrom(schema, [{ schema, numRows: rows, columns }]);

    // Act
    const registered = await client.registerFeature('user_activity', table, '1.0.0', {
      entity: 'user',
      timestampColumn: 'ts',
    });
    const back = await client.getFeature('user_activity', { as: 'arrow' });
    const asColumns = await client.getFeature('user_activity', { version: '1.0.0' });
    const online = await client.online(['user_activity'], ['u0']);

    // Assess
    expect(registered).toMatchObject({ rowCount: rows, entityCount: 50, timestampColumn: 'ts' });
    expect(back.version).toBe('1.0.0');
    expect(back.features.numRows).toBe(rows);
    expect(back.features.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(
      table.schema.fields.map((f) => `${f.name}:${f.type}`),
    );
    expect(back.features.toArray().map((r) => r.toJSON())).toEqual(table.toArray().map((r) => r.toJSON()));
    expect(Object.values(asColumns.features)).toEqual(columns);
    // u0's latest row is the last one of its 1-in-50 rows: row 6000.
    expect(online.results[0]?.features['user_activity.visits']).toBe(6000);
    expect(online.results[0]?.event_times.user_activity).toBe(new Date(T0 + 6000 * 60_000).toISOString());
  });

  it("refuses another tenant's key on every read of a feature (404)", async () => {
    // Prepare
    const registered = await client.registerFeature('ticket_private', tickets, { entity: 'ticket_id' });
    const stranger = createFeatureStore({
      apiUrl: ctx.info.apiUrl,
      apiKey: (await newTenant(ctx, 'stranger')).apiKey,
    });

    // Act
    const read = await refusal(stranger.getFeature('ticket_private'));
    const files = await refusal(stranger.files('ticket_private', { version: '1.0.0' }));
    const online = await refusal(stranger.online(['ticket_private'], [101]));

    // Assess: the owner's registration (options third, no version: the first is 1.0.0) is there.
    expect(registered).toMatchObject({ version: '1.0.0', entityKeys: ['ticket_id'] });
    expect((await client.online(['ticket_private'], [103])).results[0]?.found).toBe(true);
    expect(read).toMatchObject({ status: 404, errorName: 'NotFoundError' });
    expect(files).toMatchObject({ status: 404 });
    expect(online).toMatchObject({ status: 404 });
  });
});

describe('registrations of one feature version with different content', () => {
  const doc = DynamoDBDocumentClient.from(ctx.dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const registry = new DynamoFeatureRegistry(
    doc,
    ctx.info.outputs.FeaturesTableName as string,
    ctx.info.outputs.LineageTableName,
  );
  const onlineTable = ctx.info.outputs.OnlineFeaturesTableName as string;
  const online = new DynamoOnlineFeatureStore(doc, onlineTable);
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const depsWith = (featureRegistry: FeatureRegistry): FeatureStoreDeps => ({
    registry: featureRegistry,
    online,
    versions: { getVersion: async () => undefined },
    datasets: { getDataset: async () => undefined },
    store: new S3ObjectStore(ctx.s3, ctx.info.dataBucket),
    tables: new TableWriters(new S3TableLogs(ctx.s3, ctx.info.dataBucket)),
    clock: systemClock,
    logger: quiet,
  });
  const spending = (spend: number[]): RegisterFeatureRequest => ({
    version: '1.0.0',
    source: { inline: { user: ['u1', 'u2'], ts: [T0, T0], spend } },
    entityKeys: ['user'],
    timestampColumn: 'ts',
  });

  /** A promise and the function that resolves it. */
  function signal() {
    let resolve: () => void = () => undefined;
    const fired = new Promise<void>((r) => {
      resolve = r;
    });
    return { fired, fire: () => resolve() };
  }

  /** The registry with `putFeatureVersion` held until `before` resolves; `after` runs once it returned. */
  function gated(before: () => Promise<void>, after: () => void = () => undefined): FeatureRegistry {
    const wrapped = Object.create(registry) as FeatureRegistry;
    wrapped.putFeatureVersion = async (record, edges) => {
      await before();
      try {
        return await registry.putFeatureVersion(record, edges);
      } finally {
        after();
      }
    };
    return wrapped;
  }

  /** Every online item of the feature, whatever version or content it was written for. */
  async function onlineItems(name: string) {
    const page = await doc.send(
      new ScanCommand({
        TableName: onlineTable,
        FilterExpression: 'begins_with(pk, :prefix)',
        ExpressionAttributeValues: { ':prefix': `T#${tenant}#FS#${name}#` },
      }),
    );
    return page.Items ?? [];
  }

  it('serves the winner’s online values when the loser wrote its own after the winner’s', async () => {
    // Prepare: the winner writes its online values and waits at the registry; the loser then passes the
    // existence check and writes its own; the winner's record is created before the loser's attempt.
    const winnerArrived = signal();
    const loserArrived = signal();
    const winnerRecorded = signal();
    const winnerRegistry = gated(async () => {
      winnerArrived.fire();
      await loserArrived.fired;
    }, winnerRecorded.fire);
    const loserRegistry = gated(async () => {
      loserArrived.fire();
      await winnerRecorded.fired;
    });

    // Act
    const winning = registerFeatureVersion(depsWith(winnerRegistry), tenant, 'raced', spending([1, 2]));
    await Promise.race([winnerArrived.fired, winning.catch(() => undefined)]);
    const losing = registerFeatureVersion(depsWith(loserRegistry), tenant, 'raced', spending([100, 200]));
    const [winner, loser] = await Promise.allSettled([winning, losing]);
    const served = await client.online(['raced@1.0.0'], ['u1', 'u2']);

    // Assess
    expect(winner).toMatchObject({ status: 'fulfilled', value: { created: true, version: '1.0.0' } });
    expect(loser).toMatchObject({ status: 'rejected', reason: { name: 'ConflictError' } });
    expect(served.results.map((r) => r.features['raced.spend'])).toEqual([1, 2]);
    // The loser's values are gone, not merely unread.
    const stored = await onlineItems('raced');
    expect(stored.map((item) => (item.values as { spend: number }).spend).sort()).toEqual([1, 2]);
  });

  it('leaves one content’s values online when several race through the API', async () => {
    // Prepare
    const contents = [1, 2, 3, 4].map((k) => [k, 10 * k]);

    // Act
    const outcomes = await Promise.allSettled(
      contents.map((spend) =>
        client.register('raced_api', {
          version: '1.0.0',
          source: { inline: { user: ['u1', 'u2'], ts: [T0, T0], spend } },
          entity_keys: ['user'],
          timestamp_column: 'ts',
        }),
      ),
    );
    const served = await client.online(['raced_api'], ['u1', 'u2']);

    // Assess
    const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'rejected') expect((o.reason as ApiError).status).toBe(409);
    }
    expect(served.results.map((r) => r.features['raced_api.spend'])).toEqual(contents[won[0] ?? -1]);
  });

  it('still serves a version whose online values were written under the version alone', async () => {
    // Prepare: a record and online items as registrations wrote them before values were keyed by content
    const record: FeatureVersionRecord = {
      tenant,
      name: 'legacy_spend',
      version: '1.0.0',
      metadata: {},
      tags: [],
      entityKeys: ['user'],
      timestampColumn: 'ts',
      features: ['spend'],
      schema: {
        columns: [
          { name: 'user', type: 'string', nullable: false },
          { name: 'ts', type: 'timestamp', nullable: false },
          { name: 'spend', type: 'float', nullable: true },
        ],
      },
      rowCount: 1,
      entityCount: 1,
      files: [],
      source: { kind: 'inline', sha256: 'legacy' },
      contentHash: 'legacy-content',
      createdAt: new Date().toISOString(),
    };
    await registry.putFeatureVersion(record);
    await online.materialize({ tenant, name: 'legacy_spend', version: '1.0.0', contentHash: undefined }, [
      { entityKey: entityKeyOf(['u1']), eventTime: T0, values: { spend: 42 } },
    ]);

    // Act
    const served = await client.online(['legacy_spend'], ['u1']);

    // Assess
    expect(served.results[0]?.features['legacy_spend.spend']).toBe(42);
  });
});
