/**
 * `ingestData` against the local cloud: an Arrow table, row objects and a column map each become a version
 * of the dataset's table (Parquet encoded in the client, uploaded through a presigned create-only URL, the
 * run waited for), the table then holds exactly those rows; a file the dataset's schema policy refuses is
 * QUARANTINED with the error, the same content again is a DUPLICATE of the first file, and the same bytes
 * under a taken name are refused by the bucket.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordBatchOf, toArrowTable } from '../../shared/client/arrow.js';
import { ingestData, UploadRejectedError } from '../../shared/client/ingest.js';
import { createStrataClient } from '../../shared/client/strata.js';
import { rowsOf } from '../../shared/domain/table.js';
import { cloudContext, newTenant } from '../support/cloud.js';

const ctx = cloudContext();
let client: ReturnType<typeof createStrataClient>;
let apiKey: string;
const poll = { min: 100, max: 500 };

const at = (minute: number) => new Date(Date.UTC(2026, 5, 1, 0, minute));

beforeAll(async () => {
  const owner = await newTenant(ctx, 'sdk-ingest');
  apiKey = owner.apiKey;
  client = createStrataClient({ apiUrl: ctx.info.apiUrl, apiKey });
});

describe('ingestData', () => {
  it('versions an Arrow table, then row objects, then a column map, and the table holds all their rows', async () => {
    // Prepare
    const arrow = toArrowTable({
      id: [1, 2, 3],
      ts: [at(1), at(2), at(3)],
      price: [1.5, 2.5, null],
      label: ['a', 'b', 'c'],
    });
    const rows = [
      { id: 4, ts: at(4), price: 4.5, label: 'd' },
      { id: 5, ts: at(5), price: 5.25, label: 'é' },
    ];
    const columns = { id: [6], ts: [at(6)], price: [6.5], label: ['f'] };

    // Act
    const first = await ingestData(client, arrow, { dataset: 'ticks', pollMs: poll });
    const second = await ingestData(client, rows, { dataset: 'ticks', pollMs: poll });
    const third = await ingestData(client, columns, { dataset: 'ticks', pollMs: poll });
    const table = await client.rows('ticks', { last: 100, order: 'asc' });

    // Assess
    for (const r of [first, second, third]) expect(r.status, r.reasons.join('; ')).toBe('VERSIONED');
    expect(first).toMatchObject({
      datasetId: 'ticks',
      status: 'VERSIONED',
      version: 1,
      rowsIngested: 3,
      rowsUploaded: 3,
      columns: ['id', 'ts', 'price', 'label'],
      reasons: [],
    });
    expect(second).toMatchObject({ status: 'VERSIONED', version: 2, rowsIngested: 2 });
    expect(third).toMatchObject({ status: 'VERSIONED', version: 3, rowsIngested: 1 });
    const file = await client.getFile(first.fileId);
    expect(file).toMatchObject({ fileId: first.fileId, format: 'parquet', version: 1, key: first.key });
    expect(table.rows).toEqual(
      [...rowsOf(recordBatchOf(arrow)), ...rows, { id: 6, ts: at(6), price: 6.5, label: 'f' }].map((r) => ({
        ...r,
        ts: new Date(r.ts as number | Date).toISOString(),
      })),
    );
  });

  it('answers QUARANTINED with the error when the dataset refuses a new column', async () => {
    // Prepare: the default schema policy refuses columns the table does not have
    await ingestData(client, { id: [1], ts: [at(1)] }, { dataset: 'strict', pollMs: poll });

    // Act
    const result = await ingestData(
      client,
      { id: [2], ts: [at(2)], surprise: ['x'] },
      { dataset: 'strict', pollMs: poll },
    );

    // Assess
    expect(result.status, result.reasons.join('; ')).toBe('QUARANTINED');
    expect(result.version).toBeUndefined();
    expect(result.rowsIngested).toBe(0);
    expect(result.failure?.name).toBeTruthy();
    expect(result.reasons).toHaveLength(1);
    expect(result.reasons[0]).toContain('surprise');
    const file = await client.getFile(result.fileId);
    expect(file.status).toBe('QUARANTINED');
  });

  it('answers DUPLICATE, naming the original, for the same data again, and the bucket refuses a taken name', async () => {
    // Prepare
    const data = [
      { id: 1, ts: at(1), note: 'same' },
      { id: 2, ts: at(2), note: 'same' },
    ];
    const original = await ingestData(client, data, {
      dataset: 'dups',
      pollMs: poll,
      fileName: 'batch.parquet',
    });

    // Act
    const again = await ingestData(client, data, { dataset: 'dups', pollMs: poll });
    const sameName = await ingestData(client, data, { dataset: 'dups', fileName: 'batch.parquet' }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(original.status, original.reasons.join('; ')).toBe('VERSIONED');
    expect(again).toMatchObject({ status: 'DUPLICATE', duplicateOf: original.fileId, rowsIngested: 0 });
    expect(again.reasons[0]).toContain(original.fileId);
    expect(sameName).toBeInstanceOf(UploadRejectedError);
    expect((sameName as UploadRejectedError).status).toBe(412);
  });

  it('with wait: false answers UPLOADED with the file id the pipeline then registers', async () => {
    // Act
    const result = await ingestData(client, { id: [1], ts: [at(1)] }, { dataset: 'nowait', wait: false });

    // Assess
    expect(result).toMatchObject({ status: 'UPLOADED', rowsUploaded: 1, reasons: [] });
    let status: string | undefined;
    for (let i = 0; i < 200 && status !== 'FRESH' && status !== 'USED'; i++) {
      status = await client
        .getFile(result.fileId)
        .then((f) => (f.stage === 'version' ? f.status : undefined))
        .catch(() => undefined);
      if (status === undefined) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe('FRESH');
  });

  it('runs the README example, which imports the SDK by its package name (strata/client)', async () => {
    // Prepare: the example reads the API URL and key from a file like .strata/cloud.json
    const dir = mkdtempSync(join(tmpdir(), 'strata-sdk-example-'));
    const cloudFile = join(dir, 'cloud.json');
    writeFileSync(cloudFile, JSON.stringify({ apiUrl: ctx.info.apiUrl, apiKey }));
    const root = resolve(import.meta.dirname, '../..');

    // Act
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(root, 'events/sdk/ingest.ts'), cloudFile, 'example'],
      { cwd: root, timeout: 100_000 },
    );

    // Assess
    expect(stdout).toMatch(/^rows: .*"status":"VERSIONED"/m);
    expect(stdout).toMatch(/^arrow: .*"status":"VERSIONED"/m);
    const table = await client.rows('example', { last: 100 });
    expect(table.count).toBe(7);
  });
});
