import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';

const ctx = cloudContext();
let apiKey: string;
const T0 = Date.UTC(2026, 0, 1);
const ROWS = 250_000;

beforeAll(async () => {
  // Prepare: 250 000 readings a second apart; the snapshot holds them in row groups of 100 000.
  const created = await newTenant(ctx, 'rows');
  apiKey = created.apiKey;
  const lines = ['ts,reading'];
  for (let i = 0; i < ROWS; i++) lines.push(`${new Date(T0 + i * 1000).toISOString()},${i}`);
  const key = `fresh/${created.tenant}/meter/readings.csv`;
  const put = await ctx.s3.send(
    new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: `${lines.join('\n')}\n` }),
  );
  const execution = await waitForExecution(
    ctx.sfn,
    executionArnFor(ctx.info, { bucket: ctx.info.dataBucket, key, versionId: put.VersionId }),
    120_000,
  );
  expect(execution.status, execution.cause).toBe('SUCCEEDED');
}, 180_000);

interface RowsAnswer {
  version: number;
  column: string;
  rows: Array<{ ts: string; reading: number }>;
  nextCursor?: string;
  scan: { rowGroups: number; rowGroupsRead: number; bytesRead: number };
}

const rows = async (query: string) => {
  const response = await api(ctx.info, `/datasets/meter/rows?${query}`, { apiKey });
  return { status: response.status, body: response.body as unknown as RowsAnswer };
};

describe('GET /datasets/{name}/rows', () => {
  it('returns the last N rows by timestamp, newest first, from the newest row group only', async () => {
    // Act
    const { status, body } = await rows('last=3');

    // Assess
    expect(status).toBe(200);
    expect(body.rows).toEqual([
      { ts: new Date(T0 + (ROWS - 1) * 1000).toISOString(), reading: ROWS - 1 },
      { ts: new Date(T0 + (ROWS - 2) * 1000).toISOString(), reading: ROWS - 2 },
      { ts: new Date(T0 + (ROWS - 3) * 1000).toISOString(), reading: ROWS - 3 },
    ]);
    expect(body).toMatchObject({ version: 1, column: 'ts', scan: { rowGroups: 3, rowGroupsRead: 1 } });
  });

  it('returns a start/end range (ISO or epoch) reading only the overlapping row group, in pages', async () => {
    // Prepare: [120 000 s, 120 500 s) lies inside the second row group.
    const start = new Date(T0 + 120_000_000).toISOString();
    const end = (T0 + 120_500_000) / 1000;

    // Act
    const first = await rows(`start=${start}&end=${end}&limit=400`);
    const second = await rows(`start=${start}&end=${end}&limit=400&cursor=${first.body.nextCursor}`);

    // Assess
    expect(first.body.rows).toHaveLength(400);
    expect(first.body.rows[0]?.reading).toBe(120_000);
    expect(first.body.scan).toMatchObject({ rowGroups: 3, rowGroupsRead: 1 });
    expect(second.body.rows.map((r) => r.reading)).toEqual(
      Array.from({ length: 100 }, (_, i) => 120_400 + i),
    );
    expect(second.body.nextCursor).toBeUndefined();
  });

  it('refuses a query that is neither last=N nor a range, and text that is not an instant', async () => {
    expect((await rows('')).status).toBe(400);
    expect((await rows('last=5&start=2026-01-01')).status).toBe(400);
    expect((await rows('start=soon')).status).toBe(400);
    expect((await rows('last=5&column=reading')).status).toBe(200);
    expect((await api(ctx.info, '/datasets/nothing-here/rows?last=1', { apiKey })).status).toBe(404);
  });
});
