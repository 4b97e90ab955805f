/**
 * Upload metadata on file records, the file id of an upload, and rows posted to the API, on the local
 * cloud: presigned PUTs with plain fetch, the API as a curl user calls it, two tenants side by side.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileIdOfUpload } from '../../shared/domain/file-record.js';
import { api, cloudContext, newTenant } from '../support/cloud.js';

const ctx = cloudContext();
let tenant: string;
let apiKey: string;
let otherKey: string;
let otherTenant: string;

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'meta'));
  ({ tenant: otherTenant, apiKey: otherKey } = await newTenant(ctx, 'meta-other'));
});

function post(path: string, body: unknown, key = apiKey) {
  return api(ctx.info, path, {
    apiKey: key,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

interface UploadAnswer {
  bucket: string;
  key: string;
  url: string;
  headers: Record<string, string>;
  filesRoute: string;
}

/** Asks for an upload URL, PUTs the bytes, and derives the file id from the PUT's answer. */
async function upload(dataset: string, fileName: string, body: string, metadata?: Record<string, string>) {
  const created = await post('/files/upload-url', {
    dataset,
    fileName,
    size: Buffer.byteLength(body),
    ...(metadata && { metadata }),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const answer = created.body as unknown as UploadAnswer;
  const { 'content-length': _, ...headers } = answer.headers;
  const put = await fetch(answer.url, { method: 'PUT', headers, body });
  expect(put.status).toBe(200);
  const ids = fileIdOfUpload(answer, {
    versionId: put.headers.get('x-amz-version-id'),
    eTag: put.headers.get('etag'),
  });
  return { ...answer, ...ids };
}

/** The file's record once the pipeline is done with it (versioned, a duplicate or quarantined). */
async function settled(fileId: string, key = apiKey) {
  for (let i = 0; i < 480; i++) {
    const file = await api(ctx.info, `/files/${fileId}`, { apiKey: key });
    const body = file.body ?? {};
    if (file.status === 200 && (body.stage === 'version' || body.status !== 'FRESH')) return body;
    await sleep(250);
  }
  throw new Error(`file ${fileId} did not settle in time`);
}

/** Every file of a listing, following cursors; pages of `limit`. */
async function everyFile(query: string, key = apiKey) {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await api(
      ctx.info,
      `/files?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { apiKey: key },
    );
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    ids.push(...((page.body?.files ?? []) as Array<{ fileId: string }>).map((f) => f.fileId));
    cursor = page.body?.nextCursor as string | undefined;
    pages++;
  } while (cursor && pages < 100);
  return ids;
}

describe('upload metadata on the file record', () => {
  let crm: Awaited<ReturnType<typeof upload>>;
  let web: Awaited<ReturnType<typeof upload>>;

  beforeAll(async () => {
    crm = await upload('leads', 'crm.csv', 'id,score\n1,0.5\n2,0.7\n', { source: 'crm', owner: 'ml-team' });
    web = await upload('leads', 'web.csv', 'id,score\n3,0.1\n4,0.2\n', { source: 'web', owner: 'ml-team' });
    await Promise.all([settled(crm.fileId), settled(web.fileId)]);
  });

  it('records the metadata of a presigned upload under the file id derived from the PUT answer', async () => {
    // Act
    const file = await api(ctx.info, `/files/${crm.fileId}`, { apiKey });

    // Assess
    expect(file.status).toBe(200);
    expect(file.body).toMatchObject({
      fileId: crm.fileId,
      key: crm.key,
      stage: 'version',
      metadata: { source: 'crm', owner: 'ml-team' },
    });
    // strata's own keys stay out of the user's metadata.
    expect(Object.keys(file.body?.metadata as object).sort()).toEqual(['owner', 'source']);
    expect(file.body).not.toHaveProperty('metadataTruncated');
  });

  it('finds a file by its metadata and by its key, and not the other file', async () => {
    // Act
    const bySource = await everyFile('metadata=source:crm');
    const byBoth = await everyFile('metadata=owner:ml-team,source:web&dataset=leads');
    const byOwner = await everyFile('metadata=owner:ml-team&limit=1');
    const byKey = await api(ctx.info, crm.filesRoute, { apiKey });
    const none = await everyFile('metadata=source:nowhere');

    // Assess
    expect(bySource).toEqual([crm.fileId]);
    expect(byBoth).toEqual([web.fileId]);
    // Pages of one, through the cursor: each match exactly once.
    expect(byOwner.sort()).toEqual([crm.fileId, web.fileId].sort());
    expect(((byKey.body?.files ?? []) as Array<{ fileId: string }>).map((f) => f.fileId)).toEqual([
      crm.fileId,
    ]);
    expect(none).toEqual([]);
  });

  it('shows another tenant nothing: 404 for the file, no match for the filter or the key', async () => {
    // Act
    const file = await api(ctx.info, `/files/${crm.fileId}`, { apiKey: otherKey });
    const bySource = await everyFile('metadata=source:crm', otherKey);
    const byKey = await everyFile(`key=${encodeURIComponent(crm.key)}`, otherKey);

    // Assess
    expect(file.status).toBe(404);
    expect(bySource).toEqual([]);
    expect(byKey).toEqual([]);
  });

  it("refuses metadata over the bounds with a 422 and strata's own keys with a 400, signing nothing", async () => {
    // Act
    const tooMany = await post('/files/upload-url', {
      dataset: 'leads',
      fileName: 'big.csv',
      size: 10,
      metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])),
    });
    const tooLong = await post('/files/upload-urls', {
      files: [
        { dataset: 'leads', fileName: 'a.csv', size: 10 },
        { dataset: 'leads', fileName: 'b.csv', size: 10, metadata: { note: 'x'.repeat(513) } },
      ],
    });
    const reserved = await post('/files/upload-url', {
      dataset: 'leads',
      fileName: 'c.csv',
      size: 10,
      metadata: { 'data-type': 'sample' },
    });

    // Assess
    expect(tooMany).toMatchObject({ status: 422, body: { error: 'MetadataTooLargeError' } });
    expect(tooLong).toMatchObject({ status: 422, body: { error: 'MetadataTooLargeError' } });
    expect(String(tooLong.body?.message)).toMatch(/^files\[1\]: metadata "note" has 513 characters/);
    expect(reserved).toMatchObject({ status: 400, body: { error: 'InvalidInputError' } });
  });

  it('keeps what fits of an object put with more metadata than a record holds, and says so', async () => {
    // Prepare: 25 keys, straight into the bucket (an upload URL would refuse them).
    const key = `fresh/${tenant}/direct/many.csv`;
    const metadata = Object.fromEntries(
      Array.from({ length: 25 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v']),
    );
    const put = await ctx.s3.send(
      new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: 'a,b\n1,2\n', Metadata: metadata }),
    );
    const { fileId } = fileIdOfUpload({ bucket: ctx.info.dataBucket, key }, { versionId: put.VersionId });

    // Act
    const file = await settled(fileId);

    // Assess
    expect(file.metadataTruncated).toBe(true);
    // The first 20 in key order (a DynamoDB map keeps no order of its own).
    expect(Object.keys(file.metadata as object).sort()).toEqual(Object.keys(metadata).slice(0, 20));
  });
});

describe('POST /datasets/{name}/rows', () => {
  const rows = [
    { event_time: '2026-11-01T00:00:00Z', user: 'a', amount: 3 },
    { event_time: '2026-11-02T00:00:00Z', user: 'b', amount: 5.5 },
    { event_time: '2026-11-03T00:00:00Z', user: 'c', amount: null },
  ];

  it('writes the rows as one file the pipeline versions: the rows route reads them back', async () => {
    // Act
    const accepted = await post('/datasets/clicks/rows', { rows, metadata: { source: 'curl' } });
    const again = await post('/datasets/clicks/rows', { rows, metadata: { source: 'curl' } });
    const file = await settled(String(accepted.body?.fileId));
    const read = await api(ctx.info, '/datasets/clicks/rows?last=10&order=asc', { apiKey });

    // Assess
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    expect(accepted.body).toMatchObject({
      dataset: 'clicks',
      rows: 3,
      columns: ['event_time', 'user', 'amount'],
      created: true,
      status: 'ACCEPTED',
      key: expect.stringMatching(new RegExp(`^fresh/${tenant}/clicks/rows/[0-9a-f]{32}\\.jsonl$`)),
    });
    expect(again.body).toMatchObject({
      fileId: accepted.body?.fileId,
      key: accepted.body?.key,
      created: false,
    });
    expect(file).toMatchObject({
      status: 'FRESH',
      version: 1,
      format: 'jsonl',
      metadata: { source: 'curl' },
    });
    const run = await api(ctx.info, String(accepted.body?.run), { apiKey });
    expect(run).toMatchObject({ status: 200, body: { status: 'SUCCEEDED' } });
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    const back = ((read.body?.rows ?? []) as Array<Record<string, unknown>>).map(({ user, amount }) => ({
      user,
      amount,
    }));
    expect(back).toEqual(rows.map(({ user, amount }) => ({ user, amount })));
  });

  it("writes another tenant's rows into that tenant's own dataset of the same name, never the first's", async () => {
    // Act
    const other = await post(
      '/datasets/clicks/rows',
      { columns: { event_time: ['2026-11-09T00:00:00Z'], user: ['intruder'], amount: [99] } },
      otherKey,
    );
    const otherFile = await settled(String(other.body?.fileId), otherKey);
    const firstTenant = await api(ctx.info, '/datasets/clicks/rows?last=100', { apiKey });
    const fromFirst = await api(ctx.info, `/files/${other.body?.fileId}`, { apiKey });

    // Assess
    expect(other.status).toBe(202);
    expect(String(other.body?.key)).toMatch(new RegExp(`^fresh/${otherTenant}/clicks/rows/`));
    expect(otherFile).toMatchObject({ tenant: otherTenant, dataset: 'clicks', version: 1 });
    const users = ((firstTenant.body?.rows ?? []) as Array<{ user: string }>).map((r) => r.user);
    expect(users).not.toContain('intruder');
    expect(users.sort()).toEqual(['a', 'b', 'c']);
    expect(fromFirst.status).toBe(404);
  });

  it('refuses rows over 5 MiB of JSONL with a typed 422, and a body with both rows and columns', async () => {
    // Prepare: ~5.2 MiB of JSONL, under the 6 MB a request may carry.
    const big = Array.from({ length: 5200 }, (_, i) => ({ i, text: 'x'.repeat(1024) }));

    // Act
    const tooBig = await post('/datasets/clicks/rows', { rows: big });
    const both = await post('/datasets/clicks/rows', { rows, columns: { a: [1] } });

    // Assess
    expect(tooBig).toMatchObject({ status: 422, body: { error: 'UploadTooLargeError' } });
    expect(both.status).toBe(400);
  });
});
