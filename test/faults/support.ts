/**
 * What the fault tests share: their own local cloud (persistent data, so a server can be killed and
 * started again), files dropped into fresh/, waiting for the pipeline to settle, the sweeper as the
 * scheduler would run it, and the end state every scenario must reach.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { expect } from 'vitest';
import { type LocalCloud, type LocalServer, startLocalCloud } from '../../infra/local/cloud.js';
import { DynamoRunStore } from '../../shared/adapters/dynamo/run-store.js';
import { S3ObjectLister } from '../../shared/adapters/s3-object-lister.js';
import { SfnOrchestrator } from '../../shared/adapters/sfn-orchestrator.js';
import { type SweepResult, sweepFresh } from '../../shared/app/pipeline/sweep.js';
import {
  executionNameFor,
  type FileRecord,
  fileIdFor,
  type ObjectRef,
  pipelineUnfinished,
} from '../../shared/domain/file-record.js';
import { moveKey } from '../../shared/domain/object-key.js';
import type { Logger } from '../../shared/ports.js';
import { api, cloudContext } from '../support/cloud.js';

export type Context = ReturnType<typeof cloudContext>;

export const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Progress lines in the test output: what was killed when, and how long convergence took. */
export function note(message: string): void {
  process.stdout.write(`[faults] ${message}\n`);
}

/**
 * A local cloud of the fault tests' own, never a running `npm start` one (its servers get killed): free
 * ports, DynamoDB Local on a file, MinIO's objects and webhook queue on disk.
 */
export async function startFaultCloud(): Promise<{
  cloud: LocalCloud;
  ctx: Context;
  stop: (passed: boolean) => Promise<void>;
}> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-faults-'));
  const started = Date.now();
  const cloud = await startLocalCloud({
    dataDir,
    ports: { host: 0, minio: 0, minioConsole: 0, dynamodb: 0, localstack: 0, glue: 0 },
    // Lambda retries a failed asynchronous invocation after 1 and 2 minutes; here after 10 and 20 s, so a
    // connector pull that failed on an outage gets its retry within the test.
    asyncRetryDelaysMs: [10_000, 20_000],
    log: (message) => note(`local cloud: ${message}`),
  });
  note(`local cloud started in ${seconds(started)} (data and logs: ${dataDir})`);
  return {
    cloud,
    ctx: cloudContext(cloud.info),
    stop: async (passed) => {
      await cloud.stop();
      // A failed run keeps the servers' logs and data to look at.
      if (passed) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/**
 * Polls `sign` (every 50 ms) and kills `server` the moment it holds: the first trace of the work to
 * interrupt. Answers how long that took.
 */
export async function killWhen(
  cloud: LocalCloud,
  server: LocalServer,
  what: string,
  sign: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<number> {
  const t0 = Date.now();
  while (!(await sign().catch(() => false))) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
  await cloud.kill(server);
  note(`killed ${server} ${seconds(t0)} after the start, at: ${what}`);
  return Date.now() - t0;
}

/** What a dropped file must end as. */
export type Expected =
  | { outcome: 'versioned' }
  | { outcome: 'quarantined'; stage: string; errorName: string };

export interface Dropped {
  name: string;
  dataset: string;
  body: string;
  ref: ObjectRef;
  fileId: string;
  expected: Expected;
}

/** A small CSV of its own content (`seed` decides the values). */
export function csv(seed: number, rows = 5): string {
  const lines = ['id,score,label'];
  for (let i = 0; i < rows; i++)
    lines.push(`${seed * 100 + i},${(seed * 7 + i * 3) % 50}.5,l${(seed + i) % 3}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Eight files over two datasets: three distinct ones each, the same bytes as the first again in the first
 * dataset (one of the two becomes a DUPLICATE of the other, whichever registers first), and an empty file
 * in the second (quarantined by parse with EmptyFileError).
 */
export function eightFiles(
  seed: number,
): Array<{ name: string; dataset: string; body: string; expected: Expected }> {
  const versioned: Expected = { outcome: 'versioned' };
  return [
    { name: 'a1.csv', dataset: 'alpha', body: csv(seed + 1), expected: versioned },
    { name: 'a2.csv', dataset: 'alpha', body: csv(seed + 2), expected: versioned },
    { name: 'a3.csv', dataset: 'alpha', body: csv(seed + 3), expected: versioned },
    { name: 'a4.csv', dataset: 'alpha', body: csv(seed + 1), expected: versioned },
    { name: 'b1.csv', dataset: 'beta', body: csv(seed + 4), expected: versioned },
    { name: 'b2.csv', dataset: 'beta', body: csv(seed + 5), expected: versioned },
    { name: 'b3.csv', dataset: 'beta', body: csv(seed + 6), expected: versioned },
    {
      name: 'b4.csv',
      dataset: 'beta',
      body: '',
      expected: { outcome: 'quarantined', stage: 'parse', errorName: 'EmptyFileError' },
    },
  ];
}

/** Distinct small CSVs in one dataset. */
export function distinctFiles(dataset: string, seed: number, count: number) {
  const versioned: Expected = { outcome: 'versioned' };
  return Array.from({ length: count }, (_, i) => ({
    name: `part-${i}.csv`,
    dataset,
    body: csv(seed + i),
    expected: versioned,
  }));
}

/** The objects now under a fresh/ prefix (a connector's files), as dropped files that must be versioned. */
export async function droppedUnder(ctx: Context, prefix: string): Promise<Dropped[]> {
  const found: Dropped[] = [];
  for await (const object of new S3ObjectLister(ctx.s3, ctx.info.dataBucket).listCurrent(prefix)) {
    const ref = { bucket: ctx.info.dataBucket, key: object.key, versionId: object.versionId };
    const [, , dataset = '', name = ''] = object.key.split('/');
    found.push({
      name,
      dataset,
      body: object.eTag,
      ref,
      fileId: fileIdFor(ref),
      expected: { outcome: 'versioned' },
    });
  }
  return found;
}

export async function drop(
  ctx: Context,
  tenant: string,
  files: ReadonlyArray<{ name: string; dataset: string; body: string; expected: Expected }>,
): Promise<Dropped[]> {
  return Promise.all(
    files.map(async (file) => {
      const key = `fresh/${tenant}/${file.dataset}/${file.name}`;
      const put = await ctx.s3.send(
        new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: Buffer.from(file.body) }),
      );
      const ref = { bucket: ctx.info.dataBucket, key, versionId: put.VersionId };
      return { ...file, ref, fileId: fileIdFor(ref) };
    }),
  );
}

/** A record the pipeline is done with: versioned (READY or HELD), quarantined or a duplicate. */
export function isFinal(record: FileRecord | undefined): boolean {
  return record !== undefined && !pipelineUnfinished(record);
}

export async function records(ctx: Context, tenant: string, files: readonly Dropped[]) {
  return Promise.all(files.map((f) => ctx.metadata.getFile(tenant, f.fileId)));
}

/** Polls until `check` holds (or throws after `timeoutMs`), answering how long it took. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (await check().catch(() => false)) return Date.now() - t0;
    await sleep(500);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
}

/** Names of the state machine's RUNNING executions. */
export async function runningExecutions(ctx: Context): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: ctx.info.stateMachineArn,
        statusFilter: 'RUNNING',
        ...(nextToken && { nextToken }),
      }),
    );
    for (const execution of page.executions ?? []) if (execution.name) names.push(execution.name);
    nextToken = page.nextToken;
  } while (nextToken);
  return names;
}

/** Every file is final, or no execution of it (first run or a retry) is running any more. */
export async function settled(ctx: Context, tenant: string, files: readonly Dropped[]): Promise<boolean> {
  const [found, running] = await Promise.all([records(ctx, tenant, files), runningExecutions(ctx)]);
  return files.every((file, i) => {
    if (isFinal(found[i])) return true;
    const base = executionNameFor(file.ref);
    return !running.some((name) => name === base || name.startsWith(`${base}-r`));
  });
}

/** The fresh-sweeper's use case as its schedule would run it 20 minutes from now (every object settled). */
export function sweep(ctx: Context, tenant: string): Promise<SweepResult> {
  const later = new Date(Date.now() + 20 * 60_000);
  return sweepFresh(
    {
      objects: new S3ObjectLister(ctx.s3, ctx.info.dataBucket),
      files: ctx.metadata,
      runs: new DynamoRunStore(ctx.doc, ctx.info.metadataTable),
      orchestrator: new SfnOrchestrator(ctx.sfn, ctx.info.stateMachineArn),
      clock: { now: () => later },
      logger: quiet,
    },
    { settleMs: 15 * 60_000, lookbackMs: 24 * 60 * 60_000, maxStarts: 100, prefix: `fresh/${tenant}/` },
  );
}

/**
 * After an outage: let the pipeline finish what it can, run the sweeper, let what it restarted finish,
 * and sweep again (which must change nothing). Answers the first sweep and the time it all took.
 */
export async function converge(
  ctx: Context,
  tenant: string,
  files: readonly Dropped[],
): Promise<{ swept: SweepResult; again: SweepResult; ms: number }> {
  const t0 = Date.now();
  await until('the pipeline settles after the restart', () => settled(ctx, tenant, files), 240_000);
  const swept = await sweep(ctx, tenant);
  await until(
    'every file is versioned, a duplicate or quarantined',
    async () => (await records(ctx, tenant, files)).every(isFinal),
    240_000,
  );
  const again = await sweep(ctx, tenant);
  return { swept, again, ms: Date.now() - t0 };
}

interface VersionView {
  version: number;
  status: string;
  sourceFileId: string;
  sourceSha256: string;
  /** Where the version's rows are in the dataset's Delta table. */
  table?: { version?: number; dataFile: string };
}

export async function versions(ctx: Context, apiKey: string, dataset: string): Promise<VersionView[]> {
  const answer = await api(ctx.info, `/datasets/${dataset}/versions?limit=100`, { apiKey });
  if (answer.status === 404) return [];
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return (answer.body?.versions ?? []) as VersionView[];
}

async function exists(ctx: Context, key: string, versionId?: string): Promise<boolean> {
  try {
    await ctx.s3.send(
      new HeadObjectCommand({
        Bucket: ctx.info.dataBucket,
        Key: key,
        ...(versionId && { VersionId: versionId }),
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'NotFound') return false;
    throw error;
  }
}

/** Keys holding a current object (not a delete marker) under a prefix. */
export async function currentKeys(ctx: Context, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of new S3ObjectLister(ctx.s3, ctx.info.dataBucket).listCurrent(prefix)) {
    keys.push(object.key);
  }
  return keys.sort();
}

/**
 * The end state of a scenario's drop: each file versioned (its dataset version READY or HELD), a DUPLICATE
 * of the file holding its content, or QUARANTINED with the failing stage and error name and its copy in
 * quarantine/; every object still at its fresh/ key; versions numbered 1..N per dataset, one per distinct
 * content, none PENDING.
 */
export async function expectConverged(
  ctx: Context,
  tenant: string,
  apiKey: string,
  files: readonly Dropped[],
) {
  const found = await records(ctx, tenant, files);
  const byId = new Map(found.map((r) => [r?.fileId, r]));
  for (const [i, file] of files.entries()) {
    const record = found[i];
    const label = `${file.dataset}/${file.name}: ${JSON.stringify(record?.failure ?? record?.status)}`;
    expect(record, label).toBeDefined();
    if (!record) continue;
    expect(await exists(ctx, file.ref.key, file.ref.versionId), `${label}: object kept in fresh/`).toBe(true);
    if (file.expected.outcome === 'quarantined') {
      expect(record.status, label).toBe('QUARANTINED');
      expect(record.failure, label).toMatchObject({
        stage: file.expected.stage,
        errorName: file.expected.errorName,
      });
      expect(await exists(ctx, moveKey(file.ref.key, 'quarantine')), `${label}: copy in quarantine/`).toBe(
        true,
      );
      continue;
    }
    if (record.status === 'DUPLICATE') {
      // The duplicate of a file of the same dataset with the same bytes, which was versioned.
      const original = byId.get(record.duplicateOf);
      expect(original?.version, label).toBeDefined();
      expect(files.find((f) => f.fileId === original?.fileId)?.body, label).toBe(file.body);
      continue;
    }
    expect(record.status, label).toBe('FRESH');
    expect(record.stage, label).toBe('version');
    expect(record.version, label).toBeDefined();
  }
  for (const dataset of new Set(files.map((f) => f.dataset))) {
    const mine = files.filter((f) => f.dataset === dataset && f.expected.outcome === 'versioned');
    const distinct = new Set(mine.map((f) => f.body));
    const list = await versions(ctx, apiKey, dataset);
    expect(
      list.map((v) => v.version).sort((a, b) => a - b),
      dataset,
    ).toEqual(Array.from({ length: distinct.size }, (_, i) => i + 1));
    for (const v of list) expect(['READY', 'HELD'], `${dataset} v${v.version}`).toContain(v.status);
    expect(new Set(list.map((v) => v.sourceSha256)).size, dataset).toBe(list.length);
    const versionedIds = found
      .filter((r) => r?.dataset === dataset && r.version !== undefined)
      .map((r) => r?.fileId)
      .sort();
    expect(list.map((v) => v.sourceFileId).sort(), dataset).toEqual(versionedIds);
  }
}

export function randomLabel(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}
