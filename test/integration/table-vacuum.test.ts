/**
 * Vacuum of dataset tables on the local cloud, under the IAM policies of the template: files go through
 * the real pipeline into `tables/<tenant>/meter/`, then commits remove some of them (as an overwrite or an
 * upsert would) with deletion times before and within the retention. Vacuum through the API (and the daily
 * scheduler) deletes only the removed files past the retention, the latest version still reads the same
 * rows through delta-rs and the rows route, older versions answer 410, a dry run and a second run delete
 * nothing, and one tenant's vacuum never touches another tenant's table of the same name.
 */
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { S3TableLog } from '../../shared/adapters/delta/s3-table-log.js';
import { commit, loadSnapshot } from '../../shared/adapters/delta/transaction.js';
import type { Action } from '../../shared/domain/delta/actions.js';
import {
  api,
  cloudContext,
  executionArnFor,
  hostFetch,
  newTenant,
  waitForExecution,
} from '../support/cloud.js';
import { DeltaRs } from '../support/delta.js';

const ctx = cloudContext();
const bucket = ctx.info.dataBucket;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 1);
const HOUR = 3_600_000;
let deltaRs: DeltaRs;

interface Tenant {
  tenant: string;
  apiKey: string;
}
let a: Tenant;
let b: Tenant;

/** 8 hourly readings from hour `from`. */
function readingsCsv(from: number) {
  const lines = ['ts,reading'];
  for (let i = from; i < from + 8; i++) lines.push(`${new Date(T0 + i * HOUR).toISOString()},${i + 0.5}`);
  return `${lines.join('\n')}\n`;
}

async function ingest(who: Tenant, name: string, body: string) {
  const key = `fresh/${who.tenant}/meter/${name}`;
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const execution = await waitForExecution(
    ctx.sfn,
    executionArnFor(ctx.info, { bucket, key, versionId: put.VersionId }),
    90_000,
  );
  expect(execution.status, execution.cause).toBe('SUCCEEDED');
}

const root = (who: Tenant) => `tables/${who.tenant}/meter/`;
const tableLog = (who: Tenant) => new S3TableLog(ctx.s3, bucket, root(who));

/**
 * Removes data files of the tenant's table in one commit (what an overwrite or an upsert commits for the
 * files it retires), each with its deletion time `ageDays` ago.
 */
async function removeFiles(who: Tenant, removals: Array<{ path: string; ageDays: number }>) {
  const log = tableLog(who);
  const snapshot = await loadSnapshot(log);
  if (!snapshot) throw new Error('no table');
  const actions: Action[] = removals.map(({ path, ageDays }) => {
    const add = snapshot.files.get(path);
    if (!add) throw new Error(`${path} is not live`);
    return {
      remove: {
        path,
        deletionTimestamp: Date.now() - ageDays * DAY,
        dataChange: true,
        extendedFileMetadata: true,
        partitionValues: {},
        size: add.size,
      },
    };
  });
  await commit(log, actions, { readVersion: snapshot.version, isBlindAppend: false, operation: 'DELETE' });
}

/** The table's data files in path order, as its snapshot (default: the latest) names them. */
async function livePaths(who: Tenant, version?: number): Promise<string[]> {
  const snapshot = await loadSnapshot(tableLog(who), version === undefined ? {} : { version });
  return [...(snapshot?.files.keys() ?? [])].sort();
}

async function exists(key: string): Promise<boolean> {
  try {
    await ctx.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'NotFound') return false;
    throw error;
  }
}

async function logEntries(who: Tenant): Promise<string[]> {
  const listing = await ctx.s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: `${root(who)}_delta_log/` }),
  );
  return (listing.Contents ?? []).map((o) => o.Key ?? '').sort();
}

const vacuum = (who: Tenant, body: Record<string, unknown> = {}) =>
  api(ctx.info, '/datasets/meter/vacuum', {
    apiKey: who.apiKey,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

interface VacuumAnswer {
  files: Array<{ path: string; size: number; removedInVersion: number }>;
  totals: { files: number; bytes: number; retained: number; alreadyGone: number };
  oldestReadableVersion: number | null;
}

const get = (who: Tenant, path: string) => api(ctx.info, path, { apiKey: who.apiKey });

/** A's files: f1 removed 10 days ago (due), f2 removed a day ago (kept), f3 and f4 live. */
let removedOld: string;
let removedYoung: string;

beforeAll(async () => {
  [a, b] = await Promise.all([newTenant(ctx, 'vacuum-a'), newTenant(ctx, 'vacuum-b')]);
  deltaRs = await DeltaRs.start(ctx.info);
  // Delta versions 0, 1, 2 = dataset versions 1, 2, 3.
  for (let i = 0; i < 3; i++) await ingest(a, `day-${i}.csv`, readingsCsv(i * 8));
  for (let i = 0; i < 2; i++) await ingest(b, `day-${i}.csv`, readingsCsv(100 + i * 8));
  // The file of Delta version 0 (every version up to the removal reads it) and the one version 1 added.
  const [first] = await livePaths(a, 0);
  const [, second] = (await livePaths(a, 1)).sort((x, y) => (x === first ? -1 : y === first ? 1 : 0));
  removedOld = first as string;
  removedYoung = second as string;
  // Delta version 3 removes them; the fourth file is Delta version 4, dataset version 4.
  await removeFiles(a, [
    { path: removedOld, ageDays: 10 },
    { path: removedYoung, ageDays: 1 },
  ]);
  await ingest(a, 'day-3.csv', readingsCsv(24));
  const [bFirst] = await livePaths(b);
  await removeFiles(b, [{ path: bFirst as string, ageDays: 10 }]);
}, 600_000);

describe('vacuum of a dataset table', () => {
  it('in a dry run answers the file and bytes it would delete, and deletes nothing', async () => {
    // Prepare
    const size = (
      await ctx.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${root(a)}${removedOld}` }))
    ).ContentLength;

    // Act
    const answer = await vacuum(a, { dry_run: true });
    const oldRead = await get(a, '/datasets/meter/rows?version=1&last=5');

    // Assess
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const body = answer.body as unknown as VacuumAnswer;
    expect(body.files).toEqual([{ path: removedOld, size, removedInVersion: 3 }]);
    expect(body.totals).toEqual({ files: 1, bytes: size, retained: 1, alreadyGone: 0 });
    expect(body.oldestReadableVersion).toBe(3);
    expect(await exists(`${root(a)}${removedOld}`)).toBe(true);
    expect(oldRead.status).toBe(200);
  });

  it("of one tenant deletes its own table's files and never another tenant's table of the same name", async () => {
    // Prepare
    const [bRemoved] = (await loadSnapshot(tableLog(b)))?.tombstones.keys() ?? [];

    // Act
    const answer = await vacuum(b);

    // Assess
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect((answer.body as unknown as VacuumAnswer).totals.files).toBe(1);
    expect(await exists(`${root(b)}${bRemoved}`)).toBe(false);
    expect(await exists(`${root(a)}${removedOld}`)).toBe(true);
    expect(await exists(`${root(a)}${removedYoung}`)).toBe(true);
  });

  it('deletes the files removed longer ago than the retention; the latest version reads the same rows through delta-rs and the rows route', async () => {
    // Prepare
    const uri = `s3://${bucket}/${root(a)}`;
    const before = await deltaRs.read(uri);
    const rowsBefore = await get(a, '/datasets/meter/rows?start=2026-01-01&limit=1000');
    const logBefore = await logEntries(a);

    // Act
    const answer = await vacuum(a);

    // Assess
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const body = answer.body as unknown as VacuumAnswer;
    expect(body.files.map((f) => f.path)).toEqual([removedOld]);
    expect(body.oldestReadableVersion).toBe(3);
    expect(await exists(`${root(a)}${removedOld}`)).toBe(false);
    expect(await exists(`${root(a)}${removedYoung}`)).toBe(true);
    expect(await logEntries(a)).toEqual(logBefore);
    const after = await deltaRs.read(uri);
    expect(after.version).toBe(before.version);
    expect(after.rows).toEqual(before.rows);
    expect(after.rows).toHaveLength(16);
    const rowsAfter = await get(a, '/datasets/meter/rows?start=2026-01-01&limit=1000');
    expect(rowsAfter.body?.rows).toEqual(rowsBefore.body?.rows);
    // The versions that read the deleted file are really gone, for any engine.
    await expect(deltaRs.read(uri, 0)).rejects.toThrow();
  });

  it('answers 410 for a version whose files were vacuumed, naming it and the oldest readable version', async () => {
    // Act
    const rows = await get(a, '/datasets/meter/rows?version=1&last=5');
    const files = await get(a, '/datasets/meter/versions/3/files');
    const readableRows = await get(a, '/datasets/meter/rows?version=4&last=5');
    const readableFiles = await get(a, '/datasets/meter/versions/4/files');

    // Assess
    expect(rows.status, JSON.stringify(rows.body)).toBe(410);
    expect(rows.body?.error).toBe('VersionVacuumedError');
    expect(rows.body?.message).toContain('version 1 of dataset "meter" (Delta version 0) is gone');
    expect(rows.body?.message).toContain('vacuumed after the retention grace of 7 days');
    expect(rows.body?.message).toContain('the oldest version still readable is Delta version 3');
    expect(files.status, JSON.stringify(files.body)).toBe(410);
    expect(files.body?.message).toContain('version 3 of dataset "meter" (Delta version 2)');
    expect(readableRows.status, JSON.stringify(readableRows.body)).toBe(200);
    expect(readableFiles.status, JSON.stringify(readableFiles.body)).toBe(200);
    expect(readableFiles.body?.delta_version).toBe(4);
  });

  it('a second time deletes nothing', async () => {
    // Act
    const answer = await vacuum(a);

    // Assess
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const body = answer.body as unknown as VacuumAnswer;
    expect(body.totals).toEqual({ files: 0, bytes: 0, retained: 1, alreadyGone: 1 });
    expect(body.oldestReadableVersion).toBe(3);
    expect(await exists(`${root(a)}${removedYoung}`)).toBe(true);
  });

  it('runs daily for a tenant with a policy, with its table retention', async () => {
    // Prepare: a one-day table retention makes the file removed two days ago due
    const policy = await api(ctx.info, '/retention-policy', {
      apiKey: b.apiKey,
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ days_old: 3650, table_retention_days: 1 }),
    });
    const [live] = await livePaths(b);
    await removeFiles(b, [{ path: live as string, ageDays: 2 }]);

    // Act
    const response = await hostFetch(
      ctx.info,
      `/2015-03-31/functions/${ctx.info.outputs.LifecycleSchedulerName}/invocations`,
      { method: 'POST', body: JSON.stringify({ tenants: [b.tenant] }) },
    );
    const result = (await response.json()) as { tenants: Array<Record<string, unknown>> };

    // Assess
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    expect(policy.body?.policy).toMatchObject({ tableRetentionDays: 1 });
    expect(response.headers.get('x-amz-function-error'), JSON.stringify(result)).toBeNull();
    expect(result.tenants).toEqual([
      expect.objectContaining({
        tenant: b.tenant,
        vacuumed: { files: 1, bytes: expect.any(Number), failed: 0 },
      }),
    ]);
    expect(await exists(`${root(b)}${live}`)).toBe(false);
    expect(await exists(`${root(a)}${removedYoung}`)).toBe(true);
  });
});
