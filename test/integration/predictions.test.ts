import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';

const ctx = cloudContext();
let tenant: string;
let apiKey: string;

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'predict'));
  const key = `fresh/${tenant}/demand/history.csv`;
  const lines = ['timestamp,store,units'];
  for (let d = 0; d < 30; d++)
    lines.push(`${new Date(Date.UTC(2026, 9, d + 1)).toISOString()},s1,${100 + d}`);
  const put = await ctx.s3.send(
    new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: `${lines.join('\n')}\n` }),
  );
  const execution = await waitForExecution(
    ctx.sfn,
    executionArnFor(ctx.info, { bucket: ctx.info.dataBucket, key, versionId: put.VersionId }),
  );
  expect(execution.status).toBe('SUCCEEDED');
});

const post = (body: unknown) =>
  api(ctx.info, '/datasets/demand/predictions', {
    apiKey,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function waitForVersion(fileId: string) {
  for (let i = 0; i < 240; i++) {
    const file = await api(ctx.info, `/files/${fileId}`, { apiKey });
    if (file.status === 200 && (file.body?.version !== undefined || file.body?.status === 'QUARANTINED')) {
      return file.body;
    }
    await sleep(250);
  }
  throw new Error(`file ${fileId} was not versioned in time`);
}

describe('POST /datasets/{name}/predictions', () => {
  it('writes predictions back as a version of <name>-predictions linked to the model and the scored version', async () => {
    // Prepare
    const rows = Array.from({ length: 7 }, (_, d) => ({
      timestamp: new Date(Date.UTC(2026, 9, 31 + d)).toISOString(),
      store: 's1',
      units_forecast: 130 + d,
    }));

    // Act
    const accepted = await post({ model: { name: 'forecaster', version: '1.2.0' }, rows });
    const again = await post({ model: { name: 'forecaster', version: '1.2.0' }, rows });
    const file = await waitForVersion(String(accepted.body?.fileId));

    // Assess
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({
      dataset: 'demand-predictions',
      rows: 7,
      input: { dataset: 'demand', version: 1 },
      created: true,
      status: 'ACCEPTED',
    });
    expect(again.body).toMatchObject({ fileId: accepted.body?.fileId, created: false });
    expect(file).toMatchObject({ dataset: 'demand-predictions', version: 1, status: 'FRESH' });
    const version = await api(ctx.info, '/datasets/demand-predictions/versions/1', { apiKey });
    expect(version.body).toMatchObject({
      rowCount: 7,
      links: { model: { name: 'forecaster', version: '1.2.0' }, input: { dataset: 'demand', version: 1 } },
    });
    const predictionsNode = `dataset-version:${tenant}/demand-predictions/v1`;
    const incoming = await ctx.doc.send(
      new QueryCommand({
        TableName: String(ctx.info.outputs.LineageTableName),
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :to',
        ExpressionAttributeValues: { ':to': predictionsNode },
      }),
    );
    expect((incoming.Items ?? []).map((e) => [e.type, e.from]).sort()).toEqual([
      ['derived_from', `dataset-version:${tenant}/demand/v1`],
      ['produced', expect.stringMatching(new RegExp(`^file:${tenant}/f_`))],
      ['scored_by', `model-version:${tenant}/forecaster@1.2.0`],
    ]);
  });

  it('refuses rows without their timestamp and an input version that does not exist', async () => {
    const model = { name: 'forecaster', version: '1.2.0' };
    expect((await post({ model, rows: [{ units_forecast: 1 }] })).status).toBe(400);
    expect((await post({ model, rows: [{ timestamp: '2026-11-01T00:00:00Z' }] })).status).toBe(400);
    expect((await post({ model, input_version: 9, rows: [{ timestamp: 1, y: 1 }] })).status).toBe(404);
    expect(
      (await post({ model: { name: 'Bad Name', version: '1' }, rows: [{ timestamp: 1, y: 1 }] })).status,
    ).toBe(400);
  });
});
