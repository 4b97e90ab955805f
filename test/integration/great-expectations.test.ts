import { readFileSync } from 'node:fs';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileIdFor, type ObjectRef } from '../../shared/domain/file-record.js';
import { api, cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';

const ctx = cloudContext();
const GE_SUITE = readFileSync(
  new URL('../../events/great-expectations/orders-suite.json', import.meta.url),
  'utf8',
);
let tenant: string;
let apiKey: string;
let other: { tenant: string; apiKey: string };

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'gexp'));
  other = await newTenant(ctx, 'gexp-other');
});

async function ingest(key: string, body: string) {
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: body }));
  const ref: ObjectRef = { bucket: ctx.info.dataBucket, key, versionId: put.VersionId };
  const execution = await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref));
  return { ref, execution, output: JSON.parse(execution.output ?? '{}') as Record<string, unknown> };
}

async function json(key: string): Promise<Record<string, unknown>> {
  const object = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.info.dataBucket, Key: key }));
  return JSON.parse((await object.Body?.transformToString()) ?? 'null');
}

function postSuite(dataset: string, body: string, key = apiKey) {
  return api(ctx.info, `/datasets/${dataset}/validation-suite`, {
    apiKey: key,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
}

/** Orders the suite's converted expectations accept: 40 rows, 2 e-mails bad (within its mostly 0.9). */
function ordersCsv(status: (i: number) => string): string {
  const lines = ['order_id,customer_id,amount,email,status,ordered_at,country'];
  for (let i = 0; i < 40; i++) {
    const email = i < 2 ? 'not-an-address' : `user${i}@example.com`;
    const day = String(1 + (i % 28)).padStart(2, '0');
    lines.push(
      `${i + 1},${100 + i},${20 + (i % 7) * 10}.5,${email},${status(i)},2026-01-${day}T10:00:00Z,DE`,
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('a Great Expectations suite as a dataset’s validation suite', () => {
  it('is converted on POST, lists what it left out, and the validate stage applies what it took', async () => {
    // Act: import the suite
    const posted = await postSuite('orders', GE_SUITE);

    // Assess: the answer says what became of every expectation
    expect(posted.status).toBe(200);
    expect(posted.body).toMatchObject({ dataset: 'orders', format: 'great_expectations' });
    const unsupported = posted.body?.unsupported as Array<{
      expectation_type: string;
      column?: string;
      reason: string;
    }>;
    expect(unsupported.map((u) => [u.expectation_type, u.column])).toEqual([
      ['expect_column_value_lengths_to_be_between', 'country'],
      ['expect_column_pair_values_A_to_be_greater_than_B', undefined],
      ['expect_column_values_to_be_in_set', 'country'],
      ['expect_column_to_exist', 'customer_id'],
    ]);
    expect(unsupported[2]?.reason).toContain('row_condition');
    expect(posted.body?.converted).toHaveLength(14);
    const stored = await api(ctx.info, '/datasets/orders', { apiKey });
    expect(stored.body).toMatchObject({ suiteSource: 'api', validationSuite: posted.body?.suite });

    // Act: a clean file, then one with a status outside the expectation's set
    const clean = await ingest(
      `fresh/${tenant}/orders/clean.csv`,
      ordersCsv(() => 'placed'),
    );
    const bad = await ingest(
      `fresh/${tenant}/orders/bad.csv`,
      ordersCsv((i) => (i === 7 ? 'lost' : 'shipped')),
    );

    // Assess: the clean one is versioned, the bad one quarantined by the converted check
    expect(clean.execution.status, clean.execution.cause).toBe('SUCCEEDED');
    expect(clean.output).toMatchObject({ status: 'VERSIONED', version: 1 });
    expect(bad.execution.status).toBe('FAILED');
    expect(bad.execution.error).toBe('ValidationFailedError');
    const fileId = fileIdFor(bad.ref);
    const file = await api(ctx.info, `/files/${fileId}`, { apiKey });
    expect(file.body).toMatchObject({ validation: { status: 'FAILED', errors: 1 } });
    const report = await json(`reports/${tenant}/orders/${fileId}/validation.json`);
    const failed = (report.checks as Array<Record<string, unknown>>).filter((c) => !c.passed);
    expect(failed).toEqual([
      expect.objectContaining({
        name: 'expect_column_values_to_be_in_set(status)',
        type: 'allowed_values',
        failedRows: 1,
        samples: ['lost'],
      }),
    ]);
    const email = (report.checks as Array<Record<string, unknown>>).find(
      (c) => c.name === 'expect_column_values_to_match_regex(email)',
    );
    expect(email).toMatchObject({ passed: true, failedRows: 2 });
  });

  it('refuses a malformed GE suite naming the field, and one strata can check nothing of', async () => {
    // Act
    const malformed = await postSuite('orders-bad', JSON.stringify({ expectations: [{ kwargs: {} }] }));
    const nothing = await postSuite(
      'orders-bad',
      JSON.stringify({
        expectation_suite_name: 'x',
        expectations: [
          { expectation_type: 'expect_column_kl_divergence_to_be_less_than', kwargs: { column: 'a' } },
        ],
      }),
    );

    // Assess
    expect(malformed.status).toBe(400);
    expect(malformed.body?.message).toContain(
      'expectations.0: an expectation needs expectation_type (or type)',
    );
    expect(nothing.status).toBe(400);
    expect(nothing.body?.message).toContain('none of the 1 expectations');
    expect((await api(ctx.info, '/datasets/orders-bad', { apiKey })).status).toBe(404);
  });

  it('another tenant’s key neither reads the suite nor changes it: its POST sets a dataset of its own', async () => {
    // Prepare
    const before = await api(ctx.info, '/datasets/orders', { apiKey });

    // Act
    const read = await api(ctx.info, '/datasets/orders', { apiKey: other.apiKey });
    const driftSettings = await api(ctx.info, '/datasets/orders/drift-settings', { apiKey: other.apiKey });
    const theirs = await postSuite(
      'orders',
      JSON.stringify({ checks: [{ type: 'row_count', max: 1 }] }),
      other.apiKey,
    );

    // Assess
    expect(read.status).toBe(404);
    expect(driftSettings.status).toBe(404);
    expect(theirs.status).toBe(200);
    expect(theirs.body).toMatchObject({ format: 'strata', converted: [], unsupported: [] });
    const after = await api(ctx.info, '/datasets/orders', { apiKey });
    expect(after.body?.validationSuite).toEqual(before.body?.validationSuite);
    const ownView = await api(ctx.info, '/datasets/orders', { apiKey: other.apiKey });
    expect(ownView.body).toMatchObject({ validationSuite: { checks: [{ type: 'row_count', max: 1 }] } });
  });
});
