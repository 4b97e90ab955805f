/**
 * strata's Delta tables against the real delta-rs (PyPI deltalake, pinned venv) on the local cloud's
 * MinIO: what strata commits, delta-rs reads (every version, rows and schema); what delta-rs appends,
 * strata replays and appends after; concurrent and retried commits; checkpoints both ways.
 */
import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { S3TableLog } from '../../shared/adapters/delta/s3-table-log.js';
import { TableWriter } from '../../shared/adapters/delta/table-writer.js';
import { commit, loadSnapshot } from '../../shared/adapters/delta/transaction.js';
import { commitFileName } from '../../shared/domain/delta/actions.js';
import { datasetTableSchema } from '../../shared/domain/delta/schema.js';
import type { Snapshot } from '../../shared/domain/delta/snapshot.js';
import { parseStats } from '../../shared/domain/delta/stats.js';
import { addDataFile } from '../../shared/domain/delta/table.js';
import { datasetTableRoot } from '../../shared/domain/object-key.js';
import type { CellValue, TableSchema } from '../../shared/domain/table.js';
import { TableCommitConflictError } from '../../shared/errors.js';
import { cloudContext } from '../support/cloud.js';
import { asDeltaRsRow, DeltaRs, putStrataParquet, sortRows } from '../support/delta.js';

const ctx = cloudContext();
const bucket = ctx.info.dataBucket;
const tenant = `delta-${randomBytes(4).toString('hex')}`;

const schema: TableSchema = {
  columns: [
    { name: 'id', type: 'int', nullable: false },
    { name: 'score', type: 'float', nullable: true },
    { name: 'ok', type: 'bool', nullable: true },
    { name: 'label', type: 'string', nullable: true },
    { name: 'at', type: 'timestamp', nullable: true },
  ],
};

/** `count` rows with ids from `first`; every fourth cell of the nullable columns is null. */
function rowsFrom(first: number, count: number): Record<string, CellValue>[] {
  return Array.from({ length: count }, (_, i) => {
    const id = first + i;
    const blank = id % 4 === 3;
    return {
      id,
      score: blank ? null : id * 1.5 - 7,
      ok: blank ? null : id % 2 === 0,
      label: blank ? null : `row ${id} ✓`,
      // Milliseconds that are not whole seconds, before and after 1970.
      at: blank ? null : Date.UTC(2024, 0, 3) + (id - 5) * 86_400_123,
    };
  });
}

function table(dataset: string, options: ConstructorParameters<typeof TableWriter>[1] = {}) {
  const root = datasetTableRoot(tenant, dataset);
  const log = new S3TableLog(ctx.s3, bucket, root);
  return { root, log, uri: log.uri, writer: new TableWriter(log, options) };
}

function expectedRows(rows: Record<string, CellValue>[]) {
  return sortRows(rows.map((row) => asDeltaRsRow(schema, row)));
}

/** A snapshot without the fields a checkpoint does not keep (which commit held a txn). */
function comparable(snapshot: Snapshot | undefined) {
  if (!snapshot) return undefined;
  return {
    version: snapshot.version,
    protocol: snapshot.protocol,
    metadata: snapshot.metadata,
    files: Object.fromEntries(snapshot.files),
    tombstones: Object.fromEntries(snapshot.tombstones),
    txns: Object.fromEntries([...snapshot.appTransactions].map(([k, { committedIn: _, ...t }]) => [k, t])),
  };
}

let deltaRs: DeltaRs;

beforeAll(async () => {
  deltaRs = await DeltaRs.start(ctx.info);
}, 300_000);

describe('a table strata commits', () => {
  it('reads in delta-rs at every version with the rows and schema strata wrote', async () => {
    // Prepare
    const { root, uri, writer } = table('created');
    const batches = [rowsFrom(0, 5), rowsFrom(5, 3), rowsFrom(8, 7), rowsFrom(15, 1)];

    // Act
    const results = [];
    for (const [i, rows] of batches.entries()) {
      const file = await putStrataParquet(ctx.s3, bucket, root, `part-${i}.parquet`, schema, rows);
      results.push(await writer.append({ schema, files: [file], tableName: 'created' }));
    }

    // Assess
    expect(results.map((r) => [r.version, r.status, r.created])).toEqual([
      [0, 'committed', true],
      [1, 'committed', false],
      [2, 'committed', false],
      [3, 'committed', false],
    ]);
    for (let version = 0; version <= 3; version++) {
      const read = await deltaRs.read(uri, version);
      expect(read.version).toBe(version);
      expect(read.schema).toEqual(datasetTableSchema(schema));
      expect(read.arrowSchema.map(([name, type]) => [name, type])).toEqual([
        ['id', 'int64'],
        ['score', 'double'],
        ['ok', 'bool'],
        ['label', 'string'],
        ['at', 'timestamp[us, tz=UTC]'],
      ]);
      expect(sortRows(read.rows)).toEqual(expectedRows(batches.slice(0, version + 1).flat()));
      expect(read.files).toHaveLength(version + 1);
    }
    // delta-rs parses strata's per-file statistics (timestamps from ISO strings) into the same bounds.
    const latest = await deltaRs.read(uri);
    const third = latest.files.find((f) => f.path === 'part-2.parquet');
    const rows = batches[2] ?? [];
    const values = (c: string) => rows.map((r) => r[c]).filter((v): v is number => typeof v === 'number');
    expect(third).toMatchObject({
      num_records: 7,
      'null_count.id': 0,
      'null_count.score': rows.filter((r) => r.score === null).length,
      'min.id': 8,
      'max.id': 14,
      'min.score': Math.min(...values('score')),
      'max.score': Math.max(...values('score')),
      'min.at': Math.min(...values('at')) * 1000,
      'max.at': Math.max(...values('at')) * 1000,
      'min.label': 'row 10 ✓',
      'max.label': 'row 9 ✓',
    });
  });
});

describe('a table shared with another engine', () => {
  it('keeps the rows delta-rs appended when strata appends after it, and strata replays its add', async () => {
    // Prepare
    const { root, uri, writer } = table('shared');
    const first = rowsFrom(0, 4);
    await writer.append({
      schema,
      files: [await putStrataParquet(ctx.s3, bucket, root, 'a.parquet', schema, first)],
    });
    const external = rowsFrom(100, 3);

    // Act
    const externalVersion = await deltaRs.append(
      uri,
      external.map((row) => asDeltaRsRow(schema, row)),
    );
    const last = rowsFrom(200, 2);
    const appended = await writer.append({
      schema,
      files: [await putStrataParquet(ctx.s3, bucket, root, 'c.parquet', schema, last)],
    });

    // Assess
    expect(externalVersion).toBe(1);
    expect(appended.version).toBe(2);
    const read = await deltaRs.read(uri);
    expect(read.version).toBe(2);
    expect(sortRows(read.rows)).toEqual(expectedRows([...first, ...external, ...last]));
    const snapshot = await writer.snapshot();
    const paths = [...(snapshot?.files.keys() ?? [])];
    expect(paths).toHaveLength(3);
    const theirs = paths.find((p) => p !== 'a.parquet' && p !== 'c.parquet') ?? '';
    expect(theirs).toMatch(/\.parquet$/);
    expect(parseStats(snapshot?.files.get(theirs)?.stats ?? '')?.numRecords).toBe(3);
  });
});

describe('concurrent commits', () => {
  it('gives 20 appends racing on a table that does not exist yet 20 versions, every row once', async () => {
    // Prepare
    const { root, uri } = table('raced');
    const files = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        putStrataParquet(ctx.s3, bucket, root, `race-${i}.parquet`, schema, rowsFrom(i * 10, 10)),
      ),
    );

    // Act: each writer on its own, as 20 version-stage Lambdas would be
    const results = await Promise.all(
      files.map((file) => table('raced').writer.append({ schema, files: [file] })),
    );

    // Assess
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.every((r) => r.status === 'committed')).toBe(true);
    const read = await deltaRs.read(uri);
    expect(read.version).toBe(19);
    expect(read.rows.map((r) => r.id).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 200 }, (_, i) => i),
    );
  });

  it('refuses a commit that lost the race to a schema change', async () => {
    // Prepare
    const { root, log, writer } = table('schema-race');
    await writer.append({
      schema,
      files: [await putStrataParquet(ctx.s3, bucket, root, 'a.parquet', schema, rowsFrom(0, 2))],
    });
    const read = await loadSnapshot(log);
    const file = await putStrataParquet(ctx.s3, bucket, root, 'b.parquet', schema, rowsFrom(2, 2));
    // Another writer changes the table's metadata first.
    await log.writeCommit(1, [
      { metaData: { ...(read?.metadata ?? ({} as never)), configuration: { x: 'y' } } },
    ]);

    // Act
    const attempt = commit(log, [{ add: addDataFile(file) }], { readVersion: 0, isBlindAppend: true });

    // Assess
    await expect(attempt).rejects.toThrow(TableCommitConflictError);
    await expect(attempt).rejects.toMatchObject({ reason: 'MetadataChanged', winningVersion: 1 });
    expect((await log.list(0)).commits).toEqual([0, 1]);
  });
});

describe('idempotent commits', () => {
  it('commits a txn once, however often or concurrently the append is retried', async () => {
    // Prepare
    const { root, uri, writer } = table('retried');
    await writer.append({
      schema,
      files: [await putStrataParquet(ctx.s3, bucket, root, 'a.parquet', schema, rowsFrom(0, 3))],
    });
    const file = await putStrataParquet(ctx.s3, bucket, root, 'file-1.parquet', schema, rowsFrom(3, 3));
    const txn = { appId: 'strata-file-1', version: 1 };

    // Act
    const first = await writer.append({ schema, files: [file], txn });
    const again = await writer.append({ schema, files: [file], txn });
    const raced = await Promise.all(
      [2, 3].map(() => table('retried').writer.append({ schema, files: [file], txn })),
    );
    const other = await putStrataParquet(ctx.s3, bucket, root, 'file-2.parquet', schema, rowsFrom(6, 1));
    const racedNew = await Promise.all(
      [0, 1].map(() =>
        table('retried').writer.append({
          schema,
          files: [other],
          txn: { appId: 'strata-file-2', version: 1 },
        }),
      ),
    );

    // Assess
    expect(first).toMatchObject({ version: 1, status: 'committed' });
    expect(again).toMatchObject({ version: 1, status: 'duplicate' });
    expect(raced.map((r) => [r.version, r.status])).toEqual([
      [1, 'duplicate'],
      [1, 'duplicate'],
    ]);
    expect(racedNew.map((r) => r.version)).toEqual([2, 2]);
    expect(racedNew.map((r) => r.status).sort()).toEqual(['committed', 'duplicate']);
    const read = await deltaRs.read(uri);
    expect(read.version).toBe(2);
    expect(sortRows(read.rows)).toEqual(expectedRows(rowsFrom(0, 7)));
  });
});

describe('checkpoints', () => {
  it('are read by delta-rs, and replay from them equals replay from the commits', async () => {
    // Prepare
    const { root, log, uri, writer } = table('checkpointed', { checkpointInterval: 5 });
    const all: Record<string, CellValue>[] = [];

    // Act
    const checkpoints = [];
    for (let i = 0; i <= 12; i++) {
      const rows = rowsFrom(i * 3, 3);
      all.push(...rows);
      const file = await putStrataParquet(ctx.s3, bucket, root, `p-${i}.parquet`, schema, rows);
      const result = await writer.append({ schema, files: [file], txn: { appId: `file-${i}`, version: 1 } });
      if (result.checkpoint) checkpoints.push(result.checkpoint);
    }

    // Assess
    expect(checkpoints).toEqual([{ version: 5 }, { version: 10 }]);
    expect(await log.readLastCheckpoint()).toMatchObject({
      version: 10,
      numOfAddFiles: 11,
      size: 2 + 11 + 11,
    });
    expect(comparable(await loadSnapshot(log))).toEqual(
      comparable(await loadSnapshot(log, { ignoreCheckpoints: true })),
    );
    expect(comparable(await loadSnapshot(log, { version: 7 }))).toEqual(
      comparable(await loadSnapshot(log, { version: 7, ignoreCheckpoints: true })),
    );
    expect(sortRows((await deltaRs.read(uri, 7)).rows)).toEqual(expectedRows(all.slice(0, 8 * 3)));
    // Without the commits the checkpoint covers, only the checkpoint can give delta-rs the table.
    for (let v = 0; v <= 10; v++) {
      await ctx.s3.send(
        new DeleteObjectCommand({ Bucket: bucket, Key: `${root}_delta_log/${commitFileName(v)}` }),
      );
    }
    const read = await deltaRs.read(uri);
    expect(read.version).toBe(12);
    expect(sortRows(read.rows)).toEqual(expectedRows(all));
    const fromCheckpoint = await loadSnapshot(log);
    expect(fromCheckpoint?.files.size).toBe(13);
    expect(fromCheckpoint?.appTransactions.get('file-3')).toMatchObject({ appId: 'file-3', version: 1 });
    // A retried append whose txn only the checkpoint still knows stays a duplicate.
    const retried = await writer.append({
      schema,
      files: [await putStrataParquet(ctx.s3, bucket, root, 'p-3-retry.parquet', schema, rowsFrom(9, 3))],
      txn: { appId: 'file-3', version: 1 },
    });
    // Its commit is gone: the answer is the oldest version the log can still show holds it.
    expect(retried).toMatchObject({ status: 'duplicate', version: 11 });
  });

  it('written by delta-rs are read by strata', async () => {
    // Prepare
    const { root, log, uri, writer } = table('their-checkpoint');
    for (let i = 0; i < 3; i++) {
      await writer.append({
        schema,
        files: [await putStrataParquet(ctx.s3, bucket, root, `q-${i}.parquet`, schema, rowsFrom(i, 1))],
      });
    }
    await deltaRs.append(
      uri,
      rowsFrom(50, 2).map((row) => asDeltaRsRow(schema, row)),
    );

    // Act
    const { version } = await deltaRs.checkpoint(uri);

    // Assess
    expect(version).toBe(3);
    expect((await log.list(0)).checkpoints).toEqual([3]);
    expect(comparable(await loadSnapshot(log))).toEqual(
      comparable(await loadSnapshot(log, { ignoreCheckpoints: true })),
    );
  });
});
