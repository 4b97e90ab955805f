import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../shared/adapters/s3-object-store.js';
import { fileIdFor } from '../../shared/domain/file-record.js';
import { rowsOf } from '../../shared/domain/table.js';
import type { TrainingSetManifest } from '../../shared/domain/training-set.js';
import { ConflictError } from '../../shared/errors.js';
import { openParquet } from '../../shared/formats/parquet.js';
import { api, cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';

const ctx = cloudContext();
let apiKey: string;
let tenant: string;

/**
 * The tenant's files, in upload order. `a1` and `b1` have the same bytes in two datasets; `score` is a
 * float in alpha and an int in gamma; `note` is text in r1 and a number in g1; `s1` is the sample file.
 */
const FILES = {
  a1: ['alpha/a1.csv', 'id,score\n1,0.5\n2,1.5\n'],
  r1: [
    'alpha/red_team/r1.jsonl',
    '{"id":3,"score":2.5,"note":"x"}\n{"id":4,"score":3.5,"note":"y"}\n{"id":5,"score":4.5,"note":"z"}\n',
  ],
  b1: ['beta/b1.csv', 'id,score\n1,0.5\n2,1.5\n'],
  a2: ['alpha/a2.csv', 'id,score,at\n6,5.5,2026-05-01T10:00:00Z\n'],
  g1: ['gamma/g1.csv', 'id,score,note\n10,7,1\n11,8,2\n'],
  s1: ['samples/sample_set.csv', 'id,text\n1,hello\n2,world\n'],
} as const;
type Name = keyof typeof FILES;
const ids = {} as Record<Name, string>;

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'tsets'));
  // alpha's files add columns (note, at): its table takes them.
  const config = await api(ctx.info, '/datasets/alpha/config', {
    apiKey,
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ schemaEvolution: 'add_columns' }),
  });
  expect(config.status, JSON.stringify(config.body)).toBeLessThan(300);
  for (const [name, [path, body]] of Object.entries(FILES) as [Name, readonly [string, string]][]) {
    // Upload times have one-second resolution (S3 Last-Modified): one file per second keeps "newest" exact.
    await sleep(1050 - (Date.now() % 1000));
    const key = `fresh/${tenant}/${path}`;
    const put = await ctx.s3.send(
      new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: body }),
    );
    const ref = { bucket: ctx.info.dataBucket, key, versionId: put.VersionId };
    const execution = await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref));
    expect(execution.status, `${name}: ${execution.cause}`).toBe('SUCCEEDED');
    ids[name] = fileIdFor(ref);
  }
}, 180_000);

function create(criteria: Record<string, unknown>) {
  return api(ctx.info, '/training-sets', {
    apiKey,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(criteria),
  });
}

async function download(url: unknown): Promise<Uint8Array> {
  const response = await fetch(String(url));
  expect(response.status).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
}

async function createWithManifest(criteria: Record<string, unknown>) {
  const created = await create(criteria);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const body = created.body as Record<string, unknown>;
  const manifest = JSON.parse(
    new TextDecoder().decode(await download(body.manifestUrl)),
  ) as TrainingSetManifest;
  return { body, manifest, fileIds: manifest.files.map((f) => f.fileId) };
}

describe('POST /training-sets selects fresh files', () => {
  it('takes the newest versions first within the dataset and type filters', async () => {
    // Act
    const alpha = await createWithManifest({ dataset: 'alpha' });
    const redTeam = await createWithManifest({ dataset: 'alpha', type: 'red_team' });

    // Assess
    expect(alpha.fileIds).toEqual([ids.a2, ids.r1, ids.a1]);
    expect(alpha.body).toMatchObject({ selection: 'fresh', totals: { files: 3, rows: 6 } });
    expect(alpha.body.id).toMatch(/^ts_[0-9a-f]{32}$/);
    expect(alpha.body.manifestKey).toBe(`training-sets/${tenant}/${alpha.body.id}/manifest.json`);
    expect(alpha.manifest.files[0]).toMatchObject({
      fileId: ids.a2,
      key: `fresh/${tenant}/alpha/a2.csv`,
      dataset: 'alpha',
      dataType: 'custom',
      version: 3,
      // The version's own data file in alpha's Delta table, committed as Delta version 2 (a1 0, r1 1).
      dataFile: {
        path: `part-${ids.a2}.parquet`,
        key: `tables/${tenant}/alpha/part-${ids.a2}.parquet`,
        deltaVersion: 2,
      },
      rows: 1,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      objectVersion: expect.any(String),
    });
    expect(redTeam.fileIds).toEqual([ids.r1]);
  });

  it('skips a file whose content another dataset already contributed', async () => {
    // Act
    const { fileIds, manifest } = await createWithManifest({ type: 'custom' });

    // Assess: b1 is newer than a1 and has the same bytes
    expect(fileIds).toEqual([ids.g1, ids.a2, ids.b1]);
    const hashes = manifest.files.map((f) => f.sha256);
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it('stops before the file that would exceed maxRows', async () => {
    // Act: a2 (1 row) + r1 (3 rows) fit in 4; a1 (2 rows) does not
    const { fileIds, body } = await createWithManifest({ dataset: 'alpha', maxRows: 4 });

    // Assess
    expect(fileIds).toEqual([ids.a2, ids.r1]);
    expect(body.totals).toMatchObject({ files: 2, rows: 4 });
  });

  it('leaves out files uploaded before `since`', async () => {
    // Prepare
    const newest = await createWithManifest({ dataset: 'alpha' });
    const since = newest.manifest.files[0]?.uploadedAt;

    // Act
    const { fileIds } = await createWithManifest({ dataset: 'alpha', since });

    // Assess
    expect(fileIds).toEqual([ids.a2]);
  });
});

describe('the sample fallback', () => {
  // Files cannot be made USED yet (consume is another use case), so these cases select sample files that
  // are still FRESH but excluded by the criteria; USED ones are covered through the selection rules.
  it('falls back to the dataset’s sample files when no fresh file matches the type', async () => {
    // Act
    const { body, fileIds } = await createWithManifest({ dataset: 'samples', type: 'red_team' });

    // Assess
    expect(body.selection).toBe('sample-fallback');
    expect(fileIds).toEqual([ids.s1]);
  });

  it('falls back to sample files of any age when nothing arrived since the given instant', async () => {
    // Act
    const { body, fileIds } = await createWithManifest({ since: '2999-01-01T00:00:00Z' });

    // Assess
    expect(body.selection).toBe('sample-fallback');
    expect(fileIds).toEqual([ids.s1]);
  });

  it('answers 422 when there is neither a fresh nor a sample file to select', async () => {
    // Act
    const response = await create({ dataset: 'beta', type: 'red_team' });

    // Assess
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ error: 'EmptySelectionError' });
  });

  it('answers 422 when the newest matching file alone is over budget', async () => {
    // Act
    const response = await create({ dataset: 'beta', maxBytes: 1 });

    // Assess
    expect(response.status).toBe(422);
    expect(String(response.body?.message)).toContain('exceeds');
  });
});

describe('a training set of a dataset version', () => {
  it("lists every data file of the version's Delta table, and its combined file holds all their rows", async () => {
    // Act
    const v2 = await createWithManifest({ dataset: 'alpha', version: 2, combine: 'parquet' });
    const v3 = await createWithManifest({ dataset: 'alpha', version: 3 });
    const fetched = await api(ctx.info, `/training-sets/${v2.body.id}`, { apiKey });

    // Assess: version 2 is alpha's table at Delta version 1, a1's and r1's data files.
    expect(v2.body).toMatchObject({ selection: 'table', totals: { files: 2, rows: 5 } });
    expect(v2.manifest.files).toEqual([]);
    const dataFile = (id: string) => ({
      path: `part-${id}.parquet`,
      key: `tables/${tenant}/alpha/part-${id}.parquet`,
      rows: expect.any(Number),
      bytes: expect.any(Number),
    });
    expect(v2.manifest.table).toEqual({
      dataset: 'alpha',
      version: 2,
      deltaVersion: 1,
      uri: `s3://${ctx.info.dataBucket}/tables/${tenant}/alpha`,
      files: [dataFile(ids.a1), dataFile(ids.r1)].sort((a, b) => (a.path < b.path ? -1 : 1)),
    });
    expect(Object.fromEntries(v2.manifest.table?.files.map((f) => [f.path, f.rows]) ?? [])).toEqual({
      [`part-${ids.a1}.parquet`]: 2,
      [`part-${ids.r1}.parquet`]: 3,
    });
    expect(v2.manifest.totals.bytes).toBe(v2.manifest.table?.files.reduce((sum, f) => sum + f.bytes, 0));
    expect(new Set(fetched.body?.fileIds as string[])).toEqual(new Set([ids.a1, ids.r1]));
    expect(v3.manifest.table).toMatchObject({ version: 3, deltaVersion: 2 });
    expect(v3.manifest.table?.files).toHaveLength(3);
    expect(v3.body).toMatchObject({ totals: { files: 3, rows: 6 } });

    const bytes = await download(v2.body.combinedUrl);
    const parquet = await openParquet({ size: bytes.length, read: async (s, e) => bytes.subarray(s, e) });
    const rows = [];
    for await (const batch of parquet.readRowGroups()) rows.push(...rowsOf(batch));
    expect(rows).toHaveLength(5);
    expect(rows.filter((r) => r._source_file_id === ids.a1)).toHaveLength(2);
    expect(rows.filter((r) => r._source_file_id === ids.r1)).toHaveLength(3);
    expect(new Set(rows.map((r) => r._dataset_version))).toEqual(new Set([2]));
    expect(rows.find((r) => r._source_file_id === ids.a1)).toMatchObject({ note: null });
  });

  it('refuses a version without its dataset, file criteria beside it, and a version over budget', async () => {
    // Act
    const noDataset = await create({ version: 2 });
    const withSince = await create({ dataset: 'alpha', version: 2, since: '2026-01-01T00:00:00Z' });
    const overBudget = await create({ dataset: 'alpha', version: 2, maxRows: 4 });
    const missing = await create({ dataset: 'alpha', version: 99 });

    // Assess
    expect(noDataset.status).toBe(400);
    expect(withSince.status).toBe(400);
    expect(overBudget.status).toBe(422);
    expect(overBudget.body).toMatchObject({ error: 'EmptySelectionError' });
    expect(missing.status).toBe(404);
  });
});

describe('the manifest', () => {
  it('cannot be overwritten, and GET returns it unchanged with fresh links', async () => {
    // Prepare
    const { body, manifest } = await createWithManifest({ dataset: 'alpha' });
    const store = new S3ObjectStore(ctx.s3, ctx.info.dataBucket);
    const key = String(body.manifestKey);

    // Act
    const overwrite = await store.putJson(key, { forged: true }, { ifAbsent: true }).catch((e: unknown) => e);
    const fetched = await api(ctx.info, `/training-sets/${body.id}`, { apiKey });

    // Assess
    expect(overwrite).toBeInstanceOf(ConflictError);
    expect(await store.getJson(key)).toEqual(manifest);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({
      id: body.id,
      manifestKey: key,
      selection: 'fresh',
      fileIds: [ids.a2, ids.r1, ids.a1],
      manifest,
    });
    const viaLink = JSON.parse(new TextDecoder().decode(await download(fetched.body?.manifestUrl)));
    expect(viaLink).toEqual(manifest);
  });

  it('is unknown to another tenant, and an unknown id is 404', async () => {
    // Prepare
    const { body } = await createWithManifest({ dataset: 'alpha' });
    const other = await newTenant(ctx, 'tsets-other');

    // Act
    const foreign = await api(ctx.info, `/training-sets/${body.id}`, { apiKey: other.apiKey });
    const unknown = await api(ctx.info, '/training-sets/ts_nosuchset', { apiKey });

    // Assess
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
  });

  it('rejects criteria it does not know', async () => {
    expect((await create({ dataset: 'alpha', limit: 3 })).status).toBe(400);
    expect((await create({ since: 'yesterday' })).status).toBe(400);
  });
});

describe('the combined file', () => {
  it('is one Parquet file with the union schema and the traceability columns', async () => {
    // Act
    const { body, manifest } = await createWithManifest({ combine: 'parquet' });
    const bytes = await download(body.combinedUrl);
    const parquet = await openParquet({ size: bytes.length, read: async (s, e) => bytes.subarray(s, e) });

    // Assess
    expect(body.combinedKey).toBe(`training-sets/${tenant}/${body.id}/data.parquet`);
    expect(manifest.files.map((f) => f.fileId)).toEqual([ids.s1, ids.g1, ids.a2, ids.b1, ids.r1]);
    expect(manifest.combined).toMatchObject({ format: 'parquet', rows: 10, bytes: bytes.length });
    const types = Object.fromEntries(parquet.schema.columns.map((c) => [c.name, [c.type, c.nullable]]));
    expect(types).toEqual({
      id: ['int', false],
      text: ['string', true],
      score: ['float', true],
      note: ['string', true],
      at: ['timestamp', true],
      _source_file_id: ['string', false],
      _dataset_version: ['int', false],
    });
    const rows = [];
    for await (const batch of parquet.readRowGroups()) rows.push(...rowsOf(batch));
    expect(rows).toHaveLength(manifest.totals.rows);
    for (const file of manifest.files) {
      const own = rows.filter((r) => r._source_file_id === file.fileId);
      expect(own, file.key).toHaveLength(file.rows);
      expect(new Set(own.map((r) => r._dataset_version))).toEqual(new Set([file.version]));
    }
    expect(rows.find((r) => r._source_file_id === ids.g1)).toMatchObject({ score: 7, note: '1' });
    expect(rows.find((r) => r._source_file_id === ids.a2)).toMatchObject({
      at: Date.UTC(2026, 4, 1, 10),
      note: null,
    });
  });

  it('is JSON Lines with one object per selected row, timestamps in ISO 8601', async () => {
    // Act
    const { body, manifest } = await createWithManifest({ type: 'custom', combine: 'jsonl' });
    const text = new TextDecoder().decode(await download(body.combinedUrl));

    // Assess
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(manifest.totals.rows);
    const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(new Set(rows.map((r) => r._source_file_id))).toEqual(new Set([ids.g1, ids.a2, ids.b1]));
    expect(rows.find((r) => r._source_file_id === ids.a2)).toEqual({
      id: 6,
      score: 5.5,
      at: '2026-05-01T10:00:00.000Z',
      _source_file_id: ids.a2,
      _dataset_version: 3,
    });
  });
});
