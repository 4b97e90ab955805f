import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFeatureStore } from '../../shared/client/feature-store.js';
import { fileIdFor } from '../../shared/domain/file-record.js';
import { api, cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';

const ctx = cloudContext();
let tenant: string;
let apiKey: string;
let fileId: string;
let trainingSetId: string;

const json = (method: string, body: unknown) => ({
  apiKey,
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

interface Graph {
  root: string;
  nodes: Array<{ id: string; type: string; name: string; depth: number }>;
  edges: Array<{ from: string; to: string; type: string }>;
  truncated: boolean;
}

beforeAll(async () => {
  // Prepare: file → dataset version → feature version and training set → model version.
  ({ tenant, apiKey } = await newTenant(ctx, 'lineage'));
  const lines = ['loan,ts,amount,defaulted'];
  for (let i = 0; i < 60; i++) {
    lines.push(
      `l${i % 12},${new Date(Date.UTC(2026, 0, 1 + i)).toISOString()},${1000 + 37 * i},${i % 5 === 0}`,
    );
  }
  const key = `fresh/${tenant}/loans/2026-01.csv`;
  const put = await ctx.s3.send(
    new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: `${lines.join('\n')}\n` }),
  );
  const ref = { bucket: ctx.info.dataBucket, key, versionId: put.VersionId };
  expect((await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref))).status).toBe('SUCCEEDED');
  fileId = fileIdFor(ref);

  const features = createFeatureStore({ apiUrl: ctx.info.apiUrl, apiKey });
  await features.register('loan_features', {
    version: '1.0.0',
    source: { dataset: 'loans' },
    entity_keys: ['loan'],
    timestamp_column: 'ts',
    transform: { transforms: [{ kind: 'lag', column: 'amount', lags: [1] }] },
  });
  const trainingSet = await api(ctx.info, '/training-sets', json('POST', { dataset: 'loans' }));
  expect(trainingSet.status).toBe(201);
  trainingSetId = String(trainingSet.body?.id);
  for (const link of [
    { training_set: trainingSetId },
    { feature_version: { name: 'loan_features', version: '1.0.0' } },
  ]) {
    const linked = await api(ctx.info, '/models/risk/versions/1.0.0/links', json('POST', link));
    expect(linked.status).toBe(201);
  }
});

describe('lineage', () => {
  it('answers where a model version’s data came from, down to the raw file, in one call', async () => {
    // Act
    const response = await api(ctx.info, '/lineage/model-version/risk@1.0.0?direction=up', { apiKey });

    // Assess
    const graph = response.body as unknown as Graph;
    expect(response.status).toBe(200);
    const ids = graph.nodes.map((n) => n.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        `model-version:${tenant}/risk@1.0.0`,
        `training-set:${tenant}/${trainingSetId}`,
        `feature-version:${tenant}/loan_features@1.0.0`,
        `dataset-version:${tenant}/loans/v1`,
        `file:${tenant}/${fileId}`,
      ]),
    );
    expect(graph.nodes.find((n) => n.type === 'file')?.depth).toBe(3);
    expect(new Set(graph.edges.map((e) => e.type))).toEqual(
      new Set(['trained_on', 'derived_from', 'produced']),
    );
    expect(graph.truncated).toBe(false);
  });

  it('answers what a file turned into, and draws it as Mermaid', async () => {
    // Act
    const down = await api(ctx.info, `/lineage/file/${fileId}?direction=down`, { apiKey });
    const mermaid = await fetch(`${ctx.info.apiUrl}/lineage/file/${fileId}?direction=down&format=mermaid`, {
      headers: { 'x-api-key': apiKey },
    });

    // Assess
    const graph = down.body as unknown as Graph;
    expect(graph.nodes.map((n) => n.type).sort()).toEqual([
      'dataset-version',
      'feature-version',
      'file',
      'model-version',
      'training-set',
    ]);
    const text = await mermaid.text();
    expect(mermaid.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(text.startsWith('flowchart LR\n')).toBe(true);
    expect(text).toContain('-->|trained_on|');
    expect(text).toContain('model-version: risk@1.0.0');
  });

  it('keeps model links idempotent and refuses links to nothing', async () => {
    // Act
    await api(ctx.info, '/models/risk/versions/1.0.0/links', json('POST', { training_set: trainingSetId }));
    const model = await api(ctx.info, '/models/risk/versions/1.0.0', { apiKey });
    const missing = await api(
      ctx.info,
      '/models/risk/versions/1.0.0/links',
      json('POST', { dataset_version: { dataset: 'loans', version: 9 } }),
    );

    // Assess
    expect(model.status).toBe(200);
    expect(model.body?.links).toHaveLength(2);
    expect(missing.status).toBe(404);
    expect((await api(ctx.info, '/models/nobody/versions/1.0.0', { apiKey })).status).toBe(404);
  });

  it('shows another tenant nothing of this tenant’s graph', async () => {
    // Prepare
    const other = await newTenant(ctx, 'stranger');

    // Act
    const response = await api(ctx.info, '/lineage/model-version/risk@1.0.0?direction=up', {
      apiKey: other.apiKey,
    });

    // Assess
    const graph = response.body as unknown as Graph;
    expect(graph.root).toBe(`model-version:${other.tenant}/risk@1.0.0`);
    expect(graph.nodes).toHaveLength(1);
    expect(graph.edges).toEqual([]);
    expect((await api(ctx.info, '/lineage/nonsense/x', { apiKey })).status).toBe(400);
  });
});
