/**
 * Datasets are Delta tables: files dropped under fresh/ go through the real pipeline (S3 event → state
 * machine → version stage under its IAM policy) into `tables/<tenant>/<dataset>/`, one commit per accepted
 * file. delta-rs (the real engine, pinned venv) reads the table at each version and agrees with strata's
 * rows route; a held file stays staged in no commit until promoted (promoting twice commits once); the
 * files route hands out the data files; a redelivered version stage commits nothing more.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import { openParquet } from '../../shared/formats/parquet.js';
import {
  api,
  cloudContext,
  executionArnFor,
  hostFetch,
  newTenant,
  waitForExecution,
} from '../support/cloud.js';
import { DeltaRs } from '../support/delta.js';
import { normal, random } from '../support/random.js';

const ctx = cloudContext();
const bucket = ctx.info.dataBucket;
const T0 = Date.UTC(2026, 2, 1);
const HOUR = 3_600_000;
let tenant: string;
let apiKey: string;
let deltaRs: DeltaRs;

/** 8 hourly readings from hour `from`, at two sites. */
function readingsCsv(from: number) {
  const lines = ['ts,reading,site'];
  for (let i = from; i < from + 8; i++) {
    lines.push(`${new Date(T0 + i * HOUR).toISOString()},${i + 0.25},${i % 2 === 0 ? 'north' : 'south'}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Gauge readings a minute apart; the temperature moved by `shift` standard deviations. */
function gaugesCsv(seed: number, shift: number) {
  const z = normal(seed);
  const u = random(seed + 7);
  const lines = ['ts,temperature,site'];
  const start = Date.UTC(2026, 10, 1) + seed * 86_400_000;
  for (let i = 0; i < 500; i++) {
    const site = u() < 0.5 ? 'north' : 'south';
    lines.push(
      `${new Date(start + i * 60_000).toISOString()},${(20 + 3 * (z() + shift)).toFixed(4)},${site}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

interface VersionOutput {
  status: string;
  version: number;
  table_version: number | null;
  promoted: boolean;
}

async function ingest(dataset: string, name: string, body: string) {
  const key = `fresh/${tenant}/${dataset}/${name}`;
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const executionArn = executionArnFor(ctx.info, { bucket, key, versionId: put.VersionId });
  const execution = await waitForExecution(ctx.sfn, executionArn, 90_000);
  expect(execution.status, execution.cause).toBe('SUCCEEDED');
  return { executionArn, output: JSON.parse(execution.output ?? '{}') as VersionOutput };
}

const get = (path: string, key = apiKey) => api(ctx.info, path, { apiKey: key });

const promote = (dataset: string, version: number) =>
  api(ctx.info, `/datasets/${dataset}/versions/${version}/promote`, {
    apiKey,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'new sensor calibration, confirmed with the site team' }),
  });

/** The commit files of a dataset's table, as a listing of its `_delta_log/` shows them. */
async function commits(dataset: string): Promise<string[]> {
  const listing = await ctx.s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: `tables/${tenant}/${dataset}/_delta_log/` }),
  );
  return (listing.Contents ?? [])
    .map((o) => (o.Key ?? '').split('/').at(-1) ?? '')
    .filter((name) => /^\d{20}\.json$/.test(name));
}

interface RowsAnswer {
  version: number;
  delta_version: number | null;
  staged?: boolean;
  count: number;
  rows: Array<Record<string, unknown>>;
  scan: { files: number; filesRead: number; rowGroups: number; rowGroupsRead: number };
}

const rows = async (dataset: string, query: string) => {
  const response = await get(`/datasets/${dataset}/rows?${query}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as unknown as RowsAnswer;
};

/** delta-rs's rows as strata's rows route answers them: timestamps in ISO 8601, ordered by time. */
function asStrataRows(read: { rows: Record<string, unknown>[] }) {
  return read.rows
    .map((row) => ({ ...row, ts: new Date(Number(row.ts) / 1000).toISOString() }))
    .sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
}

let meter: { first: VersionOutput; second: { executionArn: string; output: VersionOutput } };

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'tables'));
  deltaRs = await DeltaRs.start(ctx.info);
  const first = await ingest('meter', 'day-1.csv', readingsCsv(0));
  const second = await ingest('meter', 'day-2.csv', readingsCsv(8));
  meter = { first: first.output, second };
}, 300_000);

describe('files accepted into a dataset', () => {
  it('are one commit each: delta-rs reads 8 rows at the first Delta version and 16 at the latest, as strata does', async () => {
    // Act
    const files = await get('/datasets/meter/versions/2/files');
    const tableUri = String(files.body?.table_uri);
    const atFirst = await deltaRs.read(tableUri, 0);
    const latest = await deltaRs.read(tableUri);
    const strataFirst = await rows('meter', 'version=1&start=2026-01-01&limit=1000');
    const strataLatest = await rows('meter', 'start=2026-01-01&limit=1000');

    // Assess
    expect(meter.first).toMatchObject({ status: 'VERSIONED', version: 1, table_version: 0 });
    expect(meter.second.output).toMatchObject({ status: 'VERSIONED', version: 2, table_version: 1 });
    expect(tableUri).toBe(`s3://${bucket}/tables/${tenant}/meter/`);
    expect(await commits('meter')).toHaveLength(2);
    expect(atFirst.rows).toHaveLength(8);
    expect(latest).toMatchObject({ version: 1 });
    expect(latest.rows).toHaveLength(16);
    expect(latest.arrowSchema.find(([name]) => name === 'ts')?.[1]).toBe('timestamp[us, tz=UTC]');
    expect(strataFirst).toMatchObject({ version: 1, delta_version: 0, count: 8 });
    expect(strataFirst.rows).toEqual(asStrataRows(atFirst));
    expect(strataLatest).toMatchObject({ version: 2, delta_version: 1, count: 16 });
    expect(strataLatest.rows).toEqual(asStrataRows(latest));
    const version = await get('/datasets/meter/versions/2');
    expect(version.body?.table).toMatchObject({ version: 1, rowsAdded: 8, rowsTotal: 16, filesTotal: 2 });
  });

  it("are read by the rows route file by file: the last rows come from the newest file's statistics alone", async () => {
    // Act
    const last = await rows('meter', 'last=3');

    // Assess
    expect(last.rows.map((r) => r.reading)).toEqual([15.25, 14.25, 13.25]);
    expect(last.scan).toMatchObject({ files: 2, filesRead: 1, rowGroupsRead: 1 });
  });

  it('are listed by the files route with presigned URLs that download the data files', async () => {
    // Act
    const answer = await get('/datasets/meter/versions/2/files');
    const body = answer.body as {
      delta_version: number;
      staged: boolean;
      files: Array<{ path: string; url: string; rows: number; size: number; staged: boolean }>;
    };
    const latest = await deltaRs.read(`s3://${bucket}/tables/${tenant}/meter/`);

    // Assess
    expect(answer.status).toBe(200);
    expect(body).toMatchObject({ delta_version: 1, staged: false });
    expect(body.files.map((f) => f.path).sort()).toEqual(latest.files.map((f) => f.path).sort());
    for (const file of body.files) {
      const downloaded = new Uint8Array(await (await fetch(file.url)).arrayBuffer());
      const stored = await ctx.s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: `tables/${tenant}/meter/${file.path}` }),
      );
      const bytes = (await stored.Body?.transformToByteArray()) ?? new Uint8Array(0);
      expect(sha256(downloaded)).toBe(sha256(bytes));
      expect(downloaded.byteLength).toBe(file.size);
      const parquet = await openParquet({
        size: downloaded.byteLength,
        read: async (start, end) => downloaded.subarray(start, end),
      });
      expect(parquet.numRows).toBe(file.rows);
    }
    const first = await get('/datasets/meter/versions/1/files');
    expect(first.body).toMatchObject({ delta_version: 0, files: [expect.objectContaining({ rows: 8 })] });
  });

  it("are not another tenant's: its key gets 404 from the files route", async () => {
    // Prepare
    const other = await newTenant(ctx, 'tables-other');

    // Act
    const files = await get('/datasets/meter/versions/2/files', other.apiKey);
    const rowsOfOther = await get('/datasets/meter/rows?last=1', other.apiKey);

    // Assess
    expect(files.status).toBe(404);
    expect(rowsOfOther.status).toBe(404);
  });

  it('are committed once when the version stage is invoked again with the same state', async () => {
    // Prepare: the version stage's invocation, as the state machine made it.
    const { functionName, payload } = await versionInvocation(meter.second.executionArn);

    // Act
    const answers = [];
    for (let i = 0; i < 2; i++) {
      const response = await hostFetch(ctx.info, `/2015-03-31/functions/${functionName}/invocations`, {
        method: 'POST',
        body: JSON.stringify(payload),
      });
      expect(response.headers.get('x-amz-function-error')).toBeNull();
      answers.push(await response.json());
    }

    // Assess
    expect(answers).toEqual([meter.second.output, meter.second.output]);
    expect(await commits('meter')).toHaveLength(2);
    expect((await deltaRs.read(`s3://${bucket}/tables/${tenant}/meter/`)).rows).toHaveLength(16);
  });
});

describe('a file a gate holds', () => {
  it('stays staged in no commit until promoted, then is in the table; promoting twice commits once', async () => {
    // Prepare
    const gate = await api(ctx.info, '/datasets/gauges/drift-settings', {
      apiKey,
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ drift_gate: 'MODERATE' }),
    });
    expect(gate.status).toBe(200);
    const calm = await ingest('gauges', 'day-1.csv', gaugesCsv(1, 0));
    const uri = `s3://${bucket}/tables/${tenant}/gauges/`;

    // Act
    const held = await ingest('gauges', 'day-2.csv', gaugesCsv(2, 1.5));
    const whileHeld = await deltaRs.read(uri);
    const stagedFiles = await get('/datasets/gauges/versions/2/files');
    const stagedRows = await rows('gauges', 'version=2&last=10000');
    const promoted = await promote('gauges', 2);
    const promotedAgain = await promote('gauges', 2);
    const after = await deltaRs.read(uri);

    // Assess
    expect(calm.output).toMatchObject({ status: 'VERSIONED', version: 1, table_version: 0 });
    expect(held.output).toMatchObject({ status: 'HELD', version: 2, table_version: null, promoted: false });
    expect(whileHeld.version).toBe(0);
    expect(whileHeld.rows).toHaveLength(500);
    const staged = stagedFiles.body as {
      staged: boolean;
      delta_version: null;
      files: Array<{ url: string }>;
    };
    expect(staged).toMatchObject({ staged: true, delta_version: null });
    expect(staged.files).toEqual([expect.objectContaining({ staged: true, rows: 500 })]);
    expect((await fetch(staged.files[0]?.url ?? '')).status).toBe(200);
    expect(whileHeld.files.map((f) => f.path)).not.toContain((staged.files[0] as { path?: string }).path);
    expect(stagedRows).toMatchObject({ version: 2, delta_version: null, staged: true, count: 500 });
    expect(promoted.status).toBe(200);
    expect(promoted.body?.table).toMatchObject({
      version: 1,
      rowsAdded: 500,
      rowsTotal: 1000,
      filesTotal: 2,
    });
    expect(promotedAgain.status).toBe(200);
    expect(promotedAgain.body?.table).toMatchObject({ version: 1 });
    expect(after.version).toBe(1);
    expect(after.rows).toHaveLength(1000);
    expect(await commits('gauges')).toHaveLength(2);
    expect((await get('/datasets/gauges/versions/2/files')).body).toMatchObject({
      delta_version: 1,
      staged: false,
    });
  });
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The function and payload the state machine invoked the version stage with, from its history: a task
 * that invokes a function by its ARN (`payloadResponseOnly`) is a LambdaFunctionScheduled event.
 */
async function versionInvocation(executionArn: string) {
  let nextToken: string | undefined;
  do {
    const page = await ctx.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken }));
    for (const event of page.events ?? []) {
      const scheduled = event.lambdaFunctionScheduledEventDetails;
      if (scheduled?.input === undefined || scheduled.resource === undefined) continue;
      const payload = JSON.parse(scheduled.input) as { run?: { stage?: string } };
      if (payload.run?.stage !== 'version') continue;
      // The Invoke API path takes the function's name.
      const functionName = scheduled.resource.split(':function:').at(-1)?.split(':')[0] ?? '';
      return { functionName, payload };
    }
    nextToken = page.nextToken;
  } while (nextToken);
  throw new Error(`no version stage in the history of ${executionArn}`);
}
