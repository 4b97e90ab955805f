import { readFileSync } from 'node:fs';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileIdFor, type ObjectRef } from '../../shared/domain/file-record.js';
import { openParquet } from '../../shared/formats/parquet.js';
import { api, cloudContext, executionArnFor, newTenant, waitForExecution } from '../support/cloud.js';
import { DeltaRs } from '../support/delta.js';

const ctx = cloudContext();
const fixture = (name: string) => readFileSync(new URL(`../../events/data/${name}`, import.meta.url));
let tenant: string;
let apiKey: string;

beforeAll(async () => {
  ({ tenant, apiKey } = await newTenant(ctx, 'pipe'));
});

async function drop(key: string, body: Uint8Array | string): Promise<ObjectRef> {
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.info.dataBucket, Key: key, Body: body }));
  return { bucket: ctx.info.dataBucket, key, versionId: put.VersionId };
}

async function ingest(key: string, body: Uint8Array | string) {
  const ref = await drop(key, body);
  const execution = await waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref));
  return { ref, execution, output: JSON.parse(execution.output ?? '{}') as Record<string, unknown> };
}

async function json(key: string): Promise<Record<string, unknown>> {
  const object = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.info.dataBucket, Key: key }));
  return JSON.parse((await object.Body?.transformToString()) ?? 'null');
}

async function postSuite(dataset: string, suite: unknown) {
  const response = await api(ctx.info, `/datasets/${dataset}/validation-suite`, {
    apiKey,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(suite),
  });
  expect(response.status).toBe(200);
}

describe('ingesting each format into a versioned dataset', () => {
  it.each([
    ['orders-semicolon.csv', 'orders', ['order_id', 'customer', 'note', 'amount', 'ordered_at', 'paid']],
    ['events.jsonl', 'events', ['event_id', 'user', 'type', 'at', 'value']],
    ['products.json', 'products', ['sku', 'name', 'price', 'in_stock', 'added']],
    ['pyarrow-events.parquet', 'arrow-events', []],
  ])(
    'turns %s into version 1 of its dataset with a profile and a downloadable snapshot',
    async (file, dataset, columns) => {
      // Act
      const { execution, output } = await ingest(`fresh/${tenant}/${dataset}/${file}`, fixture(file));

      // Assess
      expect(execution.status, execution.cause).toBe('SUCCEEDED');
      expect(output).toMatchObject({ dataset_id: `${tenant}/${dataset}`, status: 'VERSIONED', version: 1 });
      expect(output.rows_ingested).toBeGreaterThan(0);
      expect(output.columns).toEqual(expect.arrayContaining(columns));

      const version = await api(ctx.info, `/datasets/${dataset}/versions/1`, { apiKey });
      expect(version.status).toBe(200);
      expect(version.body).toMatchObject({
        version: 1,
        status: 'READY',
        rowCount: output.rows_ingested,
        validation: { status: expect.stringMatching(/PASSED|WARNING/) },
        profile: { rowCount: output.rows_ingested },
      });
      const dataUrl = await api(ctx.info, `/datasets/${dataset}/versions/1/data`, { apiKey });
      const download = await fetch(String(dataUrl.body?.url));
      const bytes = new Uint8Array(await download.arrayBuffer());
      const parquet = await openParquet({ size: bytes.length, read: async (s, e) => bytes.subarray(s, e) });
      expect(parquet.numRows).toBe(output.rows_ingested);
      expect((await api(ctx.info, `/datasets/${dataset}`, { apiKey })).body).toMatchObject({
        currentVersion: 1,
      });
    },
  );
});

describe('dataset config', () => {
  it('applies the column mapping, type overrides and dedup keys of the dataset', async () => {
    // Prepare
    const put = await api(ctx.info, '/datasets/mapped/config', {
      apiKey,
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        columnMapping: { cust: 'customer_id' },
        typeOverrides: { zip: 'string' },
        dedupKeys: ['customer_id'],
      }),
    });
    expect(put.status).toBe(200);

    // Act
    const { output } = await ingest(`fresh/${tenant}/mapped/m.csv`, 'cust,zip\n1,01234\n2,99999\n1,01234\n');

    // Assess
    expect(output).toMatchObject({ status: 'VERSIONED', rows_ingested: 2, columns: ['customer_id', 'zip'] });
    const version = await api(ctx.info, '/datasets/mapped/versions/1', { apiKey });
    expect(version.body?.schema).toEqual({
      columns: [
        { name: 'customer_id', type: 'int', nullable: false },
        { name: 'zip', type: 'string', nullable: false },
      ],
    });
  });
});

describe('downloads', () => {
  it('serves a version as CSV made from its snapshot, timestamps in ISO 8601', async () => {
    // Prepare
    await ingest(
      `fresh/${tenant}/csvout/a.jsonl`,
      '{"id":1,"at":"2026-05-01T10:00:00Z","ok":true}\n{"id":2,"at":"2026-05-02T11:30:00Z","ok":null}\n',
    );

    // Act
    const link = await api(ctx.info, '/datasets/csvout/versions/1/data?format=csv', { apiKey });
    const csv = await (await fetch(String(link.body?.url))).text();

    // Assess
    expect(link.body).toMatchObject({ format: 'csv', version: 1 });
    expect(csv.trim().split('\n')).toEqual([
      'id,at,ok',
      '1,2026-05-01T10:00:00.000Z,1',
      '2,2026-05-02T11:30:00.000Z,',
    ]);
  });
});

describe('files that break the rules end in quarantine/ with a report', () => {
  it('quarantines a file that lacks a column of the first version’s schema', async () => {
    // Prepare: the first file's schema becomes the dataset's suite
    await ingest(`fresh/${tenant}/people/a.csv`, 'id,name,age\n1,ann,34\n2,bob,41\n');

    // Act
    const { ref, execution } = await ingest(`fresh/${tenant}/people/b.csv`, 'id,name\n3,cid\n');

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('ValidationFailedError');
    const record = await ctx.metadata.getFile(tenant, fileIdFor(ref));
    expect(record?.failure).toMatchObject({ stage: 'validate', errorName: 'ValidationFailedError' });
    const report = await json(`quarantine/${tenant}/people/b.csv.validation.json`);
    expect(report.status).toBe('FAILED');
    expect(JSON.stringify(report.checks)).toContain('age');
    const dataset = await api(ctx.info, '/datasets/people', { apiKey });
    expect(dataset.body).toMatchObject({ currentVersion: 1, suiteSource: 'inferred' });
  });

  it('quarantines a null-heavy column beyond the completeness limit', async () => {
    // Prepare
    await postSuite('sensors', {
      checks: [{ type: 'completeness', column: 'reading', maxNullFraction: 0.1 }],
    });
    const rows = Array.from({ length: 20 }, (_, i) => `${i},${i % 2 === 0 ? '' : i * 1.5}`).join('\n');

    // Act
    const { execution, ref } = await ingest(`fresh/${tenant}/sensors/s.csv`, `sensor,reading\n${rows}\n`);

    // Assess
    expect(execution.status).toBe('FAILED');
    const report = await json(`reports/${tenant}/sensors/${fileIdFor(ref)}/validation.json`);
    const check = (report.checks as Array<Record<string, unknown>>).find((c) => c.type === 'completeness');
    expect(check).toMatchObject({ passed: false, failedRows: 10 });
  });

  it('quarantines an out-of-range value and names it in the report', async () => {
    // Prepare
    await postSuite('ages', { checks: [{ type: 'range', column: 'age', min: 0, max: 120 }] });

    // Act
    const { execution, ref } = await ingest(`fresh/${tenant}/ages/x.csv`, 'name,age\nann,34\nbob,212\n');

    // Assess
    expect(execution.status).toBe('FAILED');
    const report = await json(`reports/${tenant}/ages/${fileIdFor(ref)}/validation.json`);
    const check = (report.checks as Array<Record<string, unknown>>).find((c) => c.type === 'range');
    expect(check).toMatchObject({ passed: false, failedRows: 1, samples: [212] });
  });

  it('quarantines a ragged CSV with a parse error naming the line', async () => {
    // Act
    const { execution, ref } = await ingest(`fresh/${tenant}/ragged/r.csv`, fixture('ragged.csv'));

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('ParseError');
    const record = await ctx.metadata.getFile(tenant, fileIdFor(ref));
    expect(record).toMatchObject({
      status: 'QUARANTINED',
      failure: { stage: 'parse', errorName: 'ParseError' },
    });
    expect(record?.failure?.message).toMatch(/line \d+/);
  });
});

describe('versions', () => {
  it('gives the same file dropped twice one version', async () => {
    // Act
    const first = await ingest(`fresh/${tenant}/twice/one.csv`, 'a,b\n1,2\n');
    const second = await ingest(`fresh/${tenant}/twice/two.csv`, 'a,b\n1,2\n');

    // Assess
    expect(first.output.version).toBe(1);
    expect(second.execution.status).toBe('SUCCEEDED');
    const versions = await api(ctx.info, '/datasets/twice/versions', { apiKey });
    expect(versions.body?.versions).toHaveLength(1);
  });

  it('numbers 20 files dropped at once 1…20 with no gap or duplicate, committed in that order, every row once', async () => {
    // Act
    const refs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => drop(`fresh/${tenant}/burst/f${i}.csv`, `i,v\n${i},${i * 2}\n`)),
    );
    const executions = await Promise.all(
      refs.map((ref) => waitForExecution(ctx.sfn, executionArnFor(ctx.info, ref), 180_000)),
    );

    // Assess
    expect(executions.map((e) => e.status)).toEqual(Array(20).fill('SUCCEEDED'));
    const numbers = executions
      .map((e) => JSON.parse(e.output ?? '{}').version as number)
      .sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const dataset = await api(ctx.info, '/datasets/burst', { apiKey });
    expect(dataset.body).toMatchObject({ versionCount: 20, currentVersion: 20 });
    const deltaVersions = executions
      .map((e) => JSON.parse(e.output ?? '{}').table_version as number)
      .sort((a, b) => a - b);
    expect(deltaVersions).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // Numbers and commits in one order (the dataset's writer lease): version N is the N-th commit.
    for (const e of executions) {
      const output = JSON.parse(e.output ?? '{}') as { version: number; table_version: number };
      expect(output.table_version).toBe(output.version - 1);
    }
    const table = await (await DeltaRs.start(ctx.info)).read(
      `s3://${ctx.info.dataBucket}/tables/${tenant}/burst/`,
    );
    expect(table.version).toBe(19);
    expect(table.rows.map((r) => Number(r.i)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
  }, 240_000);
});
