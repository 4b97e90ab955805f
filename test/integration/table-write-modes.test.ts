/**
 * A dataset's write mode and schema policy, through the real pipeline (S3 event → state machine → version
 * stage under its IAM policy) into the dataset's Delta table, each state read back by delta-rs (the real
 * engine, pinned venv) at its Delta version: upsert leaves one row per key with the newest values,
 * overwrite exactly the new file's rows (older versions still readable), append with dedup keys adds only
 * new keys; a file with new columns or another type is quarantined with SchemaMismatchError unless the
 * dataset allows it; concurrent upserts of overlapping keys are re-planned, never lost or doubled.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  cloudContext,
  configureDataset,
  executionArnFor,
  newTenant,
  waitForExecution,
} from '../support/cloud.js';
import { DeltaRs } from '../support/delta.js';

const ctx = cloudContext();
const bucket = ctx.info.dataBucket;
let tenant: string;
let apiKey: string;
let deltaRs: DeltaRs;

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'modes'));
  deltaRs = await DeltaRs.start(ctx.info);
}, 120_000);

/** A CSV of `id,price,sku` rows (or of the columns `header` names). */
function csv(rows: Array<Array<number | string>>, header = 'id,price,sku') {
  return `${[header, ...rows.map((r) => r.join(','))].join('\n')}\n`;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function drop(dataset: string, name: string, body: string) {
  const key = `fresh/${tenant}/${dataset}/${name}`;
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return executionArnFor(ctx.info, { bucket, key, versionId: put.VersionId });
}

async function ingest(dataset: string, name: string, body: string) {
  const execution = await waitForExecution(ctx.sfn, await drop(dataset, name, body), 90_000);
  return {
    status: execution.status,
    error: execution.error,
    cause: execution.cause,
    output: JSON.parse(execution.output ?? '{}') as { version: number; table_version: number | null },
  };
}

async function accepted(dataset: string, name: string, body: string) {
  const result = await ingest(dataset, name, body);
  expect(result.status, result.cause).toBe('SUCCEEDED');
  return result.output;
}

const configure = (dataset: string, config: Record<string, unknown>) =>
  configureDataset(ctx.info, apiKey, dataset, config);

const tableUri = (dataset: string) => `s3://${bucket}/tables/${tenant}/${dataset}/`;

async function versionTable(dataset: string, version: number) {
  const response = await api(ctx.info, `/datasets/${dataset}/versions/${version}`, { apiKey });
  expect(response.status).toBe(200);
  return response.body?.table as Record<string, unknown>;
}

/** The rows the version's whole-table profile counts. */
async function profiledRows(dataset: string, version: number) {
  const response = await api(ctx.info, `/datasets/${dataset}/versions/${version}`, { apiKey });
  return (response.body?.tableProfile as { rowCount?: number } | undefined)?.rowCount;
}

/** delta-rs's rows as `id → price`, failing on a key seen twice. */
function pricesById(rows: Record<string, unknown>[]): Map<number, unknown> {
  const prices = new Map<number, unknown>();
  for (const row of rows) {
    const id = Number(row.id);
    expect(prices.has(id), `id ${id} twice`).toBe(false);
    prices.set(id, row.price);
  }
  return prices;
}

describe('an upsert dataset', () => {
  it('keeps one row per key with the newest values, rewriting only the files that held a key', async () => {
    // Prepare
    await configure('catalogue', { writeMode: 'upsert', keyColumns: ['id'] });
    await accepted('catalogue', 'a.csv', csv(range(1, 8).map((i) => [i, i + 0.5, `a${i}`])));
    await accepted('catalogue', 'far.csv', csv(range(100, 104).map((i) => [i, i + 0.5, `f${i}`])));

    // Act
    const second = await accepted(
      'catalogue',
      'b.csv',
      csv(range(5, 12).map((i) => [i, i + 1000.5, `b${i}`])),
    );

    // Assess
    const latest = await deltaRs.read(tableUri('catalogue'));
    const first = await deltaRs.read(tableUri('catalogue'), 0);
    const prices = pricesById(latest.rows);
    expect(second.table_version).toBe(2);
    expect(prices.size).toBe(17);
    for (const id of range(1, 4)) expect(prices.get(id)).toBe(id + 0.5);
    for (const id of range(5, 12)) expect(prices.get(id)).toBe(id + 1000.5);
    for (const id of range(100, 104)) expect(prices.get(id)).toBe(id + 0.5);
    expect(first.rows).toHaveLength(8);
    expect(await versionTable('catalogue', 3)).toMatchObject({
      version: 2,
      mode: 'upsert',
      rowsAdded: 4,
      rowsUpdated: 4,
      rowsCopied: 4,
      filesRemoved: 1,
      filesAdded: 2,
      rowsTotal: 17,
      filesTotal: 3,
    });
    expect(await profiledRows('catalogue', 2)).toBe(13);
    expect(await profiledRows('catalogue', 3)).toBe(17);
  });

  it('re-plans concurrent upserts of overlapping keys: every key once, none lost', async () => {
    // Prepare
    await configure('prices', { writeMode: 'upsert', keyColumns: ['id'] });
    await accepted('prices', 'base.csv', csv(range(1, 10).map((i) => [i, 0.5, `base${i}`])));
    const files = range(1, 6).map((n) =>
      csv([...range(1, 10).map((i) => [i, n + 0.25, `f${n}`]), [100 + n, n + 0.25, `f${n}`]]),
    );

    // Act
    const arns = await Promise.all(files.map((body, n) => drop('prices', `race-${n}.csv`, body)));
    const runs = await Promise.all(arns.map((arn) => waitForExecution(ctx.sfn, arn, 180_000)));

    // Assess
    for (const run of runs) expect(run.status, run.cause).toBe('SUCCEEDED');
    const latest = await deltaRs.read(tableUri('prices'));
    const prices = pricesById(latest.rows);
    expect(latest.version).toBe(6);
    expect(prices.size).toBe(16);
    // Every shared key holds the value of one file, and the same file for all of them: the last commit's.
    const shared = new Set(range(1, 10).map((id) => prices.get(id)));
    expect(shared.size).toBe(1);
    for (const n of range(1, 6)) expect(prices.get(100 + n)).toBe(n + 0.25);
  }, 240_000);
});

describe('an overwrite dataset', () => {
  it('holds exactly the newest file, and its earlier versions stay readable by time travel', async () => {
    // Prepare
    await configure('snapshot', { writeMode: 'overwrite' });
    await accepted('snapshot', 'monday.csv', csv(range(1, 8).map((i) => [i, i + 0.5, `m${i}`])));

    // Act
    await accepted('snapshot', 'tuesday.csv', csv(range(20, 22).map((i) => [i, i + 0.5, `t${i}`])));

    // Assess
    const latest = await deltaRs.read(tableUri('snapshot'));
    const monday = await deltaRs.read(tableUri('snapshot'), 0);
    expect([...pricesById(latest.rows).keys()].sort((a, b) => a - b)).toEqual([20, 21, 22]);
    expect(monday.rows).toHaveLength(8);
    expect(await versionTable('snapshot', 2)).toMatchObject({
      mode: 'overwrite',
      rowsAdded: 3,
      rowsRemoved: 8,
      filesRemoved: 1,
      rowsTotal: 3,
      filesTotal: 1,
    });
  });
});

describe('an append dataset with dedup keys', () => {
  it('adds only the rows whose key the table does not hold, counting the rest as duplicates', async () => {
    // Prepare
    await configure('events', { dedupKeys: ['id'] });
    await accepted('events', 'one.csv', csv(range(1, 8).map((i) => [i, i + 0.5, `one${i}`])));

    // Act
    await accepted('events', 'two.csv', csv(range(5, 12).map((i) => [i, i + 50.5, `two${i}`])));
    const repeat = await accepted('events', 'three.csv', csv(range(1, 4).map((i) => [i, 9.5, `three${i}`])));

    // Assess
    const prices = pricesById((await deltaRs.read(tableUri('events'))).rows);
    expect(prices.size).toBe(12);
    for (const id of range(1, 8)) expect(prices.get(id)).toBe(id + 0.5);
    for (const id of range(9, 12)) expect(prices.get(id)).toBe(id + 50.5);
    expect(await versionTable('events', 2)).toMatchObject({ rowsAdded: 4, rowsDuplicate: 4, rowsTotal: 12 });
    expect(repeat.table_version).toBe(2);
    expect(await versionTable('events', 3)).toMatchObject({
      rowsAdded: 0,
      rowsDuplicate: 4,
      filesAdded: 0,
      rowsTotal: 12,
    });
    expect(await profiledRows('events', 2)).toBe(12);
    expect(await profiledRows('events', 3)).toBe(12);
  });
});

describe("a file that does not fit the table's schema", () => {
  it('is quarantined with the differences unless the dataset lets columns be added', async () => {
    // Prepare
    await accepted('sensors', 'one.csv', csv(range(1, 3).map((i) => [i, i + 0.5, `s${i}`])));
    const wider = (from: number) =>
      csv(
        range(from, from + 2).map((i) => [i, i + 0.5, `s${i}`, 'red']),
        'id,price,sku,colour',
      );

    // Act
    const refused = await ingest('sensors', 'two.csv', wider(4));
    await configure('sensors', { schemaEvolution: 'add_columns' });
    const added = await ingest('sensors', 'three.csv', wider(7));

    // Assess
    expect(refused.status).toBe('FAILED');
    expect(refused.error).toBe('SchemaMismatchError');
    expect(refused.cause).toMatch(/column \\?"colour\\?" \(string\) is not in the table/);
    expect(added.status, added.cause).toBe('SUCCEEDED');
    const latest = await deltaRs.read(tableUri('sensors'));
    expect(latest.schema.fields.map((f) => f.name)).toEqual(['id', 'price', 'sku', 'colour']);
    expect(latest.rows.filter((r) => r.colour === 'red')).toHaveLength(3);
    expect(latest.rows.filter((r) => r.colour === null)).toHaveLength(3);
  });

  it('joins a double column with int values only when the dataset allows widening', async () => {
    // Prepare
    await accepted('gauges', 'one.csv', csv(range(1, 3).map((i) => [i, i + 0.5, `g${i}`])));
    const whole = (from: number) => csv(range(from, from + 2).map((i) => [i, i, `g${i}`]));

    // Act
    const refused = await ingest('gauges', 'two.csv', whole(4));
    await configure('gauges', { widenTypes: true });
    const widened = await ingest('gauges', 'three.csv', whole(7));

    // Assess
    expect(refused.error).toBe('SchemaMismatchError');
    expect(widened.status, widened.cause).toBe('SUCCEEDED');
    const latest = await deltaRs.read(tableUri('gauges'));
    expect(latest.arrowSchema.find(([name]) => name === 'price')?.[1]).toBe('double');
    expect(pricesById(latest.rows).get(8)).toBe(8);
  });
});
