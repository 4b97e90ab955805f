/**
 * Dedup keys across a big file's chunks, exact as the single parse: the first row of a key in file order
 * is kept, every later one dropped, with the same 128-bit key hashes (domain/parse/dedup.ts). Chunks parse
 * without dropping anything; the merge runs this second pass over the key columns of the staged chunk
 * files in chunk order, then rewrites only the chunks that lost rows and profiles them again. Memory is the
 * single parse's: one key set for the whole file.
 *
 * Safe to repeat: the rows to drop are found on the chunks as parsed and stored (one list per chunk, then
 * a marker with the counts) before any chunk is rewritten; a chunk is rewritten only while it still has
 * its parsed row count, and its result records the rewrite last. A retried merge reads the marker and
 * finishes what is left.
 */
import { createHash } from 'node:crypto';
import {
  chunkDedupKey,
  chunkDropsKey,
  chunkProfileKey,
  chunkResultKey,
  stagedChunkKey,
} from '../../domain/object-key.js';
import { KeyHashSet } from '../../domain/parse/dedup.js';
import { createProfiler } from '../../domain/profile/index.js';
import type { CellValue, RecordBatch } from '../../domain/table.js';
import { InternalError, ParseError } from '../../errors.js';
import { numericRanges, openParquet, type ParquetFile, writeParquet } from '../../formats/parquet.js';
import type { ChunkResult } from '../../schemas/ingestion.js';
import { pipeThrough } from '../io/channel.js';
import type { FileState, StageDeps } from './artifacts.js';

type ChunkedFile = Pick<FileState, 'tenant' | 'dataset' | 'fileId'>;

async function openChunk(deps: StageDeps, key: string): Promise<ParquetFile> {
  return openParquet(await deps.store.openRange({ bucket: deps.store.bucket, key }));
}

/**
 * Drops the rows whose key an earlier row of the file holds, chunk by chunk; answers the chunks' results
 * with their counts after the drops (rows, records written, duplicates dropped, content hash).
 */
export async function dropDuplicateKeys(
  deps: StageDeps,
  file: ChunkedFile,
  keys: readonly string[],
  results: readonly ChunkResult[],
): Promise<ChunkResult[]> {
  const { tenant, dataset, fileId } = file;
  const markerKey = chunkDedupKey(tenant, dataset, fileId);
  let counts = (await deps.store.getJson(markerKey)) as number[] | undefined;
  if (!counts) {
    counts = await findDuplicates(deps, file, keys, results);
    await deps.store.putJson(markerKey, counts);
  }
  const after: ChunkResult[] = [];
  for (const [i, result] of results.entries()) {
    const drops = counts[i] ?? 0;
    if (drops === 0 || result.dedupApplied) {
      after.push(result);
      continue;
    }
    after.push(await rewriteChunk(deps, file, result, drops));
  }
  deps.logger.info('duplicate keys dropped across chunks', {
    fileId,
    dropped: counts.reduce((a, b) => a + b, 0),
    chunksRewritten: counts.filter((n) => n > 0).length,
  });
  return after;
}

/** The rows to drop per chunk (stored as lists of row indexes), and how many per chunk. */
async function findDuplicates(
  deps: StageDeps,
  file: ChunkedFile,
  keys: readonly string[],
  results: readonly ChunkResult[],
): Promise<number[]> {
  const { tenant, dataset, fileId } = file;
  const seen = new KeyHashSet();
  const key: CellValue[] = keys.map(() => null);
  const counts: number[] = [];
  for (const result of results) {
    const staged = await openChunk(deps, stagedChunkKey(tenant, dataset, fileId, result.index));
    const missing = keys.find((k) => !staged.schema.columns.some((c) => c.name === k));
    if (missing !== undefined) throw new ParseError(`dedup key "${missing}" is not a column of the file`);
    const drops: number[] = [];
    let row = 0;
    for await (const batch of staged.readRowGroups({ columns: [...keys] })) {
      for (let r = 0; r < batch.numRows; r++, row++) {
        for (let k = 0; k < keys.length; k++) key[k] = batch.columns[k]?.[r] ?? null;
        if (!seen.add(key)) drops.push(row);
      }
    }
    await deps.store.write(
      chunkDropsKey(tenant, dataset, fileId, result.index),
      single(new Uint8Array(Uint32Array.from(drops).buffer)),
      {
        contentType: 'application/octet-stream',
      },
    );
    counts.push(drops.length);
  }
  return counts;
}

/** The chunk without its dropped rows, profiled again; its result updated last (see the module's comment). */
async function rewriteChunk(
  deps: StageDeps,
  file: ChunkedFile,
  result: ChunkResult,
  drops: number,
): Promise<ChunkResult> {
  const { tenant, dataset, fileId } = file;
  const key = stagedChunkKey(tenant, dataset, fileId, result.index);
  let staged = await openChunk(deps, key);
  let contentHash = result.contentHash;
  if (staged.numRows === result.rowCount) {
    const dropped = await readDrops(deps, file, result.index, drops);
    const hash = createHash('sha256');
    const source = staged;
    await pipeThrough<Uint8Array, void>(
      async (push) => {
        await writeParquet(source.schema, withoutRows(source, dropped), async (bytes) => {
          hash.update(bytes);
          await push(bytes);
        });
      },
      async (parts) => {
        await deps.store.write(key, parts, { contentType: 'application/vnd.apache.parquet' });
      },
    );
    contentHash = hash.digest('hex');
    staged = await openChunk(deps, key);
  } else if (staged.numRows !== result.rowCount - drops) {
    throw new InternalError(
      `chunk ${result.index} of file ${fileId} has ${staged.numRows} rows, neither as parsed (${result.rowCount}) nor without its ${drops} duplicates`,
    );
  } else {
    // Rewritten by an earlier attempt that stopped before recording it: its bytes are what they hash to.
    contentHash = await hashOf(deps, key);
  }
  const profiler = createProfiler(staged.schema, { ranges: numericRanges(staged.schema, staged.rowGroups) });
  for await (const batch of staged.readRowGroups()) profiler.add(batch);
  await deps.store.putJson(chunkProfileKey(tenant, dataset, fileId, result.index), profiler.result());
  const updated: ChunkResult = {
    ...result,
    rowCount: result.rowCount - drops,
    contentHash,
    metrics: {
      ...result.metrics,
      recordsWritten: result.metrics.recordsWritten - drops,
      duplicatesDropped: result.metrics.duplicatesDropped + drops,
    },
    dedupApplied: true,
  };
  await deps.store.putJson(chunkResultKey(tenant, dataset, fileId, result.index), updated);
  return updated;
}

async function readDrops(
  deps: StageDeps,
  file: ChunkedFile,
  index: number,
  expected: number,
): Promise<Set<number>> {
  const parts: Uint8Array[] = [];
  const key = chunkDropsKey(file.tenant, file.dataset, file.fileId, index);
  for await (const part of deps.store.read({ bucket: deps.store.bucket, key })) parts.push(part);
  const bytes = Buffer.concat(parts);
  const rows = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  if (rows.length !== expected) {
    throw new InternalError(
      `chunk ${index} of file ${file.fileId}: ${rows.length} rows to drop, ${expected} expected`,
    );
  }
  return new Set(rows);
}

async function hashOf(deps: StageDeps, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const part of deps.store.read({ bucket: deps.store.bucket, key })) hash.update(part);
  return hash.digest('hex');
}

/** The file's batches without the rows at the given indexes (file order). */
async function* withoutRows(file: ParquetFile, dropped: ReadonlySet<number>): AsyncIterable<RecordBatch> {
  let row = 0;
  for await (const batch of file.readRowGroups()) {
    const keep: number[] = [];
    for (let r = 0; r < batch.numRows; r++, row++) if (!dropped.has(row)) keep.push(r);
    if (keep.length === batch.numRows) {
      yield batch;
      continue;
    }
    yield {
      schema: batch.schema,
      numRows: keep.length,
      columns: batch.columns.map((column) => keep.map((r) => column[r] ?? null)),
    };
  }
}

async function* single(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}
