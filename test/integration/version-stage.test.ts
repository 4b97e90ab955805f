/**
 * The version stage's own use case on the local cloud (MinIO, DynamoDB Local, Glue), files staged as the
 * stages before it leave them (written with strata's Parquet writer straight to their staged keys), and
 * delta-rs (the real engine) reading the result:
 * - a file staged as several chunk files (a file too big for one function, parsed in parallel) joins its
 *   dataset's Delta table in ONE commit by each write mode; a held chunked version stages every chunk and
 *   its promotion commits them all at once; retries change nothing;
 * - files of one dataset versioned at once take version numbers and table commits in the same order, so
 *   each version's table version holds every version below it.
 */
import { randomBytes } from 'node:crypto';
import { GlueClient } from '@aws-sdk/client-glue';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { S3TableLogs } from '../../shared/adapters/delta/s3-table-log.js';
import { TableWriters } from '../../shared/adapters/delta/table-writer.js';
import { DynamoMetadataStore } from '../../shared/adapters/dynamo/metadata-store.js';
import { DynamoVersionStore } from '../../shared/adapters/dynamo/version-store.js';
import { DynamoTableWriterLeases } from '../../shared/adapters/dynamo/writer-lease.js';
import { GlueTableCatalog } from '../../shared/adapters/glue/catalog.js';
import { S3ObjectStore } from '../../shared/adapters/s3-object-store.js';
import { type VersionDatasetDeps, versionDataset } from '../../shared/app/pipeline/version.js';
import { promoteVersion, versionFiles } from '../../shared/app/versions.js';
import { actionsOf } from '../../shared/domain/delta/actions.js';
import { decodeRelativePath } from '../../shared/domain/delta/table.js';
import { fileIdFor } from '../../shared/domain/file-record.js';
import {
  datasetTableRoot,
  reportKey,
  stagedChunkKey,
  stagingKey,
  tableProfileKey,
} from '../../shared/domain/object-key.js';
import { createProfiler, type DatasetProfile } from '../../shared/domain/profile/index.js';
import { batchFromRows, type CellValue, type TableSchema } from '../../shared/domain/table.js';
import type { TrainingSetManifest } from '../../shared/domain/training-set.js';
import { suiteFromSchema } from '../../shared/domain/validation/index.js';
import { writeParquet } from '../../shared/formats/parquet.js';
import { systemClock } from '../../shared/ports.js';
import { afterDriftSchema } from '../../shared/schemas/ingestion.js';
import { api, cloudContext, newTenant } from '../support/cloud.js';
import { DeltaRs } from '../support/delta.js';

const ctx = cloudContext();
const bucket = ctx.info.dataBucket;
const doc = DynamoDBDocumentClient.from(ctx.dynamodb, { marshallOptions: { removeUndefinedValues: true } });
const metadata = new DynamoMetadataStore(doc, ctx.info.metadataTable);
const store = new S3ObjectStore(ctx.s3, bucket);
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const deps: VersionDatasetDeps = {
  store,
  datasets: metadata,
  versions: new DynamoVersionStore(doc, {
    metadataTable: ctx.info.metadataTable,
    versionsTable: ctx.info.outputs.VersionsTableName as string,
    lineageTable: ctx.info.outputs.LineageTableName as string,
  }),
  tables: new TableWriters(new S3TableLogs(ctx.s3, bucket)),
  writers: new DynamoTableWriterLeases(doc, ctx.info.metadataTable),
  catalog: new GlueTableCatalog(
    new GlueClient({
      region: ctx.info.region,
      endpoint: ctx.info.endpoints.glue,
      credentials: ctx.info.credentials,
    }),
  ),
  clock: systemClock,
  logger: silent,
  defaultSuite: suiteFromSchema,
};

const SCHEMA: TableSchema = {
  columns: [
    { name: 'id', type: 'int', nullable: false },
    { name: 'price', type: 'float', nullable: true },
    { name: 'sku', type: 'string', nullable: true },
  ],
};
const CHUNKS = 8;

let tenant: string;
let apiKey: string;
let deltaRs: DeltaRs;

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'chunked'));
  deltaRs = await DeltaRs.start(ctx.info);
}, 300_000);

type Row = { id: number; price: number | null; sku: string | null };

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const rowsOf = (ids: number[], price: (id: number) => number | null, tag: string): Row[] =>
  ids.map((id) => ({ id, price: price(id), sku: id % 7 === 0 ? null : `${tag}${id}` }));

async function putParquet(key: string, rows: Row[]) {
  const chunks: Uint8Array[] = [];
  async function* batches() {
    yield batchFromRows(SCHEMA, rows as unknown as Record<string, CellValue>[]);
  }
  // Row groups of 4 rows: a chunk of several row groups, read across chunk boundaries.
  await writeParquet(SCHEMA, batches(), async (chunk) => void chunks.push(chunk), { rowGroupSize: 4 });
  await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.concat(chunks) }));
}

/**
 * A file as the stages before version leave it: its record registered, its rows staged (as `chunks` chunk
 * files of consecutive rows, or as one file when `chunks` is undefined), its profile written. Answers the
 * version stage's input state.
 */
async function stageFile(dataset: string, rows: Row[], options: { chunks?: number; quality?: 'POOR' } = {}) {
  const key = `fresh/${tenant}/${dataset}/${randomBytes(6).toString('hex')}.csv`;
  const object = { bucket, key, versionId: 'v1' };
  const fileId = fileIdFor(object);
  const sha256 = randomBytes(32).toString('hex');
  const now = new Date().toISOString();
  await metadata.registerFile({
    fileId,
    tenant,
    dataset,
    bucket,
    key,
    objectVersion: 'v1',
    fileName: key.slice(key.lastIndexOf('/') + 1),
    sha256,
    size: 1,
    format: 'csv',
    dataType: 'custom',
    status: 'FRESH',
    stage: 'drift',
    uploadedAt: now,
    registeredAt: now,
  });
  let stagedKey = stagingKey(tenant, dataset, fileId);
  if (options.chunks === undefined) {
    await putParquet(stagedKey, rows);
  } else {
    const n = options.chunks;
    const size = Math.ceil(rows.length / n);
    stagedKey = stagedChunkKey(tenant, dataset, fileId, 0);
    await Promise.all(
      range(0, n - 1).map((i) =>
        putParquet(stagedChunkKey(tenant, dataset, fileId, i), rows.slice(i * size, (i + 1) * size)),
      ),
    );
  }
  const profiler = createProfiler(SCHEMA);
  profiler.add(batchFromRows(SCHEMA, rows as unknown as Record<string, CellValue>[]));
  const profileKey = reportKey(tenant, dataset, fileId, 'profile');
  await store.putJson(profileKey, profiler.result());
  const metrics = {
    recordsRead: rows.length,
    recordsWritten: rows.length,
    recordsFailed: 0,
    duplicatesDropped: 0,
    bytesRead: 1,
    durationMs: 1,
    errorRate: 0,
  };
  return afterDriftSchema.parse({
    object,
    file: {
      fileId,
      tenant,
      dataset,
      object,
      sha256,
      size: 1,
      format: 'csv',
      dataType: 'custom',
      outcome: 'REGISTERED',
    },
    parse: {
      stagedKey,
      ...(options.chunks !== undefined && { chunkCount: options.chunks }),
      columnCount: SCHEMA.columns.length,
      rowCount: rows.length,
      contentHash: sha256,
      metrics,
    },
    validate: {
      status: 'PASSED',
      reportKey: reportKey(tenant, dataset, fileId, 'validation'),
      errors: 0,
      warnings: 0,
      inferredSuite: false,
    },
    profile: { profileKey, rowCount: rows.length },
    ...(options.quality && {
      quality: {
        status: options.quality,
        score: 0.4,
        issues: 1,
        reportKey: reportKey(tenant, dataset, fileId, 'quality'),
        htmlKey: reportKey(tenant, dataset, fileId, 'quality', 'html'),
      },
    }),
  });
}

const tableUri = (dataset: string) => `s3://${bucket}/${datasetTableRoot(tenant, dataset)}`;

/** What commit `version` of the dataset's table added and removed (paths decoded). */
async function commitOf(dataset: string, version: number) {
  const actions = (await deps.tables.open(datasetTableRoot(tenant, dataset)).commitActions(version)) ?? [];
  return {
    adds: actionsOf(actions, 'add').map((a) => decodeRelativePath(a.path)),
    removes: actionsOf(actions, 'remove').map((a) => decodeRelativePath(a.path)),
  };
}

/** delta-rs's rows at a version, as `id → row`, failing on an id read twice. */
async function rowsById(dataset: string, version?: number): Promise<Map<number, Row>> {
  const read = await deltaRs.read(tableUri(dataset), version);
  const byId = new Map<number, Row>();
  for (const row of read.rows) {
    const id = Number(row.id);
    expect(byId.has(id), `id ${id} read twice`).toBe(false);
    byId.set(id, { id, price: row.price as number | null, sku: row.sku as string | null });
  }
  return byId;
}

const chunkFiles = (fileId: string, prefix = '') =>
  range(0, CHUNKS - 1).map((i) => `${prefix}part-${fileId}-c${String(i).padStart(5, '0')}.parquet`);

describe('a file staged in chunks', () => {
  it('is appended in one commit adding every chunk file, read by delta-rs exactly once; a retry changes nothing', async () => {
    // Prepare: one single file, then a file of 8 chunks
    const dataset = 'events';
    const first = rowsOf(range(1, 5), (id) => id + 0.5, 's');
    const chunked = rowsOf(range(100, 179), (id) => id * 2 + 0.25, 'c');
    await versionDataset(deps, await stageFile(dataset, first));
    const state = await stageFile(dataset, chunked, { chunks: CHUNKS });

    // Act
    const output = await versionDataset(deps, state);
    const retried = await versionDataset(deps, state);

    // Assess
    const fileId = state.file.fileId;
    expect(output).toMatchObject({ status: 'VERSIONED', version: 2, table_version: 1, rows_ingested: 80 });
    expect(retried).toMatchObject({ status: 'VERSIONED', version: 2, table_version: 1 });
    expect(await commitOf(dataset, 1)).toEqual({ adds: chunkFiles(fileId), removes: [] });
    expect(await deps.tables.open(datasetTableRoot(tenant, dataset)).snapshot()).toMatchObject({
      version: 1,
    });
    const rows = await rowsById(dataset);
    expect(rows.size).toBe(85);
    for (const row of [...first, ...chunked]) expect(rows.get(row.id)).toEqual(row);
    const record = await deps.versions.getVersion(tenant, dataset, 2);
    expect(record?.table).toMatchObject({
      version: 1,
      mode: 'append',
      dataFile: `part-${fileId}-c00000.parquet`,
      chunkCount: CHUNKS,
      filesAdded: CHUNKS,
      rowsAdded: 80,
      rowsTotal: 85,
      filesTotal: 1 + CHUNKS,
    });
    // The table's profile merged the file's own profile (the chunks are the file as staged).
    const profile = (await store.getJson(tableProfileKey(tenant, dataset, 1))) as DatasetProfile;
    expect(profile.rowCount).toBe(85);
  });

  it('overwrites the table with all its chunks in one commit', async () => {
    // Prepare
    const dataset = 'snapshot';
    await metadata.putDatasetConfig(tenant, dataset, { writeMode: 'overwrite' });
    await versionDataset(
      deps,
      await stageFile(
        dataset,
        rowsOf(range(1, 20), () => 1, 'old'),
      ),
    );
    const chunked = rowsOf(range(500, 563), (id) => id / 4, 'new');
    const state = await stageFile(dataset, chunked, { chunks: CHUNKS });

    // Act
    const output = await versionDataset(deps, state);

    // Assess
    expect(output).toMatchObject({ table_version: 1 });
    const commit = await commitOf(dataset, 1);
    expect(commit.adds).toEqual(chunkFiles(state.file.fileId));
    expect(commit.removes).toHaveLength(1);
    const rows = await rowsById(dataset);
    expect([...rows.values()].sort((a, b) => a.id - b.id)).toEqual(chunked);
    expect((await rowsById(dataset, 0)).size).toBe(20);
    expect((await deps.versions.getVersion(tenant, dataset, 2))?.table).toMatchObject({
      mode: 'overwrite',
      filesAdded: CHUNKS,
      filesRemoved: 1,
      rowsAdded: 64,
      rowsRemoved: 20,
    });
  });

  it('upserts by key across all its chunks: the last row per key in chunk order wins', async () => {
    // Prepare: ids 1..40 in the table; the chunked file updates 21..40, adds 41..60, and repeats id 50
    // in its last chunk with the value that must win
    const dataset = 'catalogue';
    await metadata.putDatasetConfig(tenant, dataset, { writeMode: 'upsert', keyColumns: ['id'] });
    await versionDataset(
      deps,
      await stageFile(
        dataset,
        rowsOf(range(1, 40), (id) => id + 0.5, 'a'),
      ),
    );
    const chunked = [...rowsOf(range(21, 60), (id) => id + 1000.5, 'b'), { id: 50, price: -1, sku: 'last' }];

    // Act
    const output = await versionDataset(deps, await stageFile(dataset, chunked, { chunks: CHUNKS }));

    // Assess
    expect(output).toMatchObject({ table_version: 1 });
    const rows = await rowsById(dataset);
    expect(rows.size).toBe(60);
    for (const id of range(1, 20)) expect(rows.get(id)?.price).toBe(id + 0.5);
    for (const id of range(21, 60)) expect(rows.get(id)?.price).toBe(id === 50 ? -1 : id + 1000.5);
    expect((await deps.versions.getVersion(tenant, dataset, 2))?.table).toMatchObject({
      mode: 'upsert',
      rowsAdded: 20,
      rowsUpdated: 20,
      rowsTotal: 60,
    });
  });

  it('appends with dedup keys only the keys the table lacks, reading every chunk', async () => {
    // Prepare: ids 1..30 in the table; a chunked file of ids 21..60 (10 duplicates in its first chunks),
    // then a chunked file with no duplicate at all
    const dataset = 'ledger';
    await metadata.putDatasetConfig(tenant, dataset, { writeMode: 'append', dedupKeys: ['id'] });
    await versionDataset(
      deps,
      await stageFile(
        dataset,
        rowsOf(range(1, 30), () => 0.5, 'a'),
      ),
    );
    const overlapping = await stageFile(
      dataset,
      rowsOf(range(21, 60), () => 1.5, 'b'),
      { chunks: CHUNKS },
    );
    const fresh = await stageFile(
      dataset,
      rowsOf(range(61, 76), () => 2.5, 'c'),
      { chunks: CHUNKS },
    );

    // Act
    await versionDataset(deps, overlapping);
    await versionDataset(deps, fresh);

    // Assess: the file with duplicates is one rewritten data file, the other its 8 chunks as they are
    const rows = await rowsById(dataset);
    expect(rows.size).toBe(76);
    for (const id of range(21, 30)) expect(rows.get(id)?.price).toBe(0.5);
    for (const id of range(31, 60)) expect(rows.get(id)?.price).toBe(1.5);
    const rewritten = (await deps.versions.getVersion(tenant, dataset, 2))?.table;
    expect(rewritten).toMatchObject({
      dataFile: `part-${overlapping.file.fileId}-v1.parquet`,
      filesAdded: 1,
      rowsAdded: 30,
      rowsDuplicate: 10,
    });
    expect(rewritten?.chunkCount).toBeUndefined();
    expect((await commitOf(dataset, 1)).adds).toEqual([`part-${overlapping.file.fileId}-v1.parquet`]);
    expect((await commitOf(dataset, 2)).adds).toEqual(chunkFiles(fresh.file.fileId));
    expect((await deps.versions.getVersion(tenant, dataset, 3))?.table).toMatchObject({
      filesAdded: CHUNKS,
      rowsAdded: 16,
      rowsDuplicate: 0,
    });
  });

  it('is held with every chunk staged, and its promotion commits all of them in one commit', async () => {
    // Prepare: a quality gate the file's POOR quality breaches
    const dataset = 'gated';
    await metadata.putDriftSettings(tenant, dataset, { qualityGate: 'GOOD' });
    await versionDataset(
      deps,
      await stageFile(
        dataset,
        rowsOf(range(1, 3), () => 1, 'a'),
      ),
    );
    const chunked = rowsOf(range(10, 49), (id) => id + 0.75, 'h');
    const state = await stageFile(dataset, chunked, { chunks: CHUNKS, quality: 'POOR' });

    // Act
    const held = await versionDataset(deps, state);
    const heldAgain = await versionDataset(deps, state);
    const tableWhileHeld = await deps.tables.open(datasetTableRoot(tenant, dataset)).snapshot();
    const firstPage = await versionFiles(deps, tenant, dataset, 2, { limit: 5 });
    const secondPage = await versionFiles(deps, tenant, dataset, 2, {
      limit: 5,
      cursor: firstPage.nextCursor,
    });
    const promoted = await promoteVersion(deps, tenant, dataset, 2, 'checked by hand');
    const promotedAgain = await promoteVersion(deps, tenant, dataset, 2, 'checked twice');

    // Assess
    const fileId = state.file.fileId;
    expect(held).toMatchObject({ status: 'HELD', version: 2, table_version: null });
    expect(heldAgain).toMatchObject({ status: 'HELD', version: 2, table_version: null });
    expect(tableWhileHeld?.version).toBe(0);
    expect(firstPage).toMatchObject({ delta_version: null, staged: true, filesTotal: CHUNKS });
    expect(secondPage.nextCursor).toBeUndefined();
    const stagedFiles = [...firstPage.files, ...secondPage.files];
    expect(stagedFiles.map((f) => f.path)).toEqual(chunkFiles(fileId, '_staged/'));
    expect(stagedFiles.reduce((sum, f) => sum + (f.rows ?? 0), 0)).toBe(40);
    expect(promoted.table).toMatchObject({
      version: 1,
      chunkCount: CHUNKS,
      filesAdded: CHUNKS,
      rowsAdded: 40,
    });
    expect(promotedAgain.table).toMatchObject({ version: 1 });
    expect(await commitOf(dataset, 1)).toEqual({ adds: chunkFiles(fileId), removes: [] });
    expect(await deps.tables.open(datasetTableRoot(tenant, dataset)).snapshot()).toMatchObject({
      version: 1,
    });
    const rows = await rowsById(dataset);
    expect(rows.size).toBe(43);
    for (const row of chunked) expect(rows.get(row.id)).toEqual(row);
  });

  it('is selected into a training set with all its chunk files, combined rows read from every one', async () => {
    // Prepare: a single file and a chunked one, both READY versions of their dataset
    const dataset = 'training';
    const single = rowsOf(range(1, 6), (id) => id + 0.5, 's');
    const chunked = rowsOf(range(200, 247), (id) => id - 0.5, 'c');
    await versionDataset(deps, await stageFile(dataset, single));
    const state = await stageFile(dataset, chunked, { chunks: CHUNKS });
    await versionDataset(deps, state);

    // Act
    const created = await api(ctx.info, '/training-sets', {
      apiKey,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataset, combine: 'jsonl' }),
    });

    // Assess
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const body = created.body as { manifestUrl: string; combinedUrl: string };
    const manifest = JSON.parse(await (await fetch(body.manifestUrl)).text()) as TrainingSetManifest;
    const entry = manifest.files.find((f) => f.fileId === state.file.fileId);
    expect(entry?.dataFile.path).toBe(chunkFiles(state.file.fileId)[0]);
    expect(entry?.dataFiles?.map((f) => f.path)).toEqual(chunkFiles(state.file.fileId));
    expect(manifest.files.find((f) => f.fileId !== state.file.fileId)?.dataFiles).toBeUndefined();
    const lines = (await (await fetch(body.combinedUrl)).text()).trimEnd().split('\n');
    const rows = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const chunkRows = rows.filter((r) => r._source_file_id === state.file.fileId);
    expect(rows).toHaveLength(single.length + chunked.length);
    expect(chunkRows.map((r) => ({ id: r.id, price: r.price, sku: r.sku }))).toEqual(chunked);
  });
});

describe('files of one dataset versioned at once', () => {
  it("take numbers and commits in the same order: version N's table version holds versions 1..N", async () => {
    // Prepare: six files of five rows each, staged, their version stages started together
    const dataset = 'burst';
    const FILES = 10;
    const files = await Promise.all(
      range(0, FILES - 1).map(async (f) => {
        const rows = rowsOf(range(f * 10 + 1, f * 10 + 5), (id) => id + 0.5, `b${f}`);
        return { rows, state: await stageFile(dataset, rows) };
      }),
    );

    // Act
    const outputs = await Promise.all(files.map(({ state }) => versionDataset(deps, state)));

    // Assess
    expect(outputs.map((o) => o.version).sort((a, b) => a - b)).toEqual(range(1, FILES));
    const idsOfFile = new Map(files.map(({ rows, state }) => [state.file.fileId, rows.map((r) => r.id)]));
    const expected: number[] = [];
    for (const version of range(1, FILES)) {
      const record = await deps.versions.getVersion(tenant, dataset, version);
      expect(record?.status).toBe('READY');
      // An append-only table: version N is the N-th commit, and holds the rows of the first N files.
      expect(record?.table).toMatchObject({
        version: version - 1,
        rowsTotal: version * 5,
        filesTotal: version,
      });
      expected.push(...(idsOfFile.get(record?.sourceFileId as string) ?? []));
      const read = await rowsById(dataset, version - 1);
      expect([...read.keys()].sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
    }
    expect((await metadata.getDataset(tenant, dataset))?.currentVersion).toBe(FILES);
  });

  it("waits its turn while another file holds the dataset's writer lease, then versions", async () => {
    // Prepare: another file's version stage holds the lease
    const dataset = 'queued';
    const state = await stageFile(
      dataset,
      rowsOf(range(1, 3), (id) => id, 'q'),
    );
    const other = { owner: 'f_another', now: new Date().toISOString() };
    const until = new Date(Date.now() + 60_000).toISOString();
    expect(await deps.writers.acquire(tenant, dataset, { ...other, until })).toEqual({
      owner: 'f_another',
      until,
    });
    let released = false;

    // Act
    const versioning = versionDataset(deps, state).then((output) => ({ output, afterRelease: released }));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const versionedMeanwhile = await deps.versions.getVersion(tenant, dataset, 1);
    released = true;
    await deps.writers.release(tenant, dataset, 'f_another');
    const { output, afterRelease } = await versioning;

    // Assess
    expect(versionedMeanwhile).toBeUndefined();
    expect(afterRelease).toBe(true);
    expect(output).toMatchObject({ status: 'VERSIONED', version: 1, table_version: 0 });
    // Released when done: the next file takes the lease at once.
    const next = { owner: 'f_next', now: new Date().toISOString(), until };
    expect(await deps.writers.acquire(tenant, dataset, next)).toEqual({ owner: 'f_next', until });
  });
});
