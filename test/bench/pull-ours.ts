/**
 * The pull case's child processes (one per measurement, so each peak RSS is its own):
 * - `pull-ours`: what a database pull run does per batch (shared/app/connectors/pull.ts `pullRecords`), without
 *   S3 and DynamoDB (network, not our code): our PostgresSource, built as shared/wiring.ts builds it
 *   (an unconnected pg.Client, then the source), pulls the table from no watermark; each batch is shaped
 *   with shapeRecords, encoded with parquetBytes and hashed with SHA-256 (the file's content name), then
 *   dropped. The time is split into read (awaiting the source: connect, snapshot, cursor reads, tie-safe
 *   cutting, record objects; the last await also commits and ends the client), shape, encode and hash.
 *   Every batch is also checked (each id exactly once, no tie split across batches); the check's time is
 *   left out of the phases.
 * - `pull-driver`: the driver floor — the same pg.Client, the same snapshot and session settings, the
 *   same statement through pg-cursor in the same batch size with the driver's default type parsers, rows
 *   counted and discarded: what reading costs at all.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { buildPostgresQuery, PostgresSource } from '../../shared/adapters/postgres-source.js';
import { parquetBytes } from '../../shared/app/io/in-memory-tables.js';
import { type DatabaseConnectorConfig, databaseConnectorSchema } from '../../shared/domain/connectors.js';
import { shapeRecords } from '../../shared/domain/source-records.js';
import { PULL_INCREMENTAL, PULL_TABLE, type PullConnection } from './pull-data.js';

export interface PullChildArgs {
  connection: PullConnection;
  batchSize: number;
  /** Rows in the table (ids 1…rows), for the check. */
  rows: number;
}

export interface PullDriverResult {
  /** Wall time from before connect to the client ended. */
  ms: number;
  rows: number;
  /** cursor.read calls that returned rows. */
  reads: number;
  maxRss: number;
  startRss: number;
}

export interface PullCheck {
  /** Ids seen (with repeats), their sum, ids seen more than once, ids outside 1…rows, ids never seen. */
  count: number;
  sum: number;
  duplicates: number;
  outOfRange: number;
  missing: number;
  /** Batches whose first ts is not after the previous batch's last ts (a tie cut in two). */
  splitTies: number;
  /** Batches whose watermark is not the text of their last row's ts. */
  badWatermarks: number;
}

export interface PullOursResult {
  /** Wall time from before the source is built to the last batch encoded (the check excluded). */
  ms: number;
  readMs: number;
  shapeMs: number;
  encodeMs: number;
  hashMs: number;
  /** Time spent in the check (excluded from ms). */
  checkMs: number;
  rowsRead: number;
  rowsWritten: number;
  failed: number;
  batches: number;
  /** Parquet files (batches with rows) and their bytes. */
  files: number;
  parquetBytes: number;
  minBatchRows: number;
  maxBatchRows: number;
  largestFileBytes: number;
  /** SHA-256 over the files' SHA-256s in order: equal across runs when the output is. */
  outputHash: string;
  lastWatermark: string | number | undefined;
  check: PullCheck;
  /** Peak RSS after the first batch was encoded, and at the end. */
  firstBatchMaxRss: number;
  maxRss: number;
  /** RSS before the clock started (node + code + the check's id bitmap). */
  startRss: number;
}

/** The connector settings the case pulls with: the whole table by `ts`, ids critical, ts required. */
export function pullConfig(batchSize: number): DatabaseConnectorConfig {
  return databaseConnectorSchema.parse({
    type: 'database',
    engine: 'postgresql',
    secretName: 'bench-db',
    table: PULL_TABLE,
    incrementalField: PULL_INCREMENTAL,
    batchSize,
    requiredColumns: [PULL_INCREMENTAL],
    criticalColumns: ['id'],
  });
}

/** As shared/wiring.ts `databaseSource` builds the client (ssl off: the server is on loopback). */
function newClient(c: PullConnection): pg.Client {
  return new pg.Client({
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database: c.database,
    ssl: false,
    connectionTimeoutMillis: 10_000,
    application_name: 'strata-connector',
  });
}

const maxRss = () => process.resourceUsage().maxRSS * 1024;

export async function runOurPull(args: PullChildArgs): Promise<PullOursResult> {
  const config = pullConfig(args.batchSize);
  const seen = new Uint8Array(args.rows + 1);
  const check: PullCheck = {
    count: 0,
    sum: 0,
    duplicates: 0,
    outOfRange: 0,
    missing: 0,
    splitTies: 0,
    badWatermarks: 0,
  };
  const outputHash = createHash('sha256');
  let readMs = 0;
  let shapeMs = 0;
  let encodeMs = 0;
  let hashMs = 0;
  let checkMs = 0;
  let rowsRead = 0;
  let rowsWritten = 0;
  let failed = 0;
  let batches = 0;
  let files = 0;
  let totalBytes = 0;
  let minBatchRows = Number.POSITIVE_INFINITY;
  let maxBatchRows = 0;
  let largestFileBytes = 0;
  let firstBatchMaxRss = 0;
  let lastTs = Number.NEGATIVE_INFINITY;
  let lastWatermark: string | number | undefined;

  const startRss = process.memoryUsage.rss();
  const started = performance.now();
  const source = new PostgresSource(newClient(args.connection), config);
  const iterator = source.pull(undefined)[Symbol.asyncIterator]();
  while (true) {
    let t = performance.now();
    const next = await iterator.next();
    readMs += performance.now() - t;
    if (next.done) break;
    const batch = next.value;
    batches++;
    rowsRead += batch.read;
    minBatchRows = Math.min(minBatchRows, batch.read);
    maxBatchRows = Math.max(maxBatchRows, batch.read);
    lastWatermark = batch.watermark;
    if (batch.records.length === 0) continue;

    t = performance.now();
    const shaped = shapeRecords(batch.records, config, batch.columns);
    shapeMs += performance.now() - t;
    failed += shaped.failed;
    if (shaped.batch.numRows === 0) continue;

    t = performance.now();
    const bytes = await parquetBytes(shaped.batch);
    encodeMs += performance.now() - t;
    t = performance.now();
    const name = createHash('sha256').update(bytes).digest();
    hashMs += performance.now() - t;
    files++;
    rowsWritten += shaped.batch.numRows;
    totalBytes += bytes.byteLength;
    largestFileBytes = Math.max(largestFileBytes, bytes.byteLength);

    t = performance.now();
    outputHash.update(name);
    const names = shaped.batch.schema.columns.map((c) => c.name);
    const ids = shaped.batch.columns[names.indexOf('id')] ?? [];
    const ts = shaped.batch.columns[names.indexOf(PULL_INCREMENTAL)] ?? [];
    for (const id of ids) {
      check.count++;
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > args.rows) {
        check.outOfRange++;
        continue;
      }
      check.sum += id;
      if (seen[id] === 1) check.duplicates++;
      seen[id] = 1;
    }
    const first = ts[0];
    const last = ts[ts.length - 1];
    if (typeof first !== 'number' || first <= lastTs) check.splitTies++;
    if (typeof last === 'number') lastTs = last;
    // The watermark is the text of the last row's ts (`2026-01-01 00:00:01.000001+00`: microseconds
    // kept); to the millisecond it is that row's ts.
    const watermarkMs =
      typeof batch.watermark === 'string'
        ? Date.parse(batch.watermark.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'))
        : Number.NaN;
    if (!(Math.abs(watermarkMs - lastTs) < 1)) check.badWatermarks++;
    checkMs += performance.now() - t;
    if (files === 1) firstBatchMaxRss = maxRss();
  }
  const ms = performance.now() - started - checkMs;
  const peak = maxRss();
  for (let id = 1; id <= args.rows; id++) if (seen[id] !== 1) check.missing++;
  return {
    ms,
    readMs,
    shapeMs,
    encodeMs,
    hashMs,
    checkMs,
    rowsRead,
    rowsWritten,
    failed,
    batches,
    files,
    parquetBytes: totalBytes,
    minBatchRows: batches === 0 ? 0 : minBatchRows,
    maxBatchRows,
    largestFileBytes,
    outputHash: outputHash.digest('hex'),
    lastWatermark,
    check,
    firstBatchMaxRss,
    maxRss: peak,
    startRss,
  };
}

/** PostgresSource's session settings (the adapter keeps the statement private; the same text). */
const SNAPSHOT =
  'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; ' +
  "SET LOCAL TIME ZONE 'UTC'; SET LOCAL DateStyle = 'ISO, MDY'; " +
  "SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 3";

export async function runDriverFloor(args: PullChildArgs): Promise<PullDriverResult> {
  const query = buildPostgresQuery(pullConfig(args.batchSize), undefined);
  const startRss = process.memoryUsage.rss();
  const started = performance.now();
  const client = newClient(args.connection);
  await client.connect();
  let rows = 0;
  let reads = 0;
  try {
    await client.query(SNAPSHOT);
    const cursor = client.query(new Cursor<unknown[]>(query.text, query.values, { rowMode: 'array' }));
    const read = (max: number) =>
      new Promise<unknown[][]>((resolve, reject) => {
        cursor.read(max, (error, got) => (error ? reject(error) : resolve(got)));
      });
    while (true) {
      const got = await read(args.batchSize);
      if (got.length > 0) reads++;
      rows += got.length;
      if (got.length < args.batchSize) break;
    }
    await cursor.close();
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
  return { ms: performance.now() - started, rows, reads, maxRss: maxRss(), startRss };
}
