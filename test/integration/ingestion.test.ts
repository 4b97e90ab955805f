import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileIdFor } from '../../shared/domain/file-record.js';
import {
  api,
  cloudContext,
  executionArnFor,
  hostFetch,
  newTenant,
  waitForExecution,
} from '../support/cloud.js';

const ctx = cloudContext();
const csv = readFileSync(new URL('../../events/data/customers.csv', import.meta.url));
let tenant: string;
let apiKey: string;

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'ingest'));
});

async function drop(key: string, body: Uint8Array | string, metadata?: Record<string, string>) {
  const put = await ctx.s3.send(
    new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: body, Metadata: metadata }),
  );
  return { bucket: ctx.info.dataBucket, key, versionId: put.VersionId };
}

describe('a file dropped under fresh/', () => {
  it('runs the pipeline and records the file with its sha256 and version, visible through GET /datasets', async () => {
    // Prepare
    const key = `fresh/${tenant}/customers/2026-11/customers.csv`;

    // Act
    const ref = await drop(key, csv);
    const execution = await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref));

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({
      status: 'VERSIONED',
      version: 1,
      rows_ingested: 8,
    });
    const record = await ctx.metadata.getFile(tenant, fileIdFor(ref));
    expect(record).toMatchObject({
      sha256: createHash('sha256').update(csv).digest('hex'),
      size: csv.length,
      format: 'csv',
      dataType: 'custom',
      status: 'FRESH',
      stage: 'version',
      version: 1,
      dataset: 'customers',
      key,
    });
    const listing = await api(ctx.info, '/datasets', { apiKey });
    expect(listing.status).toBe(200);
    expect(listing.body?.datasets).toEqual([
      expect.objectContaining({ tenant, dataset: 'customers', fileCount: 1, bytes: csv.length }),
    ]);
  });

  it('records the same content dropped again as a duplicate and ends its run there', async () => {
    // Prepare
    const first = await drop(`fresh/${tenant}/events/a.jsonl`, '{"x":1}\n{"x":2}\n', {
      'data-type': 'sample',
    });
    await waitForExecution(ctx.sfn, executionArnFor(ctx.info, first));

    // Act
    const second = await drop(`fresh/${tenant}/events/b.jsonl`, '{"x":1}\n{"x":2}\n');
    const execution = await waitForExecution(ctx.sfn, executionArnFor(ctx.info, second));

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}').file.outcome).toBe('DUPLICATE');
    const duplicate = await ctx.metadata.getFile(tenant, fileIdFor(second));
    expect(duplicate).toMatchObject({ status: 'DUPLICATE', duplicateOf: fileIdFor(first) });
    expect((await ctx.metadata.getFile(tenant, fileIdFor(first)))?.dataType).toBe('sample');
    const listing = await api(ctx.info, '/datasets', { apiKey });
    const datasets = (listing.body?.datasets ?? []) as Array<Record<string, unknown>>;
    const events = datasets.find((d) => d.dataset === 'events');
    expect(events).toMatchObject({ fileCount: 1, duplicateCount: 1 });
  });

  it('quarantines a file of unknown format with the failing stage and error name, keeping the original', async () => {
    // Prepare
    const key = `fresh/${tenant}/notes/readme.txt`;

    // Act
    const ref = await drop(key, 'not a dataset');
    const execution = await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref));

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('InvalidObjectKeyError');
    const record = await ctx.metadata.getFile(tenant, fileIdFor(ref));
    expect(record).toMatchObject({
      status: 'QUARANTINED',
      failure: expect.objectContaining({ stage: 'register', errorName: 'InvalidObjectKeyError' }),
    });
    const quarantined = await ctx.s3.send(
      new GetObjectCommand({ Bucket: ctx.info.dataBucket, Key: `quarantine/${tenant}/notes/readme.txt` }),
    );
    expect(await quarantined.Body?.transformToString()).toBe('not a dataset');
    await expect(
      ctx.s3.send(new HeadObjectCommand({ Bucket: ctx.info.dataBucket, Key: key })),
    ).resolves.toBeDefined();
  });

  it('starts one execution however often the S3 event is delivered', async () => {
    // Prepare
    const ref = await drop(`fresh/${tenant}/repeat/r.csv`, 'a,b\n1,2\n');
    await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref));
    const trigger = (await (await hostFetch(ctx.info, `/_strata/health`)).json()) as {
      functions: string[];
    };
    const triggerName = trigger.functions.find((name) => name.includes('Trigger'));
    const event = {
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: ref.bucket }, object: { key: ref.key, versionId: ref.versionId } },
        },
      ],
    };

    // Act: the redelivery, through the Lambda Invoke API as S3 would call it
    const response = await hostFetch(ctx.info, `/2015-03-31/functions/${triggerName}/invocations`, {
      method: 'POST',
      body: JSON.stringify(event),
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('x-amz-function-error')).toBeNull();
    expect(await response.json()).toEqual([expect.objectContaining({ started: false })]);
  });

  it('takes no S3 event or invocation without the host token, nor any request for a foreign Host', async () => {
    // Prepare
    const forged = JSON.stringify({
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: ctx.info.dataBucket }, object: { key: `fresh/${tenant}/forged/f.csv` } },
        },
      ],
    });
    const health = (await (await hostFetch(ctx.info, '/_strata/health')).json()) as { functions: string[] };
    const trigger = `/2015-03-31/functions/${health.functions.find((n) => n.includes('Trigger'))}/invocations`;

    // Act
    const noToken = await fetch(`${ctx.info.hostUrl}${trigger}`, { method: 'POST', body: forged });
    const wrongToken = await fetch(`${ctx.info.hostUrl}/_strata/s3-events`, {
      method: 'POST',
      headers: { authorization: 'Bearer forged' },
      body: forged,
    });
    const rebound = await rawRequest(ctx.info.hostUrl, '/health', { host: 'rebound.example' });
    const ours = await rawRequest(ctx.info.hostUrl, '/health', {
      host: `localhost:${new URL(ctx.info.hostUrl).port}`,
    });

    // Assess
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as { message: string }).message).toMatch(/per-start token/);
    expect(wrongToken.status).toBe(403);
    expect(rebound.status).toBe(403);
    expect(ours.status).toBe(200);
  });
});

/** A GET with a Host header of our choosing (fetch always sends the URL's). */
function rawRequest(
  base: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the HTTP API', () => {
  it('answers the health route without a key', async () => {
    expect(await api(ctx.info, '/health')).toEqual({
      status: 200,
      body: { status: 'ok', service: 'strata' },
    });
  });

  it('rejects a missing key with 401 and an unknown key with 403', async () => {
    expect((await api(ctx.info, '/datasets')).status).toBe(401);
    expect((await api(ctx.info, '/datasets', { apiKey: 'sk_strata_not-a-real-key' })).status).toBe(403);
  });

  it('stores a dataset’s ingestion config and shows it on the dataset', async () => {
    // Act
    const put = await api(ctx.info, '/datasets/configured/config', {
      apiKey,
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dedupKeys: ['id'], typeOverrides: { zip: 'string' }, maxErrorRate: 0.01 }),
    });
    const got = await api(ctx.info, '/datasets/configured', { apiKey });

    // Assess
    expect(put.status).toBe(200);
    expect(got.body).toMatchObject({
      dataset: 'configured',
      config: { dedupKeys: ['id'], maxErrorRate: 0.01 },
    });
  });

  it('rejects a malformed config with 400 naming the field, and unknown files with 404', async () => {
    const bad = await api(ctx.info, '/datasets/configured/config', {
      apiKey,
      method: 'PUT',
      body: JSON.stringify({ maxErrorRate: 3 }),
    });
    expect(bad.status).toBe(400);
    expect(String(bad.body?.message)).toContain('maxErrorRate');
    expect((await api(ctx.info, `/files/f_${'0'.repeat(32)}`, { apiKey })).status).toBe(404);
  });

  it('shows a tenant only its own datasets', async () => {
    // Prepare
    const other = await newTenant(ctx, 'other');

    // Act
    const listing = await api(ctx.info, '/datasets', { apiKey: other.apiKey });

    // Assess
    expect(listing).toEqual({ status: 200, body: { datasets: [] } });
  });
});
