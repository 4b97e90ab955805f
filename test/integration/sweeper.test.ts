/**
 * The sweeper of lost S3 events against the local cloud: objects listed from MinIO, file records in
 * DynamoDB Local, executions of the real ingestion state machine in LocalStack. A lost event is played by the
 * lambda host dropping the notifications of the test's keys (as S3 does with a delivery it gives up on); the
 * object is in the real data bucket, which is all the pipeline's roles may read.
 */
import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOST_S3_EVENTS_PATH } from '../../infra/local/lambda-host.js';
import { DynamoRunStore } from '../../shared/adapters/dynamo/run-store.js';
import { S3ObjectLister } from '../../shared/adapters/s3-object-lister.js';
import { SfnOrchestrator } from '../../shared/adapters/sfn-orchestrator.js';
import { type SweepDeps, sweepFresh } from '../../shared/app/pipeline/sweep.js';
import { fileIdFor } from '../../shared/domain/file-record.js';
import type { Logger } from '../../shared/ports.js';
import { cloudContext, executionArnFor, hostFetch, newTenant, waitForExecution } from '../support/cloud.js';

const ctx = cloudContext();
const csv = readFileSync(new URL('../../events/data/customers.csv', import.meta.url));
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const MINUTE = 60_000;
let tenant: string;

beforeAll(async () => {
  ({ tenant } = await newTenant(ctx, 'sweep'));
});

function deps(bucket: string, at: Date): SweepDeps {
  return {
    objects: new S3ObjectLister(ctx.s3, bucket),
    files: ctx.metadata,
    runs: new DynamoRunStore(ctx.doc, ctx.info.metadataTable),
    orchestrator: new SfnOrchestrator(ctx.sfn, ctx.info.stateMachineArn),
    clock: { now: () => at },
    logger: quiet,
  };
}

const options = { settleMs: 15 * MINUTE, lookbackMs: 3 * 24 * 60 * MINUTE, maxStarts: 10, prefix: '' };

describe('the fresh/ sweeper', () => {
  it('starts the pipeline of a settled object whose event was lost, once', async () => {
    // Prepare: an object in the data bucket whose notification is lost
    const bucket = ctx.info.dataBucket;
    const prefix = `fresh/${tenant}/customers/`;
    // Kept lost to the end: MinIO delivers asynchronously, and the tenant's prefix is this test's alone.
    const lost = await hostFetch(ctx.info, LOST_S3_EVENTS_PATH, {
      method: 'POST',
      body: JSON.stringify({ keyPrefix: prefix }),
    });
    expect(lost.status).toBe(200);
    const key = `${prefix}lost.csv`;
    const put = await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: csv }));
    const ref = { bucket, key, versionId: put.VersionId };

    // Act
    const tooSoon = await sweepFresh(deps(bucket, new Date()), { ...options, prefix });
    const later = new Date(Date.now() + 20 * MINUTE);
    const swept = await sweepFresh(deps(bucket, later), { ...options, prefix });
    const execution = await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref));
    const again = await sweepFresh(deps(bucket, later), { ...options, prefix });

    // Assess
    expect(tooSoon).toMatchObject({ examined: 0, started: [] });
    expect(swept.examined).toBe(1);
    expect(swept.started).toEqual([{ key, executionArn: executionArnFor(ctx.info, ref) }]);
    expect(execution.status).toBe('SUCCEEDED');
    expect(await ctx.metadata.getFile(tenant, fileIdFor(ref))).toMatchObject({ key, version: 1 });
    expect(again).toMatchObject({ examined: 1, started: [], alreadyStarted: 0 });
  });

  it('leaves alone an object whose event arrived: its file record exists', async () => {
    // Prepare
    const key = `fresh/${tenant}/delivered/on-time.csv`;
    const put = await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: csv }));
    const ref = { bucket: ctx.info.dataBucket, key, versionId: put.VersionId };
    await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref));

    // Act
    const swept = await sweepFresh(deps(ctx.info.dataBucket, new Date(Date.now() + 20 * MINUTE)), {
      ...options,
      prefix: `fresh/${tenant}/delivered/`,
    });

    // Assess
    expect(swept).toMatchObject({ examined: 1, started: [], alreadyStarted: 0, more: false });
  });
});
