/**
 * The TypeScript client's table calls against the local cloud: a dataset configured through the client
 * (upsert by id), its rows newest first and projected, the files of a version with the table URI, the
 * version as Parquet, a dry-run vacuum, a job's use of one file counted once, and another tenant's key
 * refused on each.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDataManager } from '../../shared/client/data-manager.js';
import { ApiError } from '../../shared/client/http.js';
import { createStrataClient } from '../../shared/client/strata.js';
import { cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';

const ctx = cloudContext();
const bucket = ctx.info.dataBucket;
let tenant: string;
let ownerKey: string;
let client: ReturnType<typeof createStrataClient>;
let stranger: ReturnType<typeof createStrataClient>;

async function ingest(name: string, rows: Array<[number, string, number]>) {
  const body = `id,ts,price\n${rows.map((r) => r.join(',')).join('\n')}\n`;
  const key = `fresh/${tenant}/prices/${name}`;
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const execution = await waitForExecution(
    ctx.sfn,
    executionArnFor(ctx.info, { bucket, key, versionId: put.VersionId }),
    90_000,
  );
  expect(execution.status, execution.cause).toBe('SUCCEEDED');
}

const at = (minute: number) => new Date(Date.UTC(2026, 5, 1, 0, minute)).toISOString();

beforeAll(async () => {
  const owner = await newTenant(ctx, 'client');
  tenant = owner.tenant;
  ownerKey = owner.apiKey;
  client = createStrataClient({ apiUrl: ctx.info.apiUrl, apiKey: owner.apiKey });
  stranger = createStrataClient({ apiUrl: ctx.info.apiUrl, apiKey: (await newTenant(ctx, 'other')).apiKey });
  await client.setConfig('prices', { writeMode: 'upsert', keyColumns: ['id'] });
  await ingest(
    'a.csv',
    [1, 2, 3, 4].map((i) => [i, at(i), i + 0.5]),
  );
  await ingest(
    'b.csv',
    [3, 4, 5].map((i) => [i, at(10 + i), i + 100.5]),
  );
}, 240_000);

describe("the client's table calls", () => {
  it('read the rows of the table newest first, projected, after an upsert', async () => {
    // Act
    const latest = await client.rows('prices', { last: 10, columns: ['id'] });
    const oldest = await client.rows('prices', { last: 2, order: 'asc' });

    // Assess
    expect(latest).toMatchObject({ version: 2, delta_version: 1, count: 5 });
    expect(latest.rows.map((r) => r.id)).toEqual([5, 4, 3, 2, 1]);
    expect(Object.keys(latest.rows[0] ?? {}).sort()).toEqual(['id', 'ts']);
    expect(oldest.rows.map((r) => r.price)).toEqual([104.5, 105.5]);
  });

  it('list the files of a version with the table URI, and hand out the version as Parquet', async () => {
    // Act
    const files = await client.versionFiles('prices', 2);
    const data = await client.versionData('prices', 2);

    // Assess
    expect(files).toMatchObject({ table_uri: `s3://${bucket}/tables/${tenant}/prices/`, delta_version: 1 });
    expect(files.files.map((f) => f.rows).reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(5);
    expect(data).toMatchObject({ status: 'ready', format: 'parquet', delta_version: 1 });
    const urls = data.url ? [data.url] : (data.files ?? []).map((f) => f.url);
    for (const url of urls) expect((await fetch(url)).status).toBe(200);
  });

  it('vacuum as a dry run, deleting nothing still within the retention', async () => {
    // Act
    const result = await client.vacuum('prices', { dryRun: true });

    // Assess
    expect(result).toMatchObject({ dataset: 'prices', dryRun: true, files: [] });
  });

  it("count a job's use of one file once, move it to USED, and refuse another tenant", async () => {
    // Prepare
    const manager = createDataManager({ apiUrl: ctx.info.apiUrl, apiKey: ownerKey });
    const [file] = (await manager.listFiles({ dataset: 'prices' })).files;
    const fileId = String(file?.fileId);

    // Act
    const first = await manager.markFileUsed(fileId, 'job-7');
    const again = await manager.markFileUsed(fileId, 'job-7');
    const other = await stranger.consumeFile(fileId, 'job-7').catch((error: unknown) => error);

    // Assess
    expect(first).toMatchObject({
      fileId,
      jobId: 'job-7',
      outcome: 'counted',
      status: 'USED',
      usageCount: 1,
    });
    expect(again).toMatchObject({ outcome: 'already-counted', status: 'USED', usageCount: 1 });
    expect(other).toBeInstanceOf(ApiError);
    expect(other).toMatchObject({ status: 404 });
  });

  it('set and read the drift settings, retention policy, suite and model links, and upload several files', async () => {
    // Act
    await client.setDriftSettings('prices', { drift_gate: 'HIGH', time_column: 'ts' });
    const drift = await client.getDriftSettings('prices');
    const policy = await client.setRetentionPolicy({
      days_old: 30,
      grace_days: 7,
      archive_after_uses: 3,
      table_retention_days: 14,
    });
    const suite = await client.setValidationSuite('prices', {
      checks: [{ type: 'required_columns', columns: ['id'], severity: 'ERROR' }],
    });
    const uploads = await client.createUploadUrls([
      { dataset: 'prices', fileName: 'c.csv', size: 10 },
      { dataset: 'prices', fileName: 'd.csv', size: 20 },
    ]);
    await client.linkModel('churn', '1.0.0', { dataset_version: { dataset: 'prices', version: 2 } });
    const model = await client.getModelVersion('churn', '1.0.0');

    // Assess
    expect(drift.settings).toMatchObject({ driftGate: 'HIGH', timeColumn: 'ts' });
    expect((await client.getRetentionPolicy()).policy).toEqual(policy.policy);
    expect(policy.policy).toMatchObject({ daysOld: 30, tableRetentionDays: 14 });
    expect(suite).toMatchObject({ dataset: 'prices', format: 'strata' });
    expect(uploads.uploads.map((u) => [u.key, u.size])).toEqual([
      [`fresh/${tenant}/prices/c.csv`, 10],
      [`fresh/${tenant}/prices/d.csv`, 20],
    ]);
    expect(JSON.stringify(model)).toContain('prices');
  });

  it("answer another tenant's key as if the dataset did not exist", async () => {
    // Act
    const attempts = await Promise.allSettled([
      stranger.rows('prices', { last: 1 }),
      stranger.versionFiles('prices', 1),
      stranger.versionData('prices', 1),
    ]);

    // Assess
    for (const attempt of attempts) {
      expect(attempt.status).toBe('rejected');
      const reason = (attempt as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(ApiError);
      expect(reason).toMatchObject({ status: 404 });
    }
  });
});
