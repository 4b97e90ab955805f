/**
 * Dedup keys across a big file's chunks, on the local cloud: the same CSV (ids repeated within chunks and
 * across them) through the single path and forced into chunks keeps exactly the same rows — the first of
 * each key in file order — and ingests the same number of rows.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cloudContext,
  configureDataset,
  executionArnFor,
  newTenant,
  waitForExecution,
} from '../support/cloud.js';
import { DeltaRs, sortRows } from '../support/delta.js';

const ctx = cloudContext();
const bucket = ctx.info.dataBucket;
let tenant: string;
let apiKey: string;
let deltaRs: DeltaRs;

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'chunk-dedup'));
  deltaRs = await DeltaRs.start(ctx.info);
}, 120_000);

const configure = (dataset: string, config: Record<string, unknown>) =>
  configureDataset(ctx.info, apiKey, dataset, config);

/** 25,000 rows; ids 1…20,000, then 5,000 repeats of early ids (other chunks), and a repeat in place every 97 rows. */
function csv(): string {
  const lines = ['id,label,score'];
  for (let r = 1; r <= 25_000; r++) {
    const id = r > 20_000 ? r - 20_000 : r % 97 === 0 ? r - 1 : r;
    lines.push(`${id},label ${r},${(r * 31) % 1000}`);
  }
  return `${lines.join('\n')}\n`;
}

async function ingest(dataset: string, body: string) {
  const key = `fresh/${tenant}/${dataset}/big.csv`;
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const executionArn = executionArnFor(ctx.info, { bucket, key, versionId: put.VersionId });
  const execution = await waitForExecution(ctx.sfn, executionArn, 180_000);
  expect(execution.status, execution.cause).toBe('SUCCEEDED');
  return JSON.parse(execution.output ?? '{}') as { rows_ingested: number };
}

describe('dedup keys across chunks', () => {
  it('keeps the first row of each key in file order, as the single path does', async () => {
    // Prepare
    await Promise.all([
      configure('whole', { dedupKeys: ['id'] }),
      configure('chunked', { dedupKeys: ['id'], chunkBytes: 64 * 1024 }),
    ]);
    const body = csv();

    // Act
    const [whole, chunked] = await Promise.all([ingest('whole', body), ingest('chunked', body)]);

    // Assess
    const expectedRows = new Set(
      body
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(',')[0]),
    ).size;
    expect(whole.rows_ingested).toBe(expectedRows);
    expect(chunked.rows_ingested).toBe(expectedRows);
    const [single, parts] = await Promise.all([
      deltaRs.read(`s3://${bucket}/tables/${tenant}/whole/`),
      deltaRs.read(`s3://${bucket}/tables/${tenant}/chunked/`),
    ]);
    expect(parts.files.length).toBeGreaterThanOrEqual(4);
    expect(sortRows(parts.rows)).toEqual(sortRows(single.rows));
    // The first row of id 1 is `label 1`, not its repeat `label 20001`.
    expect(parts.rows.find((row) => row.id === 1)?.label).toBe('label 1');
  });
});
