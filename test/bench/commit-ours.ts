/**
 * The commit case's side of strata (commit-case.ts starts it, one child process per table state, so one
 * state's JIT and connections do not carry into the next), and what the parent shares with it: the data
 * file every append adds, the S3 client, a count of the S3 requests a measured operation sends, and the
 * roll-back of an append.
 *
 * The child first loads the table WARM_UP_LOADS times and appends WARM_UP_APPENDS times to a throwaway
 * table, unmeasured (connections open, code compiled, as in a warm function), then measures `runs` snapshot
 * loads (loadSnapshot: `_last_checkpoint`, list, checkpoint, commits, replay) and `runs` appends, each
 * rolled back after (unmeasured), so that every one meets the same table. An append is the pipeline's: the data file
 * encoded with strata's Parquet writer, put under the table root, its stats read from the footer as the
 * version stage does, then TableWriter.append with the file's txn (the read of the table, the conflict
 * checks, the create-only PutObject of the commit, a checkpoint if due).
 */
import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3TableLog } from '../../shared/adapters/delta/s3-table-log.js';
import { TableWriter } from '../../shared/adapters/delta/table-writer.js';
import { loadSnapshot } from '../../shared/adapters/delta/transaction.js';
import { actionsOf, commitFileName } from '../../shared/domain/delta/actions.js';
import { rowCount } from '../../shared/domain/delta/snapshot.js';
import { fileStats } from '../../shared/domain/delta/stats.js';
import {
  type DataFile,
  dataFileKey,
  dataFilePath,
  fileTransaction,
} from '../../shared/domain/delta/table.js';
import {
  batchFromRows,
  type CellValue,
  type RecordBatch,
  type TableSchema,
} from '../../shared/domain/table.js';
import { openParquet, writeParquet } from '../../shared/formats/parquet.js';

/** The columns of every data file: one of each type strata writes. */
export const COMMIT_SCHEMA: TableSchema = {
  columns: [
    { name: 'id', type: 'int', nullable: false },
    { name: 'score', type: 'float', nullable: true },
    { name: 'ok', type: 'bool', nullable: true },
    { name: 'label', type: 'string', nullable: true },
    { name: 'at', type: 'timestamp', nullable: true },
  ],
};

/** Rows of each appended data file: a small file, as one upload of a busy dataset is. */
export const COMMIT_FILE_ROWS = 1000;

/** The rows of every data file (the same in each: a commit's cost does not depend on the values). */
export function commitRows(count = COMMIT_FILE_ROWS): Record<string, CellValue>[] {
  return Array.from({ length: count }, (_, id) => {
    const blank = id % 7 === 3;
    return {
      id,
      score: blank ? null : id * 1.5 - 7,
      ok: blank ? null : id % 2 === 0,
      label: blank ? null : `row ${id}`,
      at: blank ? null : Date.UTC(2024, 0, 3) + id * 60_123,
    };
  });
}

/** strata's Parquet bytes of `batch`. */
export async function encodeParquet(batch: RecordBatch): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  async function* one() {
    yield batch;
  }
  await writeParquet(COMMIT_SCHEMA, one(), async (chunk) => {
    chunks.push(chunk);
  });
  return new Uint8Array(Buffer.concat(chunks));
}

/** The data file to commit for `bytes` at `path`, its stats from the footer as the version stage takes them. */
export async function dataFileOf(path: string, bytes: Uint8Array): Promise<DataFile> {
  const footer = await openParquet({
    size: bytes.byteLength,
    read: async (start, end) => bytes.subarray(start, end),
  });
  return { path, size: bytes.byteLength, modificationTime: Date.now(), stats: fileStats(footer) };
}

export interface S3Target {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
}

/** S3 requests sent since the last reset; GetObject body bytes as their Content-Length says. */
export interface RequestCount {
  get: number;
  list: number;
  put: number;
  other: number;
  bytesRead: number;
}

export const noRequests = (): RequestCount => ({ get: 0, list: 0, put: 0, other: 0, bytesRead: 0 });

/**
 * An S3 client as the functions build theirs (path-style for MinIO), counting every HTTP request it sends
 * into `count`. Counted in the deserialize step, which runs once per attempt (inside the retries), so a
 * retried request counts twice, as it costs twice; a refused one (404 for a missing `_last_checkpoint`)
 * counts too.
 */
export function countingS3Client(target: S3Target, count: RequestCount): S3Client {
  const s3 = new S3Client({
    region: target.region,
    endpoint: target.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
  });
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      if (command === 'GetObjectCommand') count.get++;
      else if (command === 'ListObjectsV2Command') count.list++;
      else if (command === 'PutObjectCommand') count.put++;
      else count.other++;
      const result = await next(args);
      if (command === 'GetObjectCommand') {
        const headers = (result.response as { headers?: Record<string, string> }).headers ?? {};
        count.bytesRead += Number(headers['content-length'] ?? 0);
      }
      return result;
    },
    { step: 'deserialize', name: 'benchRequestCount' },
  );
  return s3;
}

/**
 * Takes the table at `root` back to `version - 1`: deletes the data files that commit `version` added, then
 * the commit. Every measured append is undone so that the next one meets the same table (no checkpoint is
 * due at `version`, so none was written).
 */
export async function rollBack(s3: S3Client, bucket: string, root: string, version: number): Promise<void> {
  const actions = await new S3TableLog(s3, bucket, root).readCommit(version);
  if (!actions) throw new Error(`s3://${bucket}/${root}: no commit ${version} to roll back`);
  const files = actionsOf(actions, 'add').map((add) => dataFileKey(bucket, root, add.path));
  for (const key of files) {
    if (key === undefined)
      throw new Error(`commit ${version} of s3://${bucket}/${root} adds a file elsewhere`);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }
  await s3.send(
    new DeleteObjectCommand({ Bucket: bucket, Key: `${root}_delta_log/${commitFileName(version)}` }),
  );
}

export interface CommitOursArgs {
  target: S3Target;
  /** The table root in the bucket (`tables/<tenant>/<dataset>/`). */
  root: string;
  checkpointInterval: number;
  runs: number;
  /** Where the warm-up's throwaway tables go (one per child, a random name under it). */
  scratchRoot: string;
}

export interface Measured extends RequestCount {
  ms: number;
}

export interface OurLoad extends Measured {
  version: number;
  files: number;
  rows: number;
}

export interface OurAppend extends Measured {
  /** The data file: Parquet encoding, its PutObject and the footer's stats. */
  dataMs: number;
  /** TableWriter.append alone. */
  commitMs: number;
  version: number;
  status: 'committed' | 'duplicate';
  attempts: number;
  checkpoint: boolean;
}

export interface CommitOursResult {
  loads: OurLoad[];
  appends: OurAppend[];
  /** Bytes of the data file each append put. */
  fileBytes: number;
}

/** Loads of the measured table before the measured ones: the replay's code compiled, as in a warm function. */
export const WARM_UP_LOADS = 3;
/** Appends are warmed up on a table of their own, so the measured table gets only measured commits. */
export const WARM_UP_APPENDS = 3;

export async function runOurCommit(args: CommitOursArgs): Promise<CommitOursResult> {
  const count = noRequests();
  const s3 = countingS3Client(args.target, count);
  const log = new S3TableLog(s3, args.target.bucket, args.root);
  const writer = new TableWriter(log, { checkpointInterval: args.checkpointInterval });
  const batch = batchFromRows(COMMIT_SCHEMA, commitRows());

  /** One append as the pipeline makes it: the data file encoded, put and its stats read, then the commit. */
  const append = async (to: TableWriter, root: string) => {
    const started = performance.now();
    const fileId = randomUUID();
    const path = dataFilePath(fileId);
    const bytes = await encodeParquet(batch);
    await s3.send(new PutObjectCommand({ Bucket: args.target.bucket, Key: `${root}${path}`, Body: bytes }));
    const file = await dataFileOf(path, bytes);
    const dataMs = performance.now() - started;
    const result = await to.append({ schema: COMMIT_SCHEMA, files: [file], txn: fileTransaction(fileId) });
    if (result.checkpoint && 'error' in result.checkpoint) throw result.checkpoint.error;
    return { result, dataMs, fileBytes: bytes.byteLength };
  };

  // Warm-up, unmeasured: what a warm function has done before (JIT-compiled code, open connections).
  for (let i = 0; i < WARM_UP_LOADS; i++) await loadSnapshot(log);
  const scratchRoot = `${args.scratchRoot}${randomUUID()}/`;
  const scratch = new TableWriter(new S3TableLog(s3, args.target.bucket, scratchRoot));
  for (let i = 0; i < WARM_UP_APPENDS; i++) await append(scratch, scratchRoot);

  const measure = async <T>(op: () => Promise<T>): Promise<{ value: T } & Measured> => {
    Object.assign(count, noRequests());
    const started = performance.now();
    const value = await op();
    return { value, ms: performance.now() - started, ...count };
  };

  const loads: OurLoad[] = [];
  for (let run = 0; run < args.runs; run++) {
    const { value: snapshot, ...m } = await measure(() => loadSnapshot(log));
    if (!snapshot) throw new Error(`${log.uri} has no table`);
    loads.push({
      ...m,
      version: snapshot.version,
      files: snapshot.files.size,
      rows: rowCount(snapshot) ?? -1,
    });
  }

  const appends: OurAppend[] = [];
  let fileBytes = 0;
  for (let run = 0; run < args.runs; run++) {
    const { value, ...m } = await measure(() => append(writer, args.root));
    const { result, dataMs } = value;
    fileBytes = value.fileBytes;
    if (result.status === 'committed') await rollBack(s3, args.target.bucket, args.root, result.version);
    appends.push({
      ...m,
      dataMs,
      commitMs: m.ms - dataMs,
      version: result.version,
      status: result.status,
      attempts: result.attempts,
      checkpoint: result.checkpoint !== undefined,
    });
  }
  return { loads, appends, fileBytes };
}
