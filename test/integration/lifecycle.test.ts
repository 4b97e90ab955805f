import { createHash, randomBytes } from 'node:crypto';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoLifecycleStore } from '../../shared/adapters/dynamo/lifecycle-store.js';
import { S3ObjectStore } from '../../shared/adapters/s3-object-store.js';
import { type ConsumeDeps, consumeTrainingSet } from '../../shared/app/lifecycle/consumption.js';
import { type FileRecord, fileIdFor } from '../../shared/domain/file-record.js';
import { manifestKey } from '../../shared/domain/object-key.js';
import { type Logger, type ObjectStore, systemClock } from '../../shared/ports.js';
import {
  api,
  cloudContext,
  executionArnFor,
  hostFetch,
  newTenant,
  waitForExecution,
} from '../support/cloud.js';

const ctx = cloudContext();
const bucket = ctx.info.dataBucket;
const lifecycle = new DynamoLifecycleStore(ctx.doc, ctx.info.metadataTable);
const store = new S3ObjectStore(ctx.s3, bucket);
const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

interface Ingested {
  fileId: string;
  key: string;
  versionId: string;
  size: number;
}

/** Drops files under fresh/ and waits for their pipeline runs: FRESH records with READY versions. */
async function ingest(tenant: string, dataset: string, count: number): Promise<Ingested[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const key = `fresh/${tenant}/${dataset}/part-${i}.csv`;
      // Distinct content per file: the same bytes twice in a dataset would be a DUPLICATE.
      const body = `id,value\n${i},${randomBytes(8).toString('hex')}\n`;
      const put = await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      const ref = { bucket, key, versionId: put.VersionId };
      const execution = await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref));
      expect(execution.status, execution.cause).toBe('SUCCEEDED');
      return { fileId: fileIdFor(ref), key, versionId: put.VersionId as string, size: body.length };
    }),
  );
}

/** A training-set record as the selection route writes it (the consume route reads only the record). */
async function trainingSet(tenant: string, files: readonly Ingested[]): Promise<string> {
  const id = `ts_${randomBytes(8).toString('hex')}`;
  await ctx.metadata.putTrainingSet({
    id,
    tenant,
    createdAt: new Date().toISOString(),
    manifestKey: manifestKey(tenant, id),
    criteria: {},
    selection: 'fresh',
    fileIds: files.map((f) => f.fileId),
    totals: { files: files.length, rows: files.length, bytes: files.reduce((n, f) => n + f.size, 0) },
  });
  return id;
}

function consume(apiKey: string, id: string, jobId: string) {
  return api(ctx.info, `/training-sets/${id}/consume`, {
    apiKey,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ job_id: jobId }),
  });
}

function post(apiKey: string, path: string, body: unknown, method = 'POST') {
  return api(ctx.info, path, {
    apiKey,
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function fileRecord(tenant: string, fileId: string): Promise<FileRecord> {
  const record = await lifecycle.getFileConsistent(tenant, fileId);
  if (!record) throw new Error(`no record for ${fileId}`);
  return record;
}

/** Whether the key has a current object (a delete marker on top counts as absent). */
async function current(key: string): Promise<boolean> {
  try {
    await ctx.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'NotFound') return false;
    throw error;
  }
}

async function versionsOf(key: string) {
  const listing = await ctx.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  return {
    versions: (listing.Versions ?? []).filter((v) => v.Key === key).map((v) => v.VersionId),
    deleteMarkers: (listing.DeleteMarkers ?? []).filter((m) => m.Key === key).length,
  };
}

/** The scheduler, through the local host's Lambda Invoke API (as EventBridge would, minus the day). */
async function runScheduler(tenants: string[]) {
  const name = ctx.info.outputs.LifecycleSchedulerName;
  const response = await hostFetch(ctx.info, `/2015-03-31/functions/${name}/invocations`, {
    method: 'POST',
    body: JSON.stringify({ tenants }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  expect(response.headers.get('x-amz-function-error'), JSON.stringify(body)).toBeNull();
  return body;
}

/** The object store with one step that fails once: `copy` after copying, `delete` before deleting. */
function failingOnce(step: 'copy' | 'delete'): ObjectStore {
  const wrapped = Object.create(store) as ObjectStore;
  let failed = false;
  const fail = () => {
    if (failed) return;
    failed = true;
    throw new Error(`injected ${step} failure`);
  };
  wrapped.copy = async (from, toKey) => {
    await store.copy(from, toKey);
    if (step === 'copy') fail();
  };
  wrapped.delete = async (key) => {
    if (step === 'delete') fail();
    await store.delete(key);
  };
  return wrapped;
}

const usedKey = (key: string) => key.replace(/^fresh\//, 'used/');
const archivedKey = (key: string) => key.replace(/^fresh\//, 'archived/');

let consumer: { tenant: string; apiKey: string; files: Ingested[] };
let concurrent: { tenant: string; apiKey: string; files: Ingested[] };
let interrupted: { tenant: string; apiKey: string; files: Ingested[] };
let retention: { tenant: string; apiKey: string; files: Ingested[] };
let selected: { tenant: string; apiKey: string; files: Ingested[] };

beforeAll(async () => {
  const prepare = async (label: string, count: number) => {
    const { tenant, apiKey } = await newTenant(ctx, label);
    return { tenant, apiKey, files: await ingest(tenant, 'events', count) };
  };
  [consumer, concurrent, interrupted, retention, selected] = await Promise.all([
    prepare('consume', 2),
    prepare('concurrent', 2),
    prepare('repair', 2),
    prepare('retention', 2),
    prepare('select', 2),
  ]);
}, 180_000);

describe('POST /training-sets/{id}/consume', () => {
  it('counts a file once per job however often the job reports it, and moves it to used/', async () => {
    // Prepare
    const { tenant, apiKey, files } = consumer;
    const id = await trainingSet(tenant, files);

    // Act
    const first = await consume(apiKey, id, 'job-1');
    const second = await consume(apiKey, id, 'job-1');

    // Assess
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({
      trainingSetId: id,
      jobId: 'job-1',
      files: 2,
      counted: expect.arrayContaining(files.map((f) => f.fileId)),
      skipped: [],
      complete: true,
      pendingMoves: [],
      replayed: false,
    });
    expect(first.body?.moved).toHaveLength(2);
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ ...first.body, replayed: true });
    for (const file of files) {
      const record = await fileRecord(tenant, file.fileId);
      expect(record).toMatchObject({
        status: 'USED',
        key: usedKey(file.key),
        usageCount: 1,
        trainingJobs: ['job-1'],
        usageHistory: [expect.objectContaining({ jobId: 'job-1', trainingSetId: id })],
        stateHistory: [expect.objectContaining({ from: 'FRESH', to: 'USED', jobId: 'job-1' })],
      });
      expect(await current(usedKey(file.key))).toBe(true);
      // The fresh/ key has a delete marker; the uploaded version itself is kept.
      expect(await current(file.key)).toBe(false);
      expect(await versionsOf(file.key)).toEqual({ versions: [file.versionId], deleteMarkers: 1 });
    }
  });

  it('counts again for another job, and archives a file used more than the policy allows', async () => {
    // Prepare: archive after more than 1 use
    const { tenant, apiKey, files } = consumer;
    const policy = await post(apiKey, '/retention-policy', { days_old: 365, archive_after_uses: 1 }, 'PUT');
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    const id = await trainingSet(tenant, files);

    // Act
    const result = await consume(apiKey, id, 'job-2');

    // Assess
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.body?.moved).toEqual(
      files.map((f) => expect.objectContaining({ fileId: f.fileId, from: 'USED', to: 'ARCHIVED' })),
    );
    for (const file of files) {
      expect(await fileRecord(tenant, file.fileId)).toMatchObject({
        status: 'ARCHIVED',
        key: archivedKey(file.key),
        usageCount: 2,
        trainingJobs: ['job-1', 'job-2'],
      });
      expect(await current(archivedKey(file.key))).toBe(true);
      expect(await current(usedKey(file.key))).toBe(false);
    }
  });

  it('counts once when ten callers consume the same training set for the same job at once', async () => {
    // Prepare
    const { tenant, apiKey, files } = concurrent;
    const id = await trainingSet(tenant, files);
    const deps: ConsumeDeps = {
      trainingSets: ctx.metadata,
      lifecycle,
      store,
      clock: systemClock,
      logger: quiet,
    };

    // Act: ten HTTP callers for one job, then ten in-process workers (no worker-pool limit) for another
    const overHttp = await Promise.all(Array.from({ length: 10 }, () => consume(apiKey, id, 'job-a')));
    const inProcess = await Promise.all(
      Array.from({ length: 10 }, () => consumeTrainingSet(deps, tenant, id, 'job-b')),
    );

    // Assess
    for (const response of overHttp) expect(response.status, JSON.stringify(response.body)).toBe(200);
    // One answer for everyone (whether it was computed, or read back as the stored one).
    const answer = ({ replayed: _, ...rest }: Record<string, unknown> = {}) => rest;
    for (const response of overHttp) expect(answer(response.body)).toEqual(answer(overHttp[0]?.body));
    for (const result of inProcess) expect(answer({ ...result })).toEqual(answer({ ...inProcess[0] }));
    expect(overHttp[0]?.body?.counted).toHaveLength(2);
    expect(inProcess[0]?.counted).toHaveLength(2);
    for (const file of files) {
      const record = await fileRecord(tenant, file.fileId);
      expect(record).toMatchObject({ status: 'USED', key: usedKey(file.key), usageCount: 2 });
      expect(record.usageHistory?.map((u) => u.jobId).sort()).toEqual(['job-a', 'job-b']);
      expect(record.stateHistory).toHaveLength(1);
      expect(await versionsOf(file.key)).toMatchObject({ versions: [file.versionId] });
    }
    expect(await lifecycle.getMove(tenant, files[0]?.fileId ?? '')).toBeUndefined();
  });

  it('moves two uploads to the same key without overwriting either, one to its fallback key', async () => {
    // Prepare: the same fresh/ key uploaded twice with different bytes: two files, two S3 versions
    const { tenant, apiKey } = await newTenant(ctx, 'samekey');
    const key = `fresh/${tenant}/events/same.csv`;
    const uploads: Ingested[] = [];
    for (const value of ['first', 'second']) {
      const body = `id,value\n1,${value}\n`;
      const put = await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      const ref = { bucket, key, versionId: put.VersionId };
      expect((await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref))).status).toBe('SUCCEEDED');
      uploads.push({ fileId: fileIdFor(ref), key, versionId: put.VersionId as string, size: body.length });
    }
    const id = await trainingSet(tenant, uploads);

    // Act
    const result = await consume(apiKey, id, 'job-k');

    // Assess
    expect(result.body).toMatchObject({ complete: true, counted: expect.any(Array) });
    const records = await Promise.all(uploads.map((u) => fileRecord(tenant, u.fileId)));
    // Sorted, the fallback (`…/events/f_<id>/same.csv`) comes before the natural key (`…/events/same.csv`).
    expect(records.map((r) => r.key).sort()).toEqual([
      expect.stringMatching(/^used\/[^/]+\/events\/f_[0-9a-f]{32}\/same\.csv$/),
      usedKey(key),
    ]);
    for (const record of records) {
      expect(record.status).toBe('USED');
      const object = await ctx.s3.send(new GetObjectCommand({ Bucket: bucket, Key: record.key }));
      const bytes = await object.Body?.transformToByteArray();
      expect(
        createHash('sha256')
          .update(bytes ?? new Uint8Array())
          .digest('hex'),
      ).toBe(record.sha256);
    }
    expect(await current(key)).toBe(false);
    expect((await versionsOf(key)).versions.sort()).toEqual(uploads.map((u) => u.versionId).sort());
  });

  it('answers 404 for a training set of another tenant', async () => {
    // Prepare
    const id = await trainingSet(consumer.tenant, consumer.files);

    // Act
    const response = await consume(concurrent.apiKey, id, 'job-x');

    // Assess
    expect(response.status).toBe(404);
  });
});

describe('an interrupted move', () => {
  it.each([
    ['after the copy', 'copy', 0, 'FRESH'],
    ['at the delete of the source', 'delete', 1, 'USED'],
  ] as const)('%s is finished by the next scheduled run', async (_, step, index, statusAfterFailure) => {
    // Prepare
    const { tenant, apiKey } = interrupted;
    const file = interrupted.files[index] as Ingested;
    const id = await trainingSet(tenant, [file]);
    const deps = { trainingSets: ctx.metadata, lifecycle, clock: systemClock, logger: quiet };

    // Act: the consumption records the use, the move stops at the injected failure
    const failed = await consumeTrainingSet({ ...deps, store: failingOnce(step) }, tenant, id, 'job-r');
    const afterFailure = await fileRecord(tenant, file.fileId);
    const marker = await lifecycle.getMove(tenant, file.fileId);
    const freshAfterFailure = await current(file.key);
    const run = await runScheduler([tenant]);

    // Assess: findable throughout, finished by the run, counted once
    expect(failed).toMatchObject({ complete: false, pendingMoves: [file.fileId], counted: [file.fileId] });
    expect(afterFailure).toMatchObject({ status: statusAfterFailure, usageCount: 1 });
    expect(marker).toMatchObject({ from: 'FRESH', to: 'USED', fromKey: file.key, toKey: usedKey(file.key) });
    expect(freshAfterFailure).toBe(true);
    expect(run).toMatchObject({ moves: { repaired: 1, failed: [] } });
    expect(await fileRecord(tenant, file.fileId)).toMatchObject({
      status: 'USED',
      key: usedKey(file.key),
      usageCount: 1,
      stateHistory: [expect.objectContaining({ from: 'FRESH', to: 'USED', jobId: 'job-r' })],
    });
    expect(await lifecycle.getMove(tenant, file.fileId)).toBeUndefined();
    expect(await current(usedKey(file.key))).toBe(true);
    expect(await current(file.key)).toBe(false);
    expect(await versionsOf(file.key)).toEqual({ versions: [file.versionId], deleteMarkers: 1 });

    // The job's retry now completes with the same count and stores its answer.
    const retried = await consume(apiKey, id, 'job-r');
    expect(retried.body).toMatchObject({ complete: true, counted: [file.fileId], replayed: false });
    expect((await fileRecord(tenant, file.fileId)).usageCount).toBe(1);
  });
});

describe('cleanup and the retention policy', () => {
  it('plans in a dry run and changes nothing', async () => {
    // Prepare
    const { tenant, apiKey, files } = retention;
    const consumed = await consume(apiKey, await trainingSet(tenant, files), 'job-c');
    expect(consumed.body).toMatchObject({ complete: true });
    const before = await Promise.all(files.map((f) => fileRecord(tenant, f.fileId)));

    // Act
    const plan = await post(apiKey, '/cleanup', { days_old: 0, dry_run: true });

    // Assess
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body).toMatchObject({
      dryRun: true,
      policy: { daysOld: 0, graceDays: 7 },
      totals: { deprecated: 2, deleted: 0 },
      deleted: [],
    });
    expect(plan.body?.deprecated).toEqual(
      expect.arrayContaining(files.map((f) => expect.objectContaining({ fileId: f.fileId, from: 'USED' }))),
    );
    expect(await Promise.all(files.map((f) => fileRecord(tenant, f.fileId)))).toEqual(before);
    for (const file of files) expect(await current(usedKey(file.key))).toBe(true);
  });

  it('deprecates old used files, then deletes their objects once the grace period is over', async () => {
    // Prepare
    const { tenant, apiKey, files } = retention;

    // Act: deprecate now (default grace of 7 days), then the scheduler applies a policy without grace
    const deprecation = await post(apiKey, '/cleanup', { days_old: 0, dry_run: false });
    const deprecated = await Promise.all(files.map((f) => fileRecord(tenant, f.fileId)));
    const objectsDuringGrace = await Promise.all(files.map((f) => current(usedKey(f.key))));
    const policy = await post(apiKey, '/retention-policy', { days_old: 0, grace_days: 0 }, 'PUT');
    const run = await runScheduler([tenant]);

    // Assess
    expect(deprecation.body).toMatchObject({ dryRun: false, totals: { deprecated: 2, deleted: 0 } });
    for (const record of deprecated) {
      expect(record).toMatchObject({ status: 'DEPRECATED', deprecatedAt: expect.any(String) });
      expect(record.deletedAt).toBeUndefined();
    }
    expect(objectsDuringGrace).toEqual([true, true]);
    expect(policy.body).toMatchObject({ tenant, policy: { daysOld: 0, graceDays: 0, archiveAfterUses: 3 } });
    expect(run).toMatchObject({ tenants: [{ tenant, deleted: 2 }] });
    for (const file of files) {
      expect(await fileRecord(tenant, file.fileId)).toMatchObject({
        status: 'DEPRECATED',
        key: usedKey(file.key),
        deletedAt: expect.any(String),
      });
      expect(await current(usedKey(file.key))).toBe(false);
      // Deleted with a delete marker: the data stays recoverable until the noncurrent-version rule.
      expect((await versionsOf(usedKey(file.key))).versions).toHaveLength(1);
    }
    const stored = await api(ctx.info, '/retention-policy', { apiKey });
    expect(stored.body).toMatchObject({ policy: { daysOld: 0, graceDays: 0 } });
  });

  it('asks for days_old when the tenant has no policy', async () => {
    // Act
    const response = await post(concurrent.apiKey, '/cleanup', { dry_run: true });

    // Assess
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'InvalidInputError' });
  });
});

describe('GET /statistics', () => {
  it('reflects a selection consumed through the training-set route', async () => {
    // Prepare
    const { apiKey, files } = selected;
    const before = await api(ctx.info, '/statistics', { apiKey });
    const selection = await post(apiKey, '/training-sets', { dataset: 'events' });
    expect(selection.status, JSON.stringify(selection.body)).toBe(201);

    // Act
    const consumed = await consume(apiKey, String(selection.body?.id), 'job-s');
    const after = await api(ctx.info, '/statistics', { apiKey });

    // Assess
    const bytes = files.reduce((n, f) => n + f.size, 0);
    expect(before.body).toMatchObject({
      files: 2,
      bytes,
      totalUsage: 0,
      byStatus: { FRESH: { files: 2, bytes, usage: 0 }, USED: { files: 0 } },
    });
    expect(consumed.body).toMatchObject({ complete: true, counted: expect.any(Array) });
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({
      files: 2,
      bytes,
      totalUsage: 2,
      byStatus: { FRESH: { files: 0, bytes: 0 }, USED: { files: 2, bytes, usage: 2 } },
      byType: { custom: { files: 2, usage: 2 } },
      byDataset: { events: { files: 2, bytes, usage: 2 } },
      deleted: { files: 0, bytes: 0 },
    });
  });
});
