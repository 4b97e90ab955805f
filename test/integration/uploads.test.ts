import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
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

describe('presigned uploads', () => {
  it('uploads a file with a plain HTTP PUT and runs the pipeline on it', async () => {
    // Prepare
    const created = await post('/files/upload-url', {
      dataset: 'uploaded',
      fileName: 'customers.csv',
      dataType: 'sample',
    });
    expect(created.status).toBe(201);
    const { url, headers, key } = created.body as {
      url: string;
      headers: Record<string, string>;
      key: string;
    };

    // Act
    const put = await fetch(url, { method: 'PUT', headers, body: readFileSync('events/data/customers.csv') });

    // Assess
    expect(put.status).toBe(200);
    expect(key).toMatch(/^fresh\/upload-[0-9a-f]+\/uploaded\/customers\.csv$/);
    const [file] = await waitForFiles('dataset=uploaded', 1);
    expect(file).toMatchObject({ key, dataType: 'sample', status: 'FRESH', stage: 'version', version: 1 });
  });

  it('never lets a second upload overwrite the same key', async () => {
    // Prepare
    const first = await post('/files/upload-url', { dataset: 'once', fileName: 'a.csv' });
    const { url, headers } = first.body as { url: string; headers: Record<string, string> };
    await fetch(url, { method: 'PUT', headers, body: 'x,y\n1,2\n' });

    // Act
    const again = await fetch(url, { method: 'PUT', headers, body: 'x,y\n3,4\n' });

    // Assess
    expect(again.status).toBe(412);
  });

  it('hands out URLs for several files at once and lists them by status and type', async () => {
    // Prepare
    const created = await post('/files/upload-urls', {
      files: [
        { dataset: 'multi', fileName: 'one.jsonl', dataType: 'red_team' },
        { dataset: 'multi', fileName: 'two.jsonl', dataType: 'custom' },
      ],
    });
    const uploads = (created.body?.uploads ?? []) as Array<{ url: string; headers: Record<string, string> }>;

    // Act
    await Promise.all(
      uploads.map((u, i) =>
        fetch(u.url, { method: 'PUT', headers: u.headers, body: `{"n":${i}}\n{"n":${i + 10}}\n` }),
      ),
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
    expect((await post('/files/upload-url', { dataset: 'd', fileName: '../other/x.csv' })).status).toBe(400);
    expect((await post('/files/upload-url', { dataset: 'd', fileName: 'x.xlsx' })).status).toBe(400);
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
