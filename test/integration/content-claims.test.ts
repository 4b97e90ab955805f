/**
 * The content-hash claim (`HASH#<sha256>` under the dataset) makes the same bytes uploaded twice one file
 * and one DUPLICATE. A file that no longer stands for its content (quarantined, or its object deleted by
 * retention) releases its claim, so the same bytes uploaded again are ingested as a new file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../shared/adapters/dynamo/keys.js';
import { DynamoLifecycleStore } from '../../shared/adapters/dynamo/lifecycle-store.js';
import {
  executionNameFor,
  type FileRecord,
  fileIdFor,
  type ObjectRef,
} from '../../shared/domain/file-record.js';
import { manifestKey } from '../../shared/domain/object-key.js';
import type { FileFailure } from '../../shared/ports.js';
import { api, cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';

const ctx = cloudContext();
const bucket = ctx.info.dataBucket;
let tenant: string;
let apiKey: string;

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'claims'));
});

type Json = Record<string, unknown>;

async function ingest(key: string, body: string) {
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const ref: ObjectRef = { bucket, key, versionId: put.VersionId };
  const execution = await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref), 90_000);
  return { ref, execution, fileId: fileIdFor(ref), runId: executionNameFor(ref) };
}

function call(path: string, body?: unknown, method = 'POST', key = apiKey) {
  return api(ctx.info, path, {
    apiKey: key,
    method,
    ...(body !== undefined && {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  });
}

async function postSuite(dataset: string, maxAge: number) {
  const response = await call(`/datasets/${dataset}/validation-suite`, {
    checks: [{ type: 'range', column: 'age', min: 0, max: maxAge }],
  });
  expect(response.status).toBe(200);
}

/** A file the dataset's suite (max age 120) quarantines in validate, then the suite fixed (max 250). */
async function quarantinedThenSuiteFixed(dataset: string, body: string) {
  await postSuite(dataset, 120);
  const first = await ingest(`fresh/${tenant}/${dataset}/people.csv`, body);
  expect(first.execution.status).toBe('FAILED');
  expect(first.execution.error).toBe('ValidationFailedError');
  await postSuite(dataset, 250);
  return first;
}

const people = () => `name,age\nann,34\nbob,212\n${randomBytes(4).toString('hex')},50\n`;

describe('the bytes of a quarantined file', () => {
  it('are ingested as a new file when uploaded again, not marked a duplicate of the quarantined one', async () => {
    // Prepare
    const body = people();
    const first = await quarantinedThenSuiteFixed('ages', body);

    // Act
    const again = await ingest(`fresh/${tenant}/ages/people-fixed.csv`, body);

    // Assess
    expect(again.execution.status, again.execution.cause).toBe('SUCCEEDED');
    expect(JSON.parse(again.execution.output ?? '{}')).toMatchObject({ status: 'VERSIONED', version: 1 });
    const file = await ctx.metadata.getFile(tenant, again.fileId);
    expect(file).toMatchObject({ status: 'FRESH', version: 1 });
    expect(file?.duplicateOf).toBeUndefined();
    expect(await ctx.metadata.getFile(tenant, first.fileId)).toMatchObject({ status: 'QUARANTINED' });
  });

  it('are claimed again by a retried run, so the same bytes uploaded after it are its duplicate', async () => {
    // Prepare
    const body = people();
    const first = await quarantinedThenSuiteFixed('heights', body);

    // Act
    const retried = await call(`/runs/${first.runId}/retry`);
    const execution = await waitForExecution(ctx.sfn, String(retried.body?.executionArn), 90_000);
    const later = await ingest(`fresh/${tenant}/heights/people-later.csv`, body);

    // Assess
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    expect(await ctx.metadata.getFile(tenant, first.fileId)).toMatchObject({ status: 'FRESH', version: 1 });
    expect(later.execution.status).toBe('SUCCEEDED');
    expect(await ctx.metadata.getFile(tenant, later.fileId)).toMatchObject({
      status: 'DUPLICATE',
      duplicateOf: first.fileId,
    });
  });

  it('make a retried run a duplicate of the upload that was ingested meanwhile', async () => {
    // Prepare: the same bytes uploaded again and versioned while the first file stayed quarantined
    const body = people();
    const first = await quarantinedThenSuiteFixed('weights', body);
    const again = await ingest(`fresh/${tenant}/weights/people-fixed.csv`, body);
    expect(again.execution.status, again.execution.cause).toBe('SUCCEEDED');

    // Act
    const retried = await call(`/runs/${first.runId}/retry`);
    const execution = await waitForExecution(ctx.sfn, String(retried.body?.executionArn), 90_000);

    // Assess
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    expect((await call(`/runs/${String(retried.body?.runId)}`, undefined, 'GET')).body).toMatchObject({
      status: 'SUCCEEDED',
      outcome: 'DUPLICATE',
    });
    expect(await ctx.metadata.getFile(tenant, first.fileId)).toMatchObject({
      status: 'DUPLICATE',
      duplicateOf: again.fileId,
      previousFailures: [expect.objectContaining({ stage: 'validate', errorName: 'ValidationFailedError' })],
    });
    expect(await ctx.metadata.getDataset(tenant, 'weights')).toMatchObject({
      fileCount: 1,
      duplicateCount: 1,
      currentVersion: 1,
    });
  });
});

describe('the bytes of a file whose object retention deleted', () => {
  it('are ingested as a new file when uploaded again', async () => {
    // Prepare: a versioned file, used by a training job, deprecated, then deleted without grace
    const owner = await newTenant(ctx, 'claims-retention');
    const body = people();
    const first = await ingest(`fresh/${owner.tenant}/events/part.csv`, body);
    expect(first.execution.status, first.execution.cause).toBe('SUCCEEDED');
    const trainingSetId = `ts_${randomBytes(8).toString('hex')}`;
    await ctx.metadata.putTrainingSet({
      id: trainingSetId,
      tenant: owner.tenant,
      createdAt: new Date().toISOString(),
      manifestKey: manifestKey(owner.tenant, trainingSetId),
      criteria: {},
      selection: 'fresh',
      fileIds: [first.fileId],
      totals: { files: 1, rows: 3, bytes: body.length },
    });
    const consumed = await call(
      `/training-sets/${trainingSetId}/consume`,
      { job_id: 'job' },
      'POST',
      owner.apiKey,
    );
    expect(consumed.body).toMatchObject({ complete: true });
    expect(
      (await call('/cleanup', { days_old: 0, dry_run: false }, 'POST', owner.apiKey)).body,
    ).toMatchObject({
      totals: { deprecated: 1 },
    });
    await call('/retention-policy', { days_old: 0, grace_days: 0 }, 'PUT', owner.apiKey);
    expect((await call('/cleanup', { dry_run: false }, 'POST', owner.apiKey)).body).toMatchObject({
      totals: { deleted: 1 },
    });

    // Act
    const again = await ingest(`fresh/${owner.tenant}/events/part-again.csv`, body);

    // Assess
    expect(again.execution.status, again.execution.cause).toBe('SUCCEEDED');
    expect(JSON.parse(again.execution.output ?? '{}')).toMatchObject({ status: 'VERSIONED', version: 2 });
    expect(await ctx.metadata.getFile(owner.tenant, again.fileId)).toMatchObject({ status: 'FRESH' });
    expect(await ctx.metadata.getFile(owner.tenant, first.fileId)).toMatchObject({
      status: 'DEPRECATED',
      deletedAt: expect.any(String),
    });
  });
});

describe('releasing a content-hash claim', () => {
  const lifecycle = new DynamoLifecycleStore(ctx.doc, ctx.info.metadataTable);
  const dataset = 'claims';

  function fileRecord(sha256: string): FileRecord {
    const fileId = `f_${randomBytes(16).toString('hex')}`;
    const at = new Date().toISOString();
    return {
      fileId,
      tenant,
      dataset,
      bucket,
      key: `fresh/${tenant}/${dataset}/${fileId}.csv`,
      objectVersion: fileId,
      fileName: `${fileId}.csv`,
      sha256,
      size: 10,
      format: 'csv',
      dataType: 'custom',
      status: 'FRESH',
      stage: 'register',
      uploadedAt: at,
      registeredAt: at,
    };
  }

  function failure(file: FileRecord): FileFailure {
    return {
      tenant,
      dataset,
      fileId: file.fileId,
      bucket,
      key: file.key,
      stage: 'validate',
      errorName: 'ValidationFailedError',
      message: 'age out of range',
      quarantineKey: file.key.replace(/^fresh\//, 'quarantine/'),
      at: new Date().toISOString(),
    };
  }

  async function claimOf(sha256: string) {
    const item = await ctx.doc.send(
      new GetCommand({
        TableName: ctx.info.metadataTable,
        Key: { pk: keys.byDataset(tenant, dataset), sk: keys.hash(sha256) },
        ConsistentRead: true,
      }),
    );
    return item.Item?.fileId as string | undefined;
  }

  /** Sets fields on a file record directly, as records written before claims were released look. */
  async function setOnFile(fileId: string, fields: Json) {
    const names = Object.keys(fields);
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.info.metadataTable,
        Key: { pk: keys.tenant(tenant), sk: keys.file(fileId) },
        UpdateExpression: `SET ${names.map((_, i) => `#n${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#n${i}`, n])),
        ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:v${i}`, fields[n]])),
      }),
    );
  }

  const newHash = () => createHash('sha256').update(randomBytes(16)).digest('hex');

  it('never releases a claim another file holds, however often a quarantine is delivered', async () => {
    // Prepare: the first file quarantined, then the same bytes registered as a second file
    const sha256 = newHash();
    const first = fileRecord(sha256);
    const second = fileRecord(sha256);
    await ctx.metadata.registerFile(first);
    await ctx.metadata.recordFailure(failure(first));
    const registered = await ctx.metadata.registerFile(second);

    // Act: the first file's quarantine, delivered twice more
    await ctx.metadata.recordFailure(failure(first));
    await ctx.metadata.recordFailure(failure(first));
    const third = await ctx.metadata.registerFile(fileRecord(sha256));

    // Assess
    expect(registered.outcome).toBe('registered');
    expect(await claimOf(sha256)).toBe(second.fileId);
    expect(third).toMatchObject({ outcome: 'duplicate', record: { duplicateOf: second.fileId } });
    expect(await ctx.metadata.getFile(tenant, first.fileId)).toMatchObject({ status: 'QUARANTINED' });
  });

  it('marks a deleted file once and releases its claim, never the next holder’s', async () => {
    // Prepare: a registered file that retention deprecated
    const sha256 = newHash();
    const first = fileRecord(sha256);
    await ctx.metadata.registerFile(first);
    await setOnFile(first.fileId, { status: 'DEPRECATED', deprecatedAt: new Date().toISOString() });

    // Act: two cleanups mark it, the same bytes come again, and a late cleanup marks it once more
    const marked = await lifecycle.markDeleted(first, new Date().toISOString());
    const markedAgain = await lifecycle.markDeleted(first, new Date().toISOString());
    const released = await claimOf(sha256);
    const second = fileRecord(sha256);
    const registered = await ctx.metadata.registerFile(second);
    const late = await lifecycle.markDeleted(first, new Date().toISOString());

    // Assess
    expect([marked, markedAgain, late]).toEqual([true, false, false]);
    expect(released).toBeUndefined();
    expect(registered.outcome).toBe('registered');
    expect(await claimOf(sha256)).toBe(second.fileId);
    expect(await ctx.metadata.getFile(tenant, first.fileId)).toMatchObject({ deletedAt: expect.any(String) });
  });

  it('takes over a claim a quarantined or deleted file kept from before claims were released', async () => {
    // Prepare: records as quarantine and retention left them while they did not release claims
    const quarantinedHash = newHash();
    const quarantined = fileRecord(quarantinedHash);
    await ctx.metadata.registerFile(quarantined);
    await setOnFile(quarantined.fileId, { status: 'QUARANTINED' });
    const deletedHash = newHash();
    const deleted = fileRecord(deletedHash);
    await ctx.metadata.registerFile(deleted);
    await setOnFile(deleted.fileId, { status: 'DEPRECATED', deletedAt: new Date().toISOString() });

    // Act
    const afterQuarantine = await ctx.metadata.registerFile(fileRecord(quarantinedHash));
    const afterDeletion = await ctx.metadata.registerFile(fileRecord(deletedHash));

    // Assess
    expect(afterQuarantine.outcome).toBe('registered');
    expect(await claimOf(quarantinedHash)).toBe(afterQuarantine.record.fileId);
    expect(afterDeletion.outcome).toBe('registered');
    expect(await claimOf(deletedHash)).toBe(afterDeletion.record.fileId);
  });

  it('re-admits a quarantined file with its claim, or as the duplicate of the file holding it now', async () => {
    // Prepare: two quarantined files; the second one's bytes registered again meanwhile
    const ownHash = newHash();
    const alone = fileRecord(ownHash);
    await ctx.metadata.registerFile(alone);
    await ctx.metadata.recordFailure(failure(alone));
    const takenHash = newHash();
    const overtaken = fileRecord(takenHash);
    await ctx.metadata.registerFile(overtaken);
    await ctx.metadata.recordFailure(failure(overtaken));
    const newer = fileRecord(takenHash);
    await ctx.metadata.registerFile(newer);
    const before = await ctx.metadata.getDataset(tenant, dataset);
    const at = new Date().toISOString();

    // Act: what the register stage of retried runs does, twice
    const readmitted = await ctx.metadata.readmitFile(
      (await ctx.metadata.getFile(tenant, alone.fileId)) as FileRecord,
      at,
    );
    const duplicate = await ctx.metadata.readmitFile(
      (await ctx.metadata.getFile(tenant, overtaken.fileId)) as FileRecord,
      at,
    );
    const repeated = await ctx.metadata.readmitFile(
      (await ctx.metadata.getFile(tenant, overtaken.fileId)) as FileRecord,
      at,
    );

    // Assess
    expect(readmitted).toMatchObject({ status: 'FRESH', readmittedAt: at });
    expect(await claimOf(ownHash)).toBe(alone.fileId);
    expect(duplicate).toMatchObject({
      status: 'DUPLICATE',
      duplicateOf: newer.fileId,
      previousFailures: [expect.objectContaining({ errorName: 'ValidationFailedError' })],
    });
    expect(duplicate?.failure).toBeUndefined();
    expect(await claimOf(takenHash)).toBe(newer.fileId);
    expect(repeated).toBeUndefined();
    const after = await ctx.metadata.getDataset(tenant, dataset);
    expect(after?.fileCount).toBe((before?.fileCount ?? 0) - 1);
    expect(after?.duplicateCount).toBe((before?.duplicateCount ?? 0) + 1);
  });
});
