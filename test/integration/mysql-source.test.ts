/**
 * The MySQL pull connector against a real MariaDB 10.11 (Debian's, started per file on a free loopback
 * port): streaming with backpressure, consistent snapshots, type metadata, error codes and password auth
 * are the server's and the driver's behaviour, which a fake would only restate. Each test owns its
 * tables, so the order of tests does not matter.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import mysql, { type Connection } from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MariadbServer, startMariadb } from '../../infra/local/servers/mariadb.js';
import { freePort } from '../../infra/local/servers/process.js';
import { MysqlSource } from '../../shared/adapters/mysql-source.js';
import {
  type DatabaseConnectorConfig,
  databaseConnectorSchema,
  type Watermark,
} from '../../shared/domain/connectors.js';
import { parseDatabaseSecret } from '../../shared/domain/database-secret.js';
import { shapeRecords, toJsonCell } from '../../shared/domain/source-records.js';
import { SourceError, TransientError } from '../../shared/errors.js';
import type { SourceRecordBatch } from '../../shared/ports.js';
import { sourceFactory } from '../../shared/wiring.js';

let server: MariadbServer;
let admin: mysqlPromise.Connection;

beforeAll(async () => {
  server = await startMariadb();
  process.stdout.write(`[mysql-source] MariaDB started in ${server.startMs} ms\n`);
  admin = await mysqlPromise.createConnection({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: server.database,
    timezone: 'Z',
  });
  await admin.query(`SET time_zone = '+00:00'`);
}, 120_000);

afterAll(async () => {
  await admin?.end().catch(() => {});
  await server?.stop();
});

interface Built {
  source: MysqlSource;
  /** Connections the source opened, newest last (to find its server thread). */
  opened: Connection[];
}

/** Builds the source as the wiring does: the secret parsed, a connection factory from it. */
function mysqlSource(source: Record<string, unknown>, secret = server.connectionSecret()): Built {
  const config: DatabaseConnectorConfig = databaseConnectorSchema.parse({
    type: 'database',
    engine: 'mysql',
    secretName: 'strata/test/mysql',
    ...source,
  });
  const c = parseDatabaseSecret(secret, 'mysql');
  const opened: Connection[] = [];
  const open = () => {
    const connection = mysql.createConnection({
      host: c.host,
      port: c.port,
      user: c.user,
      password: c.password,
      ...(c.database !== undefined && { database: c.database }),
      ...(c.ssl && { ssl: { rejectUnauthorized: true } }),
      charset: 'utf8mb4',
      timezone: 'Z',
      supportBigNumbers: true,
      connectTimeout: 10_000,
    });
    opened.push(connection);
    return connection;
  };
  return { source: new MysqlSource(open, config), opened };
}

async function collect({ source }: Built, from?: Watermark): Promise<SourceRecordBatch[]> {
  const batches: SourceRecordBatch[] = [];
  for await (const batch of source.pull(from)) batches.push(batch);
  return batches;
}

const ids = (batches: SourceRecordBatch[]) => batches.flatMap((b) => b.records.map((r) => r.id));

async function threadAlive(threadId: number | null | undefined): Promise<boolean> {
  const [rows] = await admin.query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?', [
    threadId ?? -1,
  ]);
  return Number((rows as { n: number }[])[0]?.n) > 0;
}

async function waitForThreadGone(threadId: number | null | undefined): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (!(await threadAlive(threadId))) return true;
    await sleep(50);
  }
  return false;
}

describe('MysqlSource', () => {
  it('pulls through the wiring, its socket opened to the address the guard pinned', async () => {
    // Prepare: the secret names the server as "localhost"; the local policy lets the guard pin 127.0.0.1
    await admin.query('CREATE TABLE pinned (id INT PRIMARY KEY, v VARCHAR(10))');
    await admin.query(`INSERT INTO pinned VALUES (1, 'a'), (2, 'b')`);
    const secret = JSON.stringify({ ...JSON.parse(server.connectionSecret()), host: 'localhost' });
    const sources = sourceFactory({
      AWS_REGION: 'us-east-1',
      CONNECTOR_NETWORK_POLICY: 'public',
      STRATA_CONNECTOR_NETWORK: 'any',
    });
    const config = databaseConnectorSchema.parse({
      type: 'database',
      engine: 'mysql',
      secretName: 's',
      table: 'pinned',
    });

    // Act
    const batches: SourceRecordBatch[] = [];
    for await (const batch of sources.records(config, secret).pull(undefined)) batches.push(batch);

    // Assess
    expect(ids(batches)).toEqual([1, 2]);
  });

  it('returns only rows after the watermark: a second pull returns exactly the rows inserted since', async () => {
    // Prepare
    await admin.query('CREATE TABLE orders (id INT PRIMARY KEY, name VARCHAR(50), updated_at DATETIME(6))');
    await admin.query(`INSERT INTO orders VALUES
      (1, 'o1', '2024-01-01 00:01:00'), (2, 'o2', '2024-01-01 00:02:00'), (3, 'o3', '2024-01-01 00:03:00'),
      (4, 'o4', '2024-01-01 00:04:00'), (5, 'o5', '2024-01-01 00:05:00'), (6, 'o6', '2024-01-01 00:06:00'),
      (7, 'o7', '2024-01-01 00:07:00')`);
    const config = { table: 'orders', incrementalField: 'updated_at', batchSize: 3 };
    const first = await collect(mysqlSource(config));
    await admin.query(
      `INSERT INTO orders VALUES (8, 'o8', '2024-01-01 00:08:00'), (9, 'o9', '2024-01-01 00:09:00')`,
    );

    // Act
    const second = await collect(mysqlSource(config), first.at(-1)?.watermark);
    const third = await collect(mysqlSource(config), second.at(-1)?.watermark);

    // Assess
    expect(first.map((b) => b.records.length)).toEqual([3, 3, 1]);
    expect(ids(first)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(first.map((b) => b.watermark)).toEqual([
      '2024-01-01 00:03:00.000000',
      '2024-01-01 00:06:00.000000',
      '2024-01-01 00:07:00.000000',
    ]);
    expect(first.map((b) => [b.read, b.skipped])).toEqual([
      [3, 0],
      [3, 0],
      [1, 0],
    ]);
    expect(ids(second)).toEqual([8, 9]);
    expect(third).toEqual([]);
  });

  it('keeps rows that share an incremental value in one batch when a batch fills up inside the tie', async () => {
    // Prepare: batchSize 3 ends inside the five rows at 10:01
    await admin.query('CREATE TABLE ticks (id INT, at TIMESTAMP(6) NULL)');
    await admin.query(`INSERT INTO ticks VALUES
      (1, '2024-02-01 10:00:00'), (2, '2024-02-01 10:00:00'),
      (3, '2024-02-01 10:01:00'), (4, '2024-02-01 10:01:00'), (5, '2024-02-01 10:01:00'),
      (6, '2024-02-01 10:01:00'), (7, '2024-02-01 10:01:00'),
      (8, '2024-02-01 10:02:00'), (9, '2024-02-01 10:02:00')`);

    // Act
    const batches = await collect(mysqlSource({ table: 'ticks', incrementalField: 'at', batchSize: 3 }));

    // Assess: the tie travels whole, so the watermark after batch 1 skips none of it
    expect(batches.map((b) => b.records.length)).toEqual([7, 2]);
    expect(batches[0]?.watermark).toBe('2024-02-01 10:01:00.000000');
    expect(ids(batches).sort((a, b) => Number(a) - Number(b))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('round-trips a microsecond DATETIME(6) watermark: the last row is not pulled again', async () => {
    // Prepare: two rows 1 µs apart (a JS Date would see the same millisecond)
    await admin.query('CREATE TABLE readings (id INT, taken_at DATETIME(6))');
    await admin.query(`INSERT INTO readings VALUES
      (1, '2024-05-01 10:00:00.123456'), (2, '2024-05-01 10:00:00.123457')`);
    const config = { table: 'readings', incrementalField: 'taken_at' };
    const all = await collect(mysqlSource(config));

    // Act
    const again = await collect(mysqlSource(config), all.at(-1)?.watermark);
    const afterFirst = await collect(mysqlSource(config), '2024-05-01 10:00:00.123456');

    // Assess
    expect(all.at(-1)?.watermark).toBe('2024-05-01 10:00:00.123457');
    expect(again).toEqual([]);
    expect(ids(afterFirst)).toEqual([2]);
  });

  it('compares BIGINT and DECIMAL watermarks exactly where a double comparison would not', async () => {
    // Prepare: neighbours that are equal as doubles
    await admin.query('CREATE TABLE big_ids (id BIGINT, amount DECIMAL(30, 10))');
    await admin.query(`INSERT INTO big_ids VALUES
      (9007199254740993, 12345678901234567.0000000001), (9007199254740994, 12345678901234567.0000000002),
      (9007199254740995, 12345678901234567.0000000003)`);

    // Act
    const afterBig = await collect(
      mysqlSource({ table: 'big_ids', incrementalField: 'id' }),
      '9007199254740993',
    );
    const afterAmount = await collect(
      mysqlSource({ table: 'big_ids', incrementalField: 'amount' }),
      '12345678901234567.0000000001',
    );

    // Assess
    expect(ids(afterBig)).toEqual(['9007199254740994', '9007199254740995']);
    expect(afterBig.at(-1)?.watermark).toBe('9007199254740995');
    expect(ids(afterAmount)).toEqual(['9007199254740994', '9007199254740995']);
    expect(afterAmount.at(-1)?.watermark).toBe('12345678901234567.0000000003');
  });

  it('pulls a query result after the watermark (query mode, trailing comment and semicolon allowed)', async () => {
    // Prepare
    await admin.query(
      'CREATE TABLE people (id INT, name VARCHAR(20), team VARCHAR(20), changed_at DATETIME)',
    );
    await admin.query(`INSERT INTO people VALUES
      (1, 'ada', 'red', '2024-03-01 00:00:00'), (2, 'bob', 'blue', '2024-03-02 00:00:00'),
      (3, 'cy', 'red', '2024-03-03 00:00:00'), (4, 'di', 'red', '2024-03-04 00:00:00')`);
    const query = `SELECT id, UPPER(name) AS name, changed_at FROM people WHERE team = 'red' -- only red;\n;`;

    // Act
    const batches = await collect(
      mysqlSource({ query, incrementalField: 'changed_at' }),
      '2024-03-01 00:00:00',
    );

    // Assess
    expect(batches.flatMap((b) => b.records)).toEqual([
      { id: 3, name: 'CY', changed_at: new Date('2024-03-03T00:00:00Z') },
      { id: 4, name: 'DI', changed_at: new Date('2024-03-04T00:00:00Z') },
    ]);
    expect(batches.at(-1)?.watermark).toBe('2024-03-04 00:00:00');
  });

  it('pulls the whole result every run in batches of batchSize when there is no incremental field', async () => {
    // Prepare
    await admin.query('CREATE TABLE colors (id INT, name VARCHAR(10))');
    await admin.query(`INSERT INTO colors VALUES (1, 'c1'), (2, 'c2'), (3, 'c3'), (4, 'c4'), (5, 'c5')`);
    const config = { table: 'colors', batchSize: 2 };

    // Act
    const first = await collect(mysqlSource(config));
    const second = await collect(mysqlSource(config), 'ignored-without-incremental-field');

    // Assess
    for (const run of [first, second]) {
      expect(run.map((b) => b.records.length)).toEqual([2, 2, 1]);
      expect(run.every((b) => b.watermark === undefined)).toBe(true);
      expect(ids(run).sort()).toEqual([1, 2, 3, 4, 5]);
    }
  });

  it('declares column types and yields driver values, big integers as exact text and times in UTC', async () => {
    // Prepare
    await admin.query(`CREATE TABLE kinds (
      id INT, big BIGINT, ubig BIGINT UNSIGNED, price DECIMAL(20, 6), ratio DOUBLE, flag BOOLEAN, doc JSON,
      raw VARBINARY(8), day DATE, local_ts DATETIME(3), at TIMESTAMP(3) NULL, label VARCHAR(20), took TIME,
      yr YEAR)`);
    await admin.query(`INSERT INTO kinds VALUES (
      1, 9007199254740993, 18446744073709551615, 12.3456, 0.25, TRUE, '{"a": [1, 2]}', X'010203',
      '2024-03-01', '2024-03-01 12:34:56.789', '2024-03-01 10:34:56.789', 'hi', '26:00:00', 2024)`);

    // Act
    const [batch] = await collect(mysqlSource({ table: 'kinds' }));

    // Assess
    expect(batch?.columns).toEqual([
      { name: 'id', type: 'int' },
      { name: 'big' },
      { name: 'ubig' },
      { name: 'price', type: 'float' },
      { name: 'ratio', type: 'float' },
      { name: 'flag', type: 'bool' },
      { name: 'doc', type: 'string' },
      { name: 'raw', type: 'string' },
      { name: 'day', type: 'timestamp' },
      { name: 'local_ts', type: 'timestamp' },
      { name: 'at', type: 'timestamp' },
      { name: 'label', type: 'string' },
      { name: 'took', type: 'string' },
      { name: 'yr', type: 'int' },
    ]);
    const row = batch?.records[0] ?? {};
    expect(row.big).toBe('9007199254740993');
    expect(row.ubig).toBe('18446744073709551615');
    expect(row.price).toBe('12.345600');
    expect(row.ratio).toBe(0.25);
    expect(row.flag).toBe(1);
    expect(JSON.parse(String(toJsonCell(row.doc)))).toEqual({ a: [1, 2] });
    expect(row.raw).toEqual(Buffer.from([1, 2, 3]));
    expect(row.day).toEqual(new Date('2024-03-01T00:00:00.000Z'));
    expect(row.local_ts).toEqual(new Date('2024-03-01T12:34:56.789Z'));
    expect(row.at).toEqual(new Date('2024-03-01T10:34:56.789Z'));
    expect(row.took).toBe('26:00:00');
    // BIGINT is left to inference: beyond 2^53 the column is exact text; no row is dropped.
    const shaped = shapeRecords([row], { requiredColumns: [], criticalColumns: [] }, batch?.columns);
    expect(shaped.failed).toBe(0);
    const col = (name: string) => shaped.batch.schema.columns.findIndex((c) => c.name === name);
    expect(shaped.batch.columns[col('ubig')]).toEqual(['18446744073709551615']);
    expect(shaped.batch.schema.columns[col('big')]?.type).toBe('string');
    expect(shaped.batch.columns[col('flag')]).toEqual([true]);
  });

  it('excludes rows whose incremental value is NULL', async () => {
    // Prepare
    await admin.query('CREATE TABLE partial (id INT, seen_at DATETIME)');
    await admin.query(
      `INSERT INTO partial VALUES (1, '2024-01-01 00:00:00'), (2, NULL), (3, '2024-01-02 00:00:00')`,
    );

    // Act
    const batches = await collect(mysqlSource({ table: 'partial', incrementalField: 'seen_at' }));

    // Assess
    expect(ids(batches)).toEqual([1, 3]);
  });

  it('quotes database, table and column names with backticks, escaping embedded ones', async () => {
    // Prepare
    await admin.query('CREATE TABLE `odd ``name``` (id INT, `changed at` INT)');
    await admin.query('INSERT INTO `odd ``name``` VALUES (1, 10), (2, 20)');

    // Act
    const batches = await collect(
      mysqlSource({ table: `${server.database}.\`odd \`\`name\`\`\``, incrementalField: 'changed at' }),
      10,
    );

    // Assess
    expect(ids(batches)).toEqual([2]);
    expect(batches.at(-1)?.watermark).toBe(20);
  });

  it('ends the connection when the consumer abandons the iteration after the first batch', async () => {
    // Prepare: enough rows that the server is still sending when the consumer stops
    await admin.query('CREATE TABLE stream_rows (id INT PRIMARY KEY, n INT, pad VARCHAR(200))');
    await admin.query(`INSERT INTO stream_rows
      SELECT seq, seq, REPEAT('x', 200) FROM seq_1_to_20000`);
    const built = mysqlSource({ table: 'stream_rows', incrementalField: 'n', batchSize: 10 });
    let aliveDuring = false;
    let seen = 0;

    // Act
    for await (const batch of built.source.pull(undefined)) {
      seen += batch.records.length;
      aliveDuring = await threadAlive(built.opened[0]?.threadId);
      break;
    }

    // Assess
    expect(seen).toBe(10);
    expect(aliveDuring).toBe(true);
    expect(await waitForThreadGone(built.opened[0]?.threadId)).toBe(true);
  });

  it('throws TransientError after the first batch when the session is killed mid-pull', async () => {
    // Prepare
    await admin.query('CREATE TABLE long_rows (id INT PRIMARY KEY, n INT, pad VARCHAR(200))');
    await admin.query(`INSERT INTO long_rows SELECT seq, seq, REPEAT('x', 200) FROM seq_1_to_20000`);
    const built = mysqlSource({ table: 'long_rows', incrementalField: 'n', batchSize: 100 });
    const seen: SourceRecordBatch[] = [];

    // Act
    const run = async () => {
      for await (const batch of built.source.pull(undefined)) {
        seen.push(batch);
        if (seen.length === 1) await admin.query(`KILL ${Number(built.opened[0]?.threadId)}`);
      }
    };
    const error = await run().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(TransientError);
    expect(seen[0]?.watermark).toBe(100);
    expect(seen[0]?.records.at(-1)).toMatchObject({ id: 100, n: 100 });
    expect(ids(seen).length).toBeLessThan(20_000);
    expect(await waitForThreadGone(built.opened[0]?.threadId)).toBe(true);
  });

  it('throws SourceError without the password when the password is wrong', async () => {
    // Prepare
    const wrong = 'Wr0ng-Passw0rd-Never-Shown';
    const secret = JSON.stringify({ ...JSON.parse(server.connectionSecret()), password: wrong });

    // Act
    const error = await collect(mysqlSource({ table: 'orders' }, secret)).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(/Access denied/);
    expect((error as Error).message).not.toContain(wrong);
    expect((error as Error).message).not.toContain(server.password);
    expect((error as Error).cause).toBeUndefined();
  });

  it('throws SourceError naming the table when it does not exist', async () => {
    // Act
    const error = await collect(mysqlSource({ table: 'no_such_table', incrementalField: 'id' }), 5).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(/no_such_table' doesn't exist.*ER_NO_SUCH_TABLE/);
  });

  it('throws TransientError when nothing listens on the port', async () => {
    // Prepare
    const port = await freePort();
    const secret = JSON.stringify({ ...JSON.parse(server.connectionSecret()), port });

    // Act
    const error = await collect(mysqlSource({ table: 'orders' }, secret)).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });
});
