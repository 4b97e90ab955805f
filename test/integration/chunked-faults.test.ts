/**
 * Bad input in a big file's chunks, on the local cloud: the file is quarantined with the error the single
 * path would raise, under its own name (a chunk's error is raised again by the settle or the merge), and
 * nothing is committed. Each dataset forces many chunks out of a small file (`chunkBytes` 64 KiB).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileIdFor } from '../../shared/domain/file-record.js';
import {
  api,
  cloudContext,
  configureDataset,
  executionArnFor,
  newTenant,
  waitForExecution,
} from '../support/cloud.js';

const ctx = cloudContext();
const bucket = ctx.info.dataBucket;
let tenant: string;
let apiKey: string;

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'chunk-faults'));
}, 60_000);

const configure = (dataset: string, config: Record<string, unknown>) =>
  configureDataset(ctx.info, apiKey, dataset, config);

/** ~600 KB of `id,name,score` rows (about ten 64 KiB chunks), `bad` replacing row `at`. */
function csv(rows: number, at: number, bad: string): string {
  const lines = ['id,name,score'];
  for (let r = 1; r <= rows; r++) lines.push(r === at ? bad : `${r},name ${r % 97},${(r * 7) % 1000}`);
  return `${lines.join('\n')}\n`;
}

async function ingest(dataset: string, body: string) {
  const key = `fresh/${tenant}/${dataset}/big.csv`;
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const ref = { bucket, key, versionId: put.VersionId };
  const execution = await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref), 180_000);
  return { execution, record: await ctx.metadata.getFile(tenant, fileIdFor(ref)) };
}

describe('bad input in a big file’s chunks', () => {
  it('quarantines a ragged row deep in the file as a ParseError, and commits nothing', async () => {
    // Prepare
    await configure('ragged', { chunkBytes: 64 * 1024 });

    // Act
    const { execution, record } = await ingest('ragged', csv(25_000, 18_000, '18000,oops'));

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('ParseError');
    expect(record).toMatchObject({ status: 'QUARANTINED', failure: { errorName: 'ParseError' } });
    expect(record?.failure?.message).toMatch(/ragged row: 2 fields where the first row has 3/);
    const versions = await api(ctx.info, '/datasets/ragged/versions', { apiKey });
    expect(versions.body?.versions ?? []).toHaveLength(0);
  });

  it('quarantines type override failures across chunks above the error budget, counted over the whole file', async () => {
    // Prepare: 30 of 25,000 scores are not ints (0.12%), spread over several chunks.
    await configure('budget', {
      chunkBytes: 64 * 1024,
      typeOverrides: { score: 'int' },
      maxErrorRate: 0.001,
    });
    const lines = csv(25_000, 0, '').split('\n');
    for (let i = 0; i < 30; i++) {
      const row = 1 + i * 800;
      lines[row] = `${row},bad ${row},not-a-number`;
    }

    // Act
    const { execution, record } = await ingest('budget', lines.join('\n'));

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('ParseError');
    expect(record?.failure?.message).toMatch(
      /30 of 25000 records failed, above the allowed error rate 0\.001/,
    );
  });

  it('accepts the same failures within the budget, leaving the failed records out', async () => {
    // Prepare
    await configure('within', { chunkBytes: 64 * 1024, typeOverrides: { score: 'int' }, maxErrorRate: 0.01 });
    const lines = csv(25_000, 0, '').split('\n');
    for (let i = 0; i < 30; i++) {
      const row = 1 + i * 800;
      lines[row] = `${row},bad ${row},not-a-number`;
    }

    // Act
    const { execution } = await ingest('within', lines.join('\n'));

    // Assess
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output ?? '{}') as { rows_ingested: number };
    expect(output.rows_ingested).toBe(25_000 - 30);
  });
});
