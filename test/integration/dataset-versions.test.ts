import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';
import { normal, random } from '../support/random.js';

const ctx = cloudContext();
let tenant: string;
let apiKey: string;

/** Readings: a timestamp, a normal temperature (mean 20 + shift, sd 2), a site; optionally humidity. */
function readingsCsv({
  seed,
  rows,
  shift = 0,
  humidity = false,
}: {
  seed: number;
  rows: number;
  shift?: number;
  humidity?: boolean;
}) {
  const z = normal(seed);
  const u = random(seed + 11);
  const lines = [humidity ? 'ts,temperature,site,humidity' : 'ts,temperature,site'];
  const start = Date.UTC(2026, 10, 1) + seed * 86_400_000;
  for (let i = 0; i < rows; i++) {
    const ts = new Date(start + i * 60_000).toISOString();
    const cells = [ts, (20 + shift + 2 * z()).toFixed(4), ['north', 'south'][Math.floor(u() * 2)]];
    if (humidity) cells.push((0.4 + 0.2 * u()).toFixed(3));
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

async function ingest(dataset: string, name: string, body: string) {
  const key = `fresh/${tenant}/${dataset}/${name}`;
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: body }));
  const execution = await waitForExecution(
    ctx.sfn,
    executionArnFor(ctx.info, { bucket: ctx.info.dataBucket, key, versionId: put.VersionId }),
    90_000,
  );
  expect(execution.status, execution.cause).toBe('SUCCEEDED');
  return JSON.parse(execution.output ?? '{}') as { status: string; version: number };
}

const patch = (path: string, body: unknown) =>
  api(ctx.info, path, {
    apiKey,
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const get = (path: string) => api(ctx.info, path, { apiKey });

const numbers = (body: Record<string, unknown> | undefined) =>
  ((body?.versions ?? []) as Array<{ version: number }>).map((v) => v.version);

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'versions'));
  // v2 adds a column: the table takes it.
  const config = await api(ctx.info, '/datasets/readings/config', {
    apiKey,
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ schemaEvolution: 'add_columns' }),
  });
  expect(config.status, JSON.stringify(config.body)).toBeLessThan(300);
  // Prepare (shared): v1, then v2 with more rows, temperature up by 5 and a new humidity column.
  expect(await ingest('readings', 'day-1.csv', readingsCsv({ seed: 1, rows: 400 }))).toMatchObject({
    status: 'VERSIONED',
    version: 1,
  });
  expect(
    await ingest('readings', 'day-2.csv', readingsCsv({ seed: 2, rows: 500, shift: 5, humidity: true })),
  ).toMatchObject({ status: 'VERSIONED', version: 2 });
});

describe('dataset version tags and description', () => {
  it('tags a version, describes it and lists the versions carrying a tag, newest first', async () => {
    // Act
    const tagged = await patch('/datasets/readings/versions/1', { add_tags: ['baseline', 'q4'] });
    const described = await patch('/datasets/readings/versions/1', {
      description: 'first batch after the sensor calibration',
    });
    const second = await patch('/datasets/readings/versions/2', { tags: ['q4', 'q4'] });

    // Assess: tags are kept across a description-only change; duplicates collapse.
    expect(tagged.status).toBe(200);
    expect(tagged.body).toMatchObject({ version: 1, tags: ['baseline', 'q4'] });
    expect(described.body).toMatchObject({
      version: 1,
      tags: ['baseline', 'q4'],
      description: 'first batch after the sensor calibration',
    });
    expect(second.body).toMatchObject({ version: 2, tags: ['q4'] });
    const stored = await get('/datasets/readings/versions/1');
    expect(stored.body).toMatchObject({
      tags: ['baseline', 'q4'],
      description: 'first batch after the sensor calibration',
      status: 'READY',
      rowCount: 400,
    });

    const baseline = await get('/datasets/readings/versions?tag=baseline');
    expect(baseline.status).toBe(200);
    expect(baseline.body).toMatchObject({ dataset: 'readings', tag: 'baseline', currentVersion: 2 });
    expect(numbers(baseline.body)).toEqual([1]);
    expect(numbers((await get('/datasets/readings/versions?tag=q4')).body)).toEqual([2, 1]);
    expect(numbers((await get('/datasets/readings/versions?tag=nobody')).body)).toEqual([]);
    expect(numbers((await get('/datasets/readings/versions')).body)).toEqual([2, 1]);

    // Act + Assess: paginated like the plain listing.
    const page1 = await get('/datasets/readings/versions?tag=q4&limit=1');
    expect(numbers(page1.body)).toEqual([2]);
    const cursor = encodeURIComponent(String(page1.body?.nextCursor));
    const page2 = await get(`/datasets/readings/versions?tag=q4&limit=1&cursor=${cursor}`);
    expect(numbers(page2.body)).toEqual([1]);

    // Act + Assess: removing a tag takes the version out of that tag's listing only.
    const removed = await patch('/datasets/readings/versions/1', { remove_tags: ['q4'] });
    expect(removed.body).toMatchObject({ tags: ['baseline'], description: expect.any(String) });
    expect(numbers((await get('/datasets/readings/versions?tag=q4')).body)).toEqual([2]);
    expect(numbers((await get('/datasets/readings/versions?tag=baseline')).body)).toEqual([1]);

    // Act + Assess: an empty description removes it.
    const cleared = await patch('/datasets/readings/versions/1', { description: '' });
    expect(cleared.status).toBe(200);
    expect(cleared.body).not.toHaveProperty('description');
    expect((await get('/datasets/readings/versions/1')).body).not.toHaveProperty('description');
  });

  it('keeps every tag when several callers tag one version at once', async () => {
    // Act
    const tags = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
    const answers = await Promise.all(
      tags.map((tag) => patch('/datasets/readings/versions/2', { add_tags: [tag] })),
    );

    // Assess
    expect(answers.map((a) => a.status)).toEqual(tags.map(() => 200));
    const record = await get('/datasets/readings/versions/2');
    expect([...((record.body?.tags ?? []) as string[])].sort()).toEqual([...tags, 'q4'].sort());
    for (const tag of tags) {
      expect(numbers((await get(`/datasets/readings/versions?tag=${tag}`)).body), tag).toEqual([2]);
    }
  });

  it('refuses malformed tag changes with 400 and unknown versions with 404', async () => {
    // Act
    const answers = await Promise.all([
      patch('/datasets/readings/versions/1', { tags: ['has space'] }),
      patch('/datasets/readings/versions/1', { add_tags: ['x'.repeat(65)] }),
      patch('/datasets/readings/versions/1', { add_tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }),
      patch('/datasets/readings/versions/1', {}),
      patch('/datasets/readings/versions/1', { tags: ['a'], add_tags: ['b'] }),
      patch('/datasets/readings/versions/1', { add_tags: ['a'], remove_tags: ['a'] }),
      patch('/datasets/readings/versions/1', { description: 'd'.repeat(2001) }),
      patch('/datasets/readings/versions/1', { status: 'READY' }),
      // v1 carries 1 tag: 20 more would be 21.
      patch('/datasets/readings/versions/1', { add_tags: Array.from({ length: 20 }, (_, i) => `n${i}`) }),
      get('/datasets/readings/versions?tag=not%20a%20tag'),
    ]);
    const missing = await Promise.all([
      patch('/datasets/readings/versions/99', { add_tags: ['x'] }),
      get('/datasets/readings/versions/99/diff/1'),
      get('/datasets/readings/versions/1/diff/99'),
      get('/datasets/nothing-here/versions/latest'),
    ]);

    // Assess
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 400));
    expect(answers.map((a) => a.body?.error)).toEqual(answers.map(() => 'InvalidInputError'));
    expect(missing.map((a) => a.status)).toEqual([404, 404, 404, 404]);
    expect((await get('/datasets/readings/versions/1')).body?.tags).toEqual(['baseline']);
  });
});

describe('the latest version and version diffs', () => {
  it('serves the current version at versions/latest, not as a version number', async () => {
    // Act
    const latest = await get('/datasets/readings/versions/latest');

    // Assess
    expect(latest.status).toBe(200);
    expect(latest.body).toMatchObject({ dataset: 'readings', version: 2, status: 'READY', rowCount: 500 });
    expect(latest.body).toHaveProperty('profile.columns');
    expect(latest.body).toHaveProperty('validation');
  });

  it('diffs two versions: the added column, the row delta and the mean shift', async () => {
    // Act
    const diff = await get('/datasets/readings/versions/1/diff/2');

    // Assess
    expect(diff.status).toBe(200);
    const body = diff.body as {
      from: { version: number; source: { key: string }; createdAt: string };
      to: { version: number; source: { key: string } };
      sameContent: boolean;
      rows: { from: number; to: number; delta: number; relative: number };
      schema: { added: Array<{ name: string; type: string }>; removed: unknown[]; unchanged: boolean };
      columns: Array<{
        column: string;
        numeric?: { mean: { delta: number }; meanShiftSd: number; quantiles: { p50: { delta: number } } };
        topK?: { appeared: unknown[]; disappeared: unknown[] };
      }>;
    };
    expect(body.from).toMatchObject({ version: 1, source: { key: `fresh/${tenant}/readings/day-1.csv` } });
    expect(body.to).toMatchObject({ version: 2, source: { key: `fresh/${tenant}/readings/day-2.csv` } });
    expect(body.sameContent).toBe(false);
    expect(body.rows).toEqual({ from: 400, to: 500, delta: 100, relative: 0.25 });
    expect(body.schema).toMatchObject({ unchanged: false, removed: [] });
    expect(body.schema.added).toEqual([expect.objectContaining({ name: 'humidity', type: 'float' })]);
    expect(body.columns.map((c) => c.column)).toEqual(['ts', 'temperature', 'site']);
    const temperature = body.columns.find((c) => c.column === 'temperature');
    expect(temperature?.numeric?.mean.delta).toBeGreaterThan(4.5);
    expect(temperature?.numeric?.mean.delta).toBeLessThan(5.5);
    expect(temperature?.numeric?.meanShiftSd).toBeGreaterThan(2);
    expect(temperature?.numeric?.quantiles.p50.delta).toBeGreaterThan(4);
    expect(body.columns.find((c) => c.column === 'site')?.topK).toEqual({ appeared: [], disappeared: [] });

    // Act + Assess: `latest` on either side; the other direction swaps added and removed.
    const back = await get('/datasets/readings/versions/latest/diff/1');
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({
      from: { version: 2 },
      to: { version: 1 },
      rows: { delta: -100 },
      schema: { added: [], removed: [expect.objectContaining({ name: 'humidity' })] },
    });
  });
});

describe('downloads of a version from its Delta table', () => {
  const csvRows = (text: string) => text.trimEnd().split('\n');

  it("serves a one-file version as its data file, and a two-file version's Parquet as both files", async () => {
    // Act
    const first = await get('/datasets/readings/versions/1/data');
    const both = await get('/datasets/readings/versions/2/data?format=parquet');

    // Assess: version 1 is the table at Delta version 0 (one file); version 2 at Delta version 1 (two).
    expect(first.body).toMatchObject({ status: 'ready', delta_version: 0, files_total: 1 });
    const one = new Uint8Array(await (await fetch(String(first.body?.url))).arrayBuffer());
    const { openParquet } = await import('../../shared/formats/parquet.js');
    const parquetOf = (bytes: Uint8Array) =>
      openParquet({ size: bytes.length, read: async (s, e) => bytes.subarray(s, e) });
    expect((await parquetOf(one)).numRows).toBe(400);
    expect(both.body).toMatchObject({
      status: 'ready',
      delta_version: 1,
      files_total: 2,
      files_route: '/datasets/readings/versions/2/files',
    });
    const files = both.body?.files as Array<{ path: string; url: string; rows: number; size: number }>;
    expect(files).toHaveLength(2);
    let rows = 0;
    for (const f of files) {
      const bytes = new Uint8Array(await (await fetch(f.url)).arrayBuffer());
      expect(bytes.length).toBe(f.size);
      const parquet = await parquetOf(bytes);
      expect(parquet.numRows).toBe(f.rows);
      rows += parquet.numRows;
    }
    expect(rows).toBe(900);
  });

  it("makes a two-file version's CSV one data file per call, then serves all its rows in the table's columns", async () => {
    // Act: poll as a client does until the CSVs are ready.
    const answers: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 10; i++) {
      const answer = await get('/datasets/readings/versions/2/data?format=csv');
      expect(answer.status).toBe(200);
      answers.push(answer.body as Record<string, unknown>);
      if (answer.body?.status === 'ready') break;
    }
    const again = await get('/datasets/readings/versions/2/data?format=csv');

    // Assess
    const ready = answers.at(-1) as { status: string; files: Array<{ url: string; rows: number }> };
    expect(ready.status).toBe('ready');
    for (const pending of answers.slice(0, -1)) {
      expect(pending).toMatchObject({ status: 'pending', progress: { total: 2 } });
    }
    expect(ready.files).toHaveLength(2);
    let rows = 0;
    for (const f of ready.files) {
      const lines = csvRows(await (await fetch(f.url)).text());
      // Every CSV has the table's header: day 1's file, written before humidity joined, leaves it empty.
      expect(lines[0]).toBe('ts,temperature,site,humidity');
      expect(lines.length - 1).toBe(f.rows);
      rows += lines.length - 1;
    }
    expect(rows).toBe(900);
    // The CSVs are kept: a later call finds them all and converts nothing.
    expect(again.body).toMatchObject({ status: 'ready', files_total: 2 });
  });

  it('serves a one-file version as one CSV', async () => {
    // Act
    const link = await get('/datasets/readings/versions/1/data?format=csv');
    const lines = csvRows(await (await fetch(String(link.body?.url))).text());

    // Assess
    expect(link.body).toMatchObject({ status: 'ready', format: 'csv', files_total: 1 });
    expect(lines[0]).toBe('ts,temperature,site');
    expect(lines).toHaveLength(401);
  });
});
