/**
 * The PostgreSQL pull connector against a real PostgreSQL 15 (Debian's, started per file on a free
 * loopback port): cursors, snapshots, SQLSTATEs and password auth are the server's behaviour, which a fake
 * would only restate. Each test owns its tables, so the order of tests does not matter.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../infra/local/servers/postgres.js';
import { freePort } from '../../infra/local/servers/process.js';
import { PostgresSource } from '../../shared/adapters/postgres-source.js';
import {
  type DatabaseConnectorConfig,
  databaseConnectorSchema,
  type Watermark,
} from '../../shared/domain/connectors.js';
import { parseDatabaseSecret } from '../../shared/domain/database-secret.js';
import { shapeRecords } from '../../shared/domain/source-records.js';
import { SourceError, TransientError } from '../../shared/errors.js';
import type { SourceRecordBatch } from '../../shared/ports.js';

let server: PostgresServer;
let admin: pg.Client;

beforeAll(async () => {
  server = await startPostgres();
  process.stdout.write(`[postgres-source] PostgreSQL started in ${server.startMs} ms\n`);
  admin = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: server.database,
  });
  await admin.connect();
}, 120_000);

afterAll(async () => {
  await admin?.end().catch(() => {});
  await server?.stop();
});

interface SourceOptions {
  secret?: string;
  applicationName?: string;
}

/** Builds the source as the wiring does: the secret parsed, a pg.Client from it, unconnected. */
function postgresSource(source: Record<string, unknown>, options: SourceOptions = {}): PostgresSource {
  const config: DatabaseConnectorConfig = databaseConnectorSchema.parse({
    type: 'database',
    engine: 'postgresql',
    secretName: 'strata/test/postgres',
    ...source,
  });
  const c = parseDatabaseSecret(options.secret ?? server.connectionSecret(), 'postgresql');
  const client = new pg.Client({
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database: c.database,
    ssl: c.ssl === true,
    connectionTimeoutMillis: 10_000,
    application_name: options.applicationName ?? 'strata-connector',
  });
  return new PostgresSource(client, config);
}

async function collect(source: PostgresSource, from?: Watermark): Promise<SourceRecordBatch[]> {
  const batches: SourceRecordBatch[] = [];
  for await (const batch of source.pull(from)) batches.push(batch);
  return batches;
}

const ids = (batches: SourceRecordBatch[]) => batches.flatMap((b) => b.records.map((r) => r.id));

async function sessions(applicationName: string): Promise<number> {
  const result = await admin.query(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  );
  return (result.rows[0] as { n: number }).n;
}

async function waitForSessions(applicationName: string, expected: number): Promise<number> {
  const deadline = Date.now() + 5_000;
  let n = await sessions(applicationName);
  while (n !== expected && Date.now() < deadline) {
    await sleep(50);
    n = await sessions(applicationName);
  }
  return n;
}

describe('PostgresSource', () => {
  it('returns only rows after the watermark: a second pull returns exactly the rows inserted since', async () => {
    // Prepare
    await admin.query('CREATE TABLE orders (id int PRIMARY KEY, name text, updated_at timestamptz)');
    await admin.query(
      `INSERT INTO orders SELECT i, 'order-' || i, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute'
       FROM generate_series(1, 7) AS i`,
    );
    const config = { table: 'orders', incrementalField: 'updated_at', batchSize: 3 };
    const first = await collect(postgresSource(config));
    await admin.query(
      `INSERT INTO orders VALUES (8, 'order-8', '2024-01-01 00:08:00+00'), (9, 'order-9', '2024-01-01 00:09:00+00')`,
    );

    // Act
    const second = await collect(postgresSource(config), first.at(-1)?.watermark);
    const third = await collect(postgresSource(config), second.at(-1)?.watermark);

    // Assess
    expect(first.map((b) => b.records.length)).toEqual([3, 3, 1]);
    expect(ids(first)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(first.map((b) => b.watermark)).toEqual([
      '2024-01-01 00:03:00+00',
      '2024-01-01 00:06:00+00',
      '2024-01-01 00:07:00+00',
    ]);
    expect(first.map((b) => [b.read, b.skipped])).toEqual([
      [3, 0],
      [3, 0],
      [1, 0],
    ]);
    expect(ids(second)).toEqual([8, 9]);
    expect(second.at(-1)?.watermark).toBe('2024-01-01 00:09:00+00');
    expect(third).toEqual([]);
  });

  it('keeps rows that share an incremental value in one batch when a batch fills up inside the tie', async () => {
    // Prepare: batchSize 3 ends inside the five rows at 10:01
    await admin.query('CREATE TABLE ticks (id int, at timestamptz)');
    await admin.query(`INSERT INTO ticks VALUES
      (1, '2024-02-01 10:00:00+00'), (2, '2024-02-01 10:00:00+00'),
      (3, '2024-02-01 10:01:00+00'), (4, '2024-02-01 10:01:00+00'), (5, '2024-02-01 10:01:00+00'),
      (6, '2024-02-01 10:01:00+00'), (7, '2024-02-01 10:01:00+00'),
      (8, '2024-02-01 10:02:00+00'), (9, '2024-02-01 10:02:00+00')`);

    // Act
    const batches = await collect(postgresSource({ table: 'ticks', incrementalField: 'at', batchSize: 3 }));

    // Assess: the tie travels whole, so the watermark after batch 1 skips none of it
    expect(batches.map((b) => b.records.length)).toEqual([7, 2]);
    expect(batches[0]?.watermark).toBe('2024-02-01 10:01:00+00');
    expect(ids(batches).sort((a, b) => Number(a) - Number(b))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('round-trips a microsecond timestamptz watermark: the last row is not pulled again', async () => {
    // Prepare: two rows 1 µs apart (a JS Date would see the same millisecond)
    await admin.query('CREATE TABLE readings (id int, taken_at timestamptz)');
    await admin.query(`INSERT INTO readings VALUES
      (1, '2024-05-01 10:00:00.123456+00'), (2, '2024-05-01 10:00:00.123457+00')`);
    const config = { table: 'readings', incrementalField: 'taken_at' };
    const all = await collect(postgresSource(config));

    // Act
    const again = await collect(postgresSource(config), all.at(-1)?.watermark);
    const afterFirst = await collect(postgresSource(config), '2024-05-01 10:00:00.123456+00');

    // Assess
    expect(all.at(-1)?.watermark).toBe('2024-05-01 10:00:00.123457+00');
    expect(again).toEqual([]);
    expect(ids(afterFirst)).toEqual([2]);
  });

  it('compares an int8 watermark beyond 2^53 exactly and returns int4 watermarks as numbers', async () => {
    // Prepare
    await admin.query('CREATE TABLE big_ids (id int8, small int4)');
    await admin.query(
      'INSERT INTO big_ids VALUES (9007199254740993, 1), (9007199254740994, 2), (9007199254740995, 3)',
    );

    // Act
    const afterBig = await collect(
      postgresSource({ table: 'big_ids', incrementalField: 'id' }),
      '9007199254740993',
    );
    const bySmall = await collect(postgresSource({ table: 'big_ids', incrementalField: 'small' }), 1);

    // Assess
    expect(ids(afterBig)).toEqual(['9007199254740994', '9007199254740995']);
    expect(afterBig.at(-1)?.watermark).toBe('9007199254740995');
    expect(bySmall.at(-1)?.watermark).toBe(3);
    expect(bySmall.flatMap((b) => b.records.map((r) => r.small))).toEqual([2, 3]);
  });

  it('pulls a query result after the watermark (query mode, trailing comment and semicolon allowed)', async () => {
    // Prepare
    await admin.query('CREATE TABLE people (id int, name text, team text, changed_at timestamptz)');
    await admin.query(`INSERT INTO people VALUES
      (1, 'ada', 'red', '2024-03-01 00:00:00+00'), (2, 'bob', 'blue', '2024-03-02 00:00:00+00'),
      (3, 'cy', 'red', '2024-03-03 00:00:00+00'), (4, 'di', 'red', '2024-03-04 00:00:00+00')`);
    const query = `SELECT id, upper(name) AS name, changed_at FROM people WHERE team = 'red' -- only red;\n;`;

    // Act
    const batches = await collect(
      postgresSource({ query, incrementalField: 'changed_at' }),
      '2024-03-01 00:00:00+00',
    );

    // Assess
    expect(batches.flatMap((b) => b.records)).toEqual([
      { id: 3, name: 'CY', changed_at: new Date('2024-03-03T00:00:00Z') },
      { id: 4, name: 'DI', changed_at: new Date('2024-03-04T00:00:00Z') },
    ]);
    expect(batches[0]?.columns?.map((c) => c.name)).toEqual(['id', 'name', 'changed_at']);
  });

  it('pulls the whole result every run in batches of batchSize when there is no incremental field', async () => {
    // Prepare
    await admin.query('CREATE TABLE colors (id int, name text)');
    await admin.query(`INSERT INTO colors SELECT i, 'c' || i FROM generate_series(1, 5) AS i`);
    const config = { table: 'colors', batchSize: 2 };

    // Act
    const first = await collect(postgresSource(config));
    const second = await collect(postgresSource(config), 'ignored-without-incremental-field');

    // Assess
    for (const run of [first, second]) {
      expect(run.map((b) => b.records.length)).toEqual([2, 2, 1]);
      expect(run.every((b) => b.watermark === undefined)).toBe(true);
      expect(ids(run).sort()).toEqual([1, 2, 3, 4, 5]);
    }
  });

  it('declares column types and yields driver values, an int8 beyond 2^53 as exact text', async () => {
    // Prepare
    await admin.query(`CREATE TABLE kinds (
      id int4, big int8, safe_big int8, price numeric(20, 6), ratio float8, flag bool, doc jsonb, raw bytea,
      day date, local_ts timestamp, at timestamptz, label varchar(20), tags text[], took interval, uid uuid)`);
    await admin.query(`INSERT INTO kinds VALUES (
      1, 9007199254740993, 42, 12.3456, 0.25, true, '{"a": [1, 2]}', '\\x010203', '2024-03-01',
      '2024-03-01 12:34:56.789', '2024-03-01 12:34:56.789+02', 'hi', '{x,y}', '1 day 2 hours',
      '00000000-0000-0000-0000-000000000001')`);

    // Act
    const [batch] = await collect(postgresSource({ table: 'kinds' }));

    // Assess
    expect(batch?.columns).toEqual([
      { name: 'id', type: 'int' },
      { name: 'big' },
      { name: 'safe_big' },
      { name: 'price', type: 'float' },
      { name: 'ratio', type: 'float' },
      { name: 'flag', type: 'bool' },
      { name: 'doc', type: 'string' },
      { name: 'raw', type: 'string' },
      { name: 'day', type: 'timestamp' },
      { name: 'local_ts', type: 'timestamp' },
      { name: 'at', type: 'timestamp' },
      { name: 'label', type: 'string' },
      { name: 'tags', type: 'string' },
      { name: 'took', type: 'string' },
      { name: 'uid', type: 'string' },
    ]);
    const row = batch?.records[0] ?? {};
    expect(row.big).toBe('9007199254740993');
    expect(row.safe_big).toBe(42);
    expect(row.price).toBe('12.345600');
    expect(row.ratio).toBe(0.25);
    expect(row.flag).toBe(true);
    expect(row.doc).toEqual({ a: [1, 2] });
    expect(row.raw).toEqual(Buffer.from([1, 2, 3]));
    expect(row.day).toEqual(new Date('2024-03-01T00:00:00.000Z'));
    expect(row.local_ts).toEqual(new Date('2024-03-01T12:34:56.789Z'));
    expect(row.at).toEqual(new Date('2024-03-01T10:34:56.789Z'));
    expect(row.tags).toEqual(['x', 'y']);
    expect(row.took).toBe('1 day 02:00:00');
    // int8 is left to inference: beyond 2^53 the column is exact text, as the pipeline treats large
    // integer literals; no row is dropped and nothing is rounded.
    const shaped = shapeRecords([row], { requiredColumns: [], criticalColumns: [] }, batch?.columns);
    expect(shaped.failed).toBe(0);
    const col = (name: string) => shaped.batch.schema.columns.findIndex((c) => c.name === name);
    expect(shaped.batch.schema.columns[col('big')]?.type).toBe('string');
    expect(shaped.batch.columns[col('big')]).toEqual(['9007199254740993']);
    expect(shaped.batch.schema.columns[col('safe_big')]?.type).toBe('int');
  });

  it('excludes rows whose incremental value is NULL', async () => {
    // Prepare
    await admin.query('CREATE TABLE partial (id int, seen_at timestamptz)');
    await admin.query(
      `INSERT INTO partial VALUES (1, '2024-01-01 00:00:00+00'), (2, NULL), (3, '2024-01-02 00:00:00+00')`,
    );

    // Act
    const batches = await collect(postgresSource({ table: 'partial', incrementalField: 'seen_at' }));

    // Assess
    expect(ids(batches)).toEqual([1, 3]);
  });

  it('quotes schema, table and column names exactly as the catalog spells them', async () => {
    // Prepare
    await admin.query('CREATE SCHEMA "Sales"');
    await admin.query('CREATE TABLE "Sales"."Odd ""Name""" (id int, "Changed At" int)');
    await admin.query('INSERT INTO "Sales"."Odd ""Name""" VALUES (1, 10), (2, 20)');

    // Act
    const batches = await collect(
      postgresSource({ table: 'Sales."Odd ""Name"""', incrementalField: 'Changed At' }),
      10,
    );

    // Assess
    expect(ids(batches)).toEqual([2]);
    expect(batches.at(-1)?.watermark).toBe(20);
  });

  it('ends the connection when the consumer abandons the iteration after the first batch', async () => {
    // Prepare
    await admin.query('CREATE TABLE stream_rows (id int, n int)');
    await admin.query('INSERT INTO stream_rows SELECT i, i FROM generate_series(1, 1000) AS i');
    const applicationName = 'strata-abandon-test';
    const source = postgresSource(
      { table: 'stream_rows', incrementalField: 'n', batchSize: 10 },
      { applicationName },
    );
    let during = -1;
    let seen = 0;

    // Act
    for await (const batch of source.pull(undefined)) {
      seen += batch.records.length;
      during = await sessions(applicationName);
      break;
    }

    // Assess
    expect(seen).toBe(10);
    expect(during).toBe(1);
    expect(await waitForSessions(applicationName, 0)).toBe(0);
  });

  it('throws TransientError after the first batch when the backend is terminated mid-pull', async () => {
    // Prepare
    await admin.query('CREATE TABLE long_rows (id int, n int)');
    await admin.query('INSERT INTO long_rows SELECT i, i FROM generate_series(1, 1000) AS i');
    const applicationName = 'strata-terminate-test';
    const source = postgresSource(
      { table: 'long_rows', incrementalField: 'n', batchSize: 100 },
      { applicationName },
    );
    const seen: SourceRecordBatch[] = [];

    // Act
    const run = async () => {
      for await (const batch of source.pull(undefined)) {
        seen.push(batch);
        if (seen.length === 1) {
          await admin.query(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
            [applicationName],
          );
        }
      }
    };

    // Assess
    await expect(run()).rejects.toBeInstanceOf(TransientError);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.watermark).toBe(100);
    expect(seen[0]?.records.at(-1)).toEqual({ id: 100, n: 100 });
    expect(await waitForSessions(applicationName, 0)).toBe(0);
  });

  it('throws SourceError without the password when the password is wrong', async () => {
    // Prepare
    const wrong = 'Wr0ng-Passw0rd-Never-Shown';
    const secret = JSON.stringify({ ...JSON.parse(server.connectionSecret()), password: wrong });

    // Act
    const error = await collect(postgresSource({ table: 'orders' }, { secret })).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(/password authentication failed/);
    expect((error as Error).message).not.toContain(wrong);
    expect((error as Error).message).not.toContain(server.password);
    expect((error as Error).cause).toBeUndefined();
  });

  it('throws SourceError naming the table when it does not exist', async () => {
    // Act
    const error = await collect(postgresSource({ table: 'no_such_table', incrementalField: 'id' })).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(/relation "no_such_table" does not exist.*42P01/);
  });

  it('throws TransientError when nothing listens on the port', async () => {
    // Prepare
    const port = await freePort();
    const secret = JSON.stringify({ ...JSON.parse(server.connectionSecret()), port });

    // Act
    const error = await collect(postgresSource({ table: 'orders' }, { secret })).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('rejects a malformed secret and an unsafe table name with SourceError before connecting', () => {
    // Prepare
    const password = 'Secret-Value-Not-Echoed';
    const bad = JSON.stringify({ host: '127.0.0.1', port: 'not-a-port', username: 'u', password });

    // Act
    const secretError = (() => {
      try {
        return parseDatabaseSecret(bad, 'postgresql');
      } catch (e) {
        return e;
      }
    })();
    const tableError = (() => {
      try {
        return postgresSource({ table: 'orders"; DROP TABLE orders; --' }).pull(undefined);
      } catch (e) {
        return e;
      }
    })();

    // Assess
    expect(secretError).toBeInstanceOf(SourceError);
    expect((secretError as Error).message).toContain('port');
    expect((secretError as Error).message).not.toContain(password);
    expect(() => parseDatabaseSecret('{not json', 'postgresql')).toThrow(SourceError);
    expect(parseDatabaseSecret(JSON.stringify({ host: 'h', user: 'u', password: '' }), 'postgresql')).toEqual(
      {
        host: 'h',
        port: 5432,
        user: 'u',
        password: '',
        database: undefined,
        ssl: undefined,
      },
    );
    expect(tableError).toBeInstanceOf(SourceError);
  });
});
