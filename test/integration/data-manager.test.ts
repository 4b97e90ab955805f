/**
 * The SDK's data manager against the local cloud: a dataset ingested as three CSV files (the second with a
 * column the others lack) read back whole from its data files, as rows and as Arrow, now and at an earlier
 * version; last-N across the ingests; a timestamp range across files and pages; predictions written back
 * and read as their dataset; versions, files, statistics and runs through the manager; and another
 * tenant's manager refused.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordBatchesOf, toArrowTable } from '../../shared/client/arrow.js';
import { createDataManager, type DataManager } from '../../shared/client/data-manager.js';
import { ApiError } from '../../shared/client/http.js';
import { batchRows } from '../../shared/client/table-reader.js';
import { cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';

const ctx = cloudContext();
const bucket = ctx.info.dataBucket;
let tenant: string;
let manager: DataManager;
let stranger: DataManager;

const at = (minute: number) => new Date(Date.UTC(2026, 5, 1, 0, minute)).toISOString();

async function ingest(dataset: string, name: string, csv: string) {
  const key = `fresh/${tenant}/${dataset}/${name}`;
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: csv }));
  const execution = await waitForExecution(
    ctx.sfn,
    executionArnFor(ctx.info, { bucket, key, versionId: put.VersionId }),
    90_000,
  );
  expect(execution.status, execution.cause).toBe('SUCCEEDED');
}

const csv = (header: string, rows: unknown[][]) => `${header}\n${rows.map((r) => r.join(',')).join('\n')}\n`;

/** Rows 1…9, a minute apart; rows 4…6 (the second file) carry a note. */
const expected = Array.from({ length: 9 }, (_, i) => ({
  id: i + 1,
  ts: at(i + 1),
  value: (i + 1) * 1.5,
  note: i >= 3 && i < 6 ? `n${i + 1}` : null,
}));

beforeAll(async () => {
  const owner = await newTenant(ctx, 'dm');
  tenant = owner.tenant;
  manager = createDataManager({ apiUrl: ctx.info.apiUrl, apiKey: owner.apiKey });
  stranger = createDataManager({
    apiUrl: ctx.info.apiUrl,
    apiKey: (await newTenant(ctx, 'dm-other')).apiKey,
  });
  await manager.client.setConfig('events', { schemaEvolution: 'add_columns' });
  const plain = (ids: number[]) => ids.map((i) => [i, at(i), i * 1.5]);
  await ingest('events', 'a.csv', csv('id,ts,value', plain([1, 2, 3])));
  await ingest(
    'events',
    'b.csv',
    csv(
      'id,ts,value,note',
      [4, 5, 6].map((i) => [i, at(i), i * 1.5, `n${i}`]),
    ),
  );
  await ingest('events', 'c.csv', csv('id,ts,value', plain([7, 8, 9])));
}, 300_000);

const byId = (rows: Array<Record<string, unknown>>) => [...rows].sort((a, b) => Number(a.id) - Number(b.id));

describe('the data manager', () => {
  it('reads the whole table at the current version as rows, in the table schema, nulls where a file lacks a column', async () => {
    // Act
    const rows = await manager.getDataset('events', { as: 'rows' });

    // Assess
    expect(byId(rows)).toEqual(expected);
    expect(Object.keys(rows[0] ?? {})).toEqual(['id', 'ts', 'value', 'note']);
  });

  it('reads the whole table as an Arrow table, and only the columns asked for', async () => {
    // Act
    const table = await manager.getDataset('events');
    const narrow = await manager.getDataset('events', { columns: ['note', 'id'] });

    // Assess
    expect(table.numRows).toBe(9);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['id', 'ts', 'value', 'note']);
    const ids = Array.from(table.getChild('id') ?? [], Number);
    const values = Array.from(table.getChild('value') ?? [], Number);
    expect(ids.map((id, i) => [id, values[i]]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(
      expected.map((r) => [r.id, r.value]),
    );
    expect(narrow.schema.fields.map((f) => f.name)).toEqual(['note', 'id']);
    expect(
      Array.from(narrow.getChild('note') ?? [])
        .filter((n) => n !== null)
        .sort(),
    ).toEqual(['n4', 'n5', 'n6']);
  });

  it('reads back what ingestData wrote from rows and from an Arrow table, as an equal Arrow table', async () => {
    // Prepare
    const rows = Array.from({ length: 50 }, (_, i) => ({
      id: i,
      ts: new Date(at(i)),
      score: i / 4,
      tag: i % 2 === 0 ? 'even' : 'odd',
    }));
    const sent = toArrowTable(rows);

    // Act
    const first = await manager.ingestData(rows.slice(0, 30), { dataset: 'readings' });
    const second = await manager.ingestData(sent.slice(30), { dataset: 'readings' });
    const table = await manager.getDataset('readings');
    const earlier = await manager.getDataset('readings', { version: first.version ?? 0, as: 'rows' });

    // Assess
    expect([first.status, second.status]).toEqual(['VERSIONED', 'VERSIONED']);
    const fields = (t: typeof table) => t.schema.fields.map((f) => [f.name, String(f.type)]);
    expect(fields(table)).toEqual(fields(sent));
    const rowsOf = (t: typeof table) => byId([...recordBatchesOf(t)].flatMap(batchRows));
    expect(rowsOf(table)).toEqual(rowsOf(sent));
    expect(byId(earlier)).toEqual(rowsOf(sent).slice(0, 30));
  });

  it('reads the table at an earlier version as it was', async () => {
    // Act
    const first = await manager.getDataset('events', { version: 1, as: 'rows' });
    const second = await manager.getDataset('events', { version: 2, as: 'rows' });

    // Assess
    expect(byId(first)).toEqual(expected.slice(0, 3).map(({ note: _, ...rest }) => rest));
    expect(byId(second)).toEqual(expected.slice(0, 6));
  });

  it('streams the table a row group at a time, fetching with ranged GETs', async () => {
    // Prepare
    const counter = { requests: 0, bytes: 0 };

    // Act
    const batches: number[] = [];
    for await (const rows of manager.readDataset('events', { as: 'rows', counter }))
      batches.push(rows.length);

    // Assess
    expect(batches.reduce((a, b) => a + b, 0)).toBe(9);
    expect(batches.length).toBeGreaterThanOrEqual(3);
    expect(counter.requests).toBeGreaterThanOrEqual(3);
  });

  it('answers the last N points across several ingests, newest first', async () => {
    // Act
    const rows = await manager.getLastNPoints('events', 4);

    // Assess
    expect(rows.map((r) => r.id)).toEqual([9, 8, 7, 6]);
    expect(rows[0]).toMatchObject({ ts: at(9), value: 13.5 });
  });

  it('answers a timestamp range across files and pages, oldest first', async () => {
    // Act
    const rows = await manager.getDataByTimestampRange('events', new Date(at(2)), at(8), { pageSize: 2 });

    // Assess
    expect(rows.map((r) => r.id)).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('saves predictions, which become the predictions dataset', async () => {
    // Prepare
    const predictions = [7, 8, 9].map((i) => ({ timestamp: new Date(at(i)), id: i, score: i / 10 }));

    // Act
    const accepted = await manager.savePredictions('events', predictions, {
      model: { name: 'scorer', version: '1.0.0' },
    });
    // The file record appears when the pipeline registers the upload: 404 until then.
    let version: number | undefined;
    for (let i = 0; i < 240 && version === undefined; i++) {
      const file = await manager.getFile(accepted.fileId).catch((error: ApiError) => {
        if (error.status !== 404) throw error;
        return undefined;
      });
      version = file?.version;
      if (version === undefined) await sleep(250);
    }
    // The file record names its version when the number is taken, before the version is complete.
    for (let i = 0; i < 240 && version !== undefined; i++) {
      const record = await manager.getVersion('events-predictions', version);
      if (record.status !== 'PENDING') break;
      await sleep(250);
    }
    const rows = await manager.getDataset('events-predictions', { as: 'rows' });

    // Assess
    expect(version).toBe(1);
    expect(accepted).toMatchObject({
      dataset: 'events-predictions',
      rows: 3,
      input: { dataset: 'events', version: 3 },
    });
    expect(byId(rows)).toEqual(predictions.map((p) => ({ ...p, timestamp: p.timestamp.toISOString() })));
  });

  it('lists, tags and diffs versions, lists files and runs, and counts statistics', async () => {
    // Act
    const versions = await manager.listVersions('events');
    const tagged = await manager.tagVersion('events', 2, ['golden']);
    const diff = await manager.diffVersions('events', 1, 'latest');
    const files = await manager.listFiles({ dataset: 'events' });
    const runs = await manager.runs.list('events');
    const run = await manager.runs.get(runs.runs[0]?.runId ?? 'missing');
    const statistics = await manager.statistics();

    // Assess
    expect(versions.versions.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(tagged.tags).toContain('golden');
    expect(diff).toMatchObject({ from: { version: 1 }, to: { version: 3 } });
    expect(files.files).toHaveLength(3);
    expect(runs.runs).toHaveLength(3);
    expect(run).toMatchObject({ dataset: 'events', status: 'SUCCEEDED' });
    expect(statistics.byDataset.events?.files).toBe(3);
  });

  it("counts a training job's use of each file once, however often and through however many sets", async () => {
    // Prepare
    const selected = await manager.createTrainingSet({ dataset: 'events' });
    const table = await manager.createTrainingSet({ dataset: 'events', version: 3 });

    // Act
    const first = await manager.markTrainingSetUsed(selected.id, 'job-1');
    const repeat = await manager.markTrainingSetUsed(selected.id, 'job-1');
    const throughTable = await manager.markTrainingSetUsed(table.id, 'job-1');
    const files = await manager.listFiles({ dataset: 'events' });

    // Assess
    expect(first).toMatchObject({ replayed: false, complete: true });
    expect(first.counted).toHaveLength(3);
    expect(repeat).toMatchObject({ replayed: true, counted: first.counted });
    expect(throughTable.counted).toEqual([]);
    expect([...throughTable.countedBefore].sort()).toEqual([...first.counted].sort());
    expect(files.files.map((f) => f.usageCount)).toEqual([1, 1, 1]);
  });

  it("refuses another tenant's manager as if the dataset did not exist", async () => {
    // Act
    const attempts = await Promise.allSettled([
      stranger.getDataset('events', { as: 'rows' }),
      stranger.getDataset('events', { version: 1 }),
      stranger.getLastNPoints('events', 1),
      stranger.getDataByTimestampRange('events', at(0), at(10)),
      stranger.createTrainingSet({ dataset: 'events', version: 3 }),
    ]);

    // Assess
    for (const attempt of attempts) {
      expect(attempt.status).toBe('rejected');
      const reason = (attempt as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(ApiError);
      expect(reason).toMatchObject({ status: 404 });
    }
  });
});
