/**
 * Stage 2 in chunks, one Lambda per chunk (a Distributed Map item): parse the chunk's part of the file
 * with the dataset's settings, write its staged Parquet (stagedChunkKey), profiling and validating the rows
 * as it writes them,
 * and leave its counts (chunkResultKey) and partial profile (chunkProfileKey) for the merge, and its
 * validation state (chunkValidationKey) for the validate stage. Everything is named
 * by the chunk's index, so a retried chunk rewrites its own outputs. The same function scans a text
 * file's ranges first (text-chunks.ts, json-chunks.ts) and, after validation, assesses each chunk's quality
 * against the merged profile (chunk-quality.ts).
 *
 * A chunk whose input is bad (ParseError, EncodingError, …) records the error and succeeds: the merge
 * fails the file with it, under its own name, so the file is quarantined as the single path would. Only
 * transient errors fail the invocation (the Map's item processor retries them).
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { type DatasetConfig, parseOptionsOf } from '../../domain/dataset.js';
import { chunkProfileKey, chunkResultKey, chunkScanKey, stagedChunkKey } from '../../domain/object-key.js';
import { parseFile } from '../../domain/parse/parse-file.js';
import { createProfiler, profileAlong } from '../../domain/profile/index.js';
import { tapBatches } from '../../domain/table.js';
import { isStrataError } from '../../errors.js';
import { numericRanges, openParquet, writeParquet } from '../../formats/parquet.js';
import type { ChunkResult, chunkStateSchema } from '../../schemas/ingestion.js';
import { pipeThrough } from '../io/channel.js';
import type { StageDeps } from './artifacts.js';
import { assessChunk } from './chunk-quality.js';
import { readJsonChunk, scanJsonChunk } from './json-chunks.js';
import { readCsvChunk, scanCsvChunk } from './text-chunks.js';
import { chunkValidation } from './validate.js';

export async function chunkStage(
  deps: StageDeps,
  state: z.infer<typeof chunkStateSchema>,
): Promise<ChunkResult | { index: number; records: number | undefined } | { index: number; rows: number }> {
  const { file, chunk } = state;
  if (state.assess) return assessChunk(deps, { ...state, assess: state.assess });
  if (chunk.step === 'scan') {
    // The scan (its summary and inference states, which grow with the columns) goes to S3; the answer
    // stays small, as a Map item's output must.
    const config = (await deps.datasets.getDataset(file.tenant, file.dataset))?.config ?? {};
    const scan =
      file.format === 'csv'
        ? await scanCsvChunk(deps, file, chunk, config)
        : await scanJsonChunk(deps, file, chunk, config);
    await deps.store.putJson(chunkScanKey(file.tenant, file.dataset, file.fileId, chunk.index), scan);
    return { index: chunk.index, records: scan.inference?.records };
  }
  const resultKey = chunkResultKey(file.tenant, file.dataset, file.fileId, chunk.index);
  let result: ChunkResult;
  try {
    result = await parseChunk(deps, state);
  } catch (error) {
    if (!isStrataError(error) || error.retryable) throw error;
    result = {
      index: chunk.index,
      rowCount: 0,
      columnCount: 0,
      contentHash: '',
      metrics: {
        recordsRead: 0,
        recordsWritten: 0,
        recordsFailed: 0,
        duplicatesDropped: 0,
        bytesRead: 0,
        durationMs: 0,
        errorRate: 0,
      },
      error: { name: error.name, message: error.message },
    };
    deps.logger.warn('chunk failed', { fileId: file.fileId, chunk: chunk.index, error: error.name });
  }
  await deps.store.putJson(resultKey, result);
  return result;
}

function sourceOf(file: z.infer<typeof chunkStateSchema>['file']) {
  return { bucket: file.object.bucket, key: file.object.key, versionId: file.object.versionId };
}

async function parseChunk(deps: StageDeps, state: z.infer<typeof chunkStateSchema>): Promise<ChunkResult> {
  const { file, chunk } = state;
  const dataset = await deps.datasets.getDataset(file.tenant, file.dataset);
  const config: DatasetConfig = dataset?.config ?? {};
  const parsed =
    file.format === 'parquet'
      ? await parseFile(
          { format: 'parquet', source: await deps.store.openRange(sourceOf(file)) },
          { ...parseOptionsOf(config), ...(chunk.rowGroups && { rowGroups: chunk.rowGroups }) },
        )
      : file.format === 'csv'
        ? await readCsvChunk(deps, file, chunk)
        : await readJsonChunk(deps, file, chunk);

  const stagedKey = stagedChunkKey(file.tenant, file.dataset, file.fileId, chunk.index);
  const hash = createHash('sha256');
  // Validated and profiled on the way to the writer, as the parse stage does: the validate stage merges
  // the chunks' states instead of reading them all, and the merge their profiles.
  const validation = await chunkValidation(deps, file, chunk.index, parsed.schema);
  const validated = tapBatches(parsed.batches, (batch) => validation?.add(batch));
  // A chunk knows its ranges before its rows from a Parquet file's row-group statistics or from its own
  // text scan (CSV or JSON); when they turn out not to give exact histograms, its profile is made from its
  // staged file below.
  const profiled = profileAlong(parsed.schema, validated, parsed.ranges);
  await pipeThrough<Uint8Array, void>(
    async (push) => {
      await writeParquet(parsed.schema, profiled.batches, async (bytes) => {
        hash.update(bytes);
        await push(bytes);
      });
    },
    async (parts) => {
      await deps.store.write(stagedKey, parts, { contentType: 'application/vnd.apache.parquet' });
    },
  );

  await validation?.save();
  // The partial profile is the whole file's kind: without ranges known before the rows, or when they did
  // not give exact histograms, it is made from the staged file, with its row groups' statistics as the
  // ranges, as the profile stage does.
  const along = profiled.final();
  let profile = along;
  if (!profile) {
    const staged = await openParquet(
      await deps.store.openRange({ bucket: deps.store.bucket, key: stagedKey }),
    );
    const profiler = createProfiler(staged.schema, {
      ranges: numericRanges(staged.schema, staged.rowGroups),
    });
    for await (const batch of staged.readRowGroups({ typed: true })) profiler.add(batch);
    profile = profiler.result();
  }
  await deps.store.putJson(chunkProfileKey(file.tenant, file.dataset, file.fileId, chunk.index), profile);

  const metrics = parsed.metrics();
  deps.metrics.add('RecordsRead', 'Count', metrics.recordsRead);
  deps.metrics.add('RecordsWritten', 'Count', metrics.recordsWritten);
  deps.logger.info('chunk parsed', {
    fileId: file.fileId,
    chunk: chunk.index,
    ...metrics,
    profiledWhileWriting: along !== undefined,
  });
  return {
    index: chunk.index,
    rowCount: metrics.recordsWritten,
    columnCount: parsed.schema.columns.length,
    contentHash: hash.digest('hex'),
    metrics,
  };
}
