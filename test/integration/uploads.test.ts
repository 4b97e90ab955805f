import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, cloudContext, newTenant } from '../support/cloud.js';

const ctx = cloudContext();
let apiKey: string;

beforeAll(async () => {
  ({ apiKey } = await newTenant(ctx, 'upload'));
});

function post(path: string, body: unknown) {
  return api(ctx.info, path, {
    apiKey,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function waitForFiles(query: string, count: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const listing = await api(ctx.info, `/files?${query}`, { apiKey });
    const files = (listing.body?.files ?? []) as Array<Record<string, unknown>>;
    if (files.length >= count && files.every((f) => f.stage === 'version' || f.status !== 'FRESH'))
      return files;
    if (Date.now() > deadline) throw new Error(`files for ${query}: ${JSON.stringify(files)}`);
    await sleep(300);
  }
}

/** Everything but content-length: fetch then sends the length of the body it is given. */
function withoutLength(headers: Record<string, string>) {
  const { 'content-length': _, ...rest } = headers;
  return rest;
}

async function exists(key: string) {
  return ctx.s3
    .send(new HeadObjectCommand({ Bucket: ctx.info.dataBucket, Key: key }))
    .then(() => true)
    .catch((error: { name?: string }) => (error.name === 'NotFound' ? false : Promise.reject(error)));
}

describe('presigned uploads', () => {
  it('uploads a file with a plain HTTP PUT and runs the pipeline on it', async () => {
    // Prepare
    const csv = readFileSync('events/data/customers.csv');
    const created = await post('/files/upload-url', {
      dataset: 'uploaded',
      fileName: 'customers.csv',
      size: csv.length,
      dataType: 'sample',
    });
    expect(created.status).toBe(201);
    const { url, headers, key } = created.body as {
      url: string;
      headers: Record<string, string>;
      key: string;
    };

    // Act
    const put = await fetch(url, { method: 'PUT', headers, body: csv });

    // Assess
    expect(put.status).toBe(200);
    expect(key).toMatch(/^fresh\/upload-[0-9a-f]+\/uploaded\/customers\.csv$/);
    const [file] = await waitForFiles('dataset=uploaded', 1);
    expect(file).toMatchObject({ key, dataType: 'sample', status: 'FRESH', stage: 'version', version: 1 });
  });

  it('never lets a second upload overwrite the same key', async () => {
    // Prepare
    const first = await post('/files/upload-url', { dataset: 'once', fileName: 'a.csv', size: 8 });
    const { url, headers } = first.body as { url: string; headers: Record<string, string> };
    await fetch(url, { method: 'PUT', headers, body: 'x,y\n1,2\n' });

    // Act
    const again = await fetch(url, { method: 'PUT', headers, body: 'x,y\n3,4\n' });

    // Assess
    expect(again.status).toBe(412);
  });

  it('hands out URLs for several files at once and lists them by status and type', async () => {
    // Prepare
    const bodies = ['{"n":0}\n{"n":10}\n', '{"n":1}\n{"n":11}\n{"n":21}\n'];
    const created = await post('/files/upload-urls', {
      files: [
        { dataset: 'multi', fileName: 'one.jsonl', size: bodies[0]?.length, dataType: 'red_team' },
        { dataset: 'multi', fileName: 'two.jsonl', size: bodies[1]?.length, dataType: 'custom' },
      ],
    });
    const uploads = (created.body?.uploads ?? []) as Array<{ url: string; headers: Record<string, string> }>;

    // Act
    await Promise.all(
      uploads.map((u, i) => fetch(u.url, { method: 'PUT', headers: u.headers, body: bodies[i] })),
    );
    await waitForFiles('dataset=multi', 2);
    const redTeam = await api(ctx.info, '/files?status=fresh&type=red_team&dataset=multi', { apiKey });

    // Assess
    expect(uploads).toHaveLength(2);
    expect(redTeam.body?.files).toEqual([
      expect.objectContaining({ fileName: 'one.jsonl', dataType: 'red_team' }),
    ]);
  });

  it('rejects a file name that would escape the dataset, and an unknown format', async () => {
    expect(
      (await post('/files/upload-url', { dataset: 'd', fileName: '../other/x.csv', size: 1 })).status,
    ).toBe(400);
    expect((await post('/files/upload-url', { dataset: 'd', fileName: 'x.xlsx', size: 1 })).status).toBe(400);
  });

  it.each([
    ['larger', 'x,y\n1,2\n3,4\n'],
    ['smaller', 'x,y\n'],
  ])('refuses a body %s than the declared size, and stores nothing', async (which, body) => {
    // Prepare
    const declared = 'x,y\n1,2\n';
    const created = await post('/files/upload-url', {
      dataset: 'sized',
      fileName: `${which}.csv`,
      size: declared.length,
    });
    const { url, headers, key } = created.body as {
      url: string;
      headers: Record<string, string>;
      key: string;
    };

    // Act
    const refused = await fetch(url, { method: 'PUT', headers: withoutLength(headers), body });
    const stored = await exists(key);
    const exact = await fetch(url, { method: 'PUT', headers, body: declared });

    // Assess
    expect(headers['content-length']).toBe(String(declared.length));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(stored).toBe(false);
    expect(exact.status).toBe(200);
  });

  it('refuses a body sent without a length (chunked), which could be of any size', async () => {
    // Prepare
    const created = await post('/files/upload-url', { dataset: 'sized', fileName: 'chunked.csv', size: 8 });
    const { url, headers, key } = created.body as {
      url: string;
      headers: Record<string, string>;
      key: string;
    };
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('x,y\n1,2\n'));
        controller.close();
      },
    });

    // Act
    const refused = await fetch(url, {
      method: 'PUT',
      headers: withoutLength(headers),
      body,
      duplex: 'half',
    } as RequestInit);

    // Assess
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(await exists(key)).toBe(false);
  });

  it("refuses a declared size over the deployment's limit (default 5 GiB), for one file or in a batch", async () => {
    // Prepare
    const over = 5 * 1024 ** 3 + 1;

    // Act
    const one = await post('/files/upload-url', { dataset: 'huge', fileName: 'big.parquet', size: over });
    const batch = await post('/files/upload-urls', {
      files: [
        { dataset: 'huge', fileName: 'small.csv', size: 10 },
        { dataset: 'huge', fileName: 'big.parquet', size: over },
      ],
    });
    const atLimit = await post('/files/upload-url', {
      dataset: 'huge',
      fileName: 'max.parquet',
      size: over - 1,
    });

    // Assess
    expect(one).toEqual({
      status: 422,
      body: {
        error: 'UploadTooLargeError',
        message: `big.parquet is declared ${over} bytes, over this deployment's upload limit of ${over - 1} bytes`,
      },
    });
    expect(batch.status).toBe(422);
    expect(batch.body?.message).toMatch(/^files\[1\]: big\.parquet is declared/);
    expect(atLimit.status).toBe(201);
  });

  it('requires the size, as a whole positive number of bytes', async () => {
    expect((await post('/files/upload-url', { dataset: 'd', fileName: 'x.csv' })).status).toBe(400);
    expect((await post('/files/upload-url', { dataset: 'd', fileName: 'x.csv', size: 0 })).status).toBe(400);
    expect((await post('/files/upload-url', { dataset: 'd', fileName: 'x.csv', size: 1.5 })).status).toBe(
      400,
    );
    expect((await post('/files/upload-url', { dataset: 'd', fileName: 'x.csv', size: '8' })).status).toBe(
      400,
    );
  });

  it.each(['', 'status=fresh&', 'dataset=multi&'])(
    'pages through files with a cursor (%s)',
    async (filter) => {
      // Act
      const first = await api(ctx.info, `/files?${filter}limit=1`, { apiKey });
      const second = await api(ctx.info, `/files?${filter}limit=1&cursor=${first.body?.nextCursor}`, {
        apiKey,
      });

      // Assess
      expect(second.status).toBe(200);
      expect(first.body?.files).toHaveLength(1);
      expect(second.body?.files).toHaveLength(1);
      expect(second.body?.files).not.toEqual(first.body?.files);
    },
  );
});
