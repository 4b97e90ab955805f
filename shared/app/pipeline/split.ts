/**
 * Stage 2, first step: decide whether a file is parsed by one Lambda (the parse stage) or in chunks by a
 * Distributed Map (chunk.ts, then merge.ts), and plan the chunks.
 *
 * A file up to the dataset's `chunkBytes` (default DEFAULT_CHUNK_BYTES) is parsed whole. A larger Parquet
 * file is split by row groups: consecutive groups, each chunk holding at most `chunkBytes` of the footer's
 * uncompressed bytes (a row group is never split; one larger than the target is a chunk of its own), at
 * most MAX_CHUNKS chunks (the runs grow instead; domain/chunks/plan.ts). A larger CSV file is cut into byte ranges of about
 * `chunkBytes` whose records are found by a scan, then settled (text-chunks.ts); so is a larger JSON Lines
 * file, and a larger JSON array is first re-cut into JSON Lines pieces by one streaming pass
 * (json-chunks.ts). Dedup keys hold across the chunks: the merge drops later rows of a key (chunk-dedup.ts).
 *
 * The chunk list goes to S3 (chunkPlanKey) as the JSON array the Map's ItemReader reads: a state carries
 * only its key and count. Rewriting it on a retry writes the same list.
 */
import type { z } from 'zod';
import { MAX_CHUNKS, planChunks } from '../../domain/chunks/plan.js';
import { DEFAULT_CHUNK_BYTES } from '../../domain/dataset.js';
import { chunkPlanKey } from '../../domain/object-key.js';
import { openParquet } from '../../formats/parquet.js';
import type { afterRegisterSchema, Chunk, SplitOutput } from '../../schemas/ingestion.js';
import type { StageDeps } from './artifacts.js';
import { planJsonArrayChunks, planJsonlChunks } from './json-chunks.js';
import { planCsvChunks } from './text-chunks.js';
import { pinChunkValidation } from './validate.js';

export async function splitStage(
  deps: StageDeps,
  state: z.infer<typeof afterRegisterSchema>,
): Promise<SplitOutput> {
  const { file } = state;
  const dataset = await deps.datasets.getDataset(file.tenant, file.dataset);
  const chunkBytes = dataset?.config?.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const whole: SplitOutput = { chunked: false, chunkCount: 0 };
  if (file.size <= chunkBytes) return whole;
  // The suite and clock every chunk and the merge validate by, fixed before any chunk runs (validate.ts).
  await pinChunkValidation(deps, file, dataset);
  if (file.format === 'csv')
    return (await planCsvChunks(deps, file, dataset?.config ?? {}, chunkBytes)) ?? whole;
  if (file.format === 'jsonl')
    return (await planJsonlChunks(deps, file, dataset?.config ?? {}, chunkBytes)) ?? whole;
  if (file.format === 'json')
    return (await planJsonArrayChunks(deps, file, dataset?.config ?? {}, chunkBytes)) ?? whole;
  if (file.format !== 'parquet') return whole;

  const source = { bucket: file.object.bucket, key: file.object.key, versionId: file.object.versionId };
  // An unreadable footer is the parse stage's to report (ParseError), with the single path's message.
  const footer = await openParquet(await deps.store.openRange(source)).catch(() => undefined);
  if (!footer) return whole;
  const plan = planChunks({
    format: 'parquet',
    size: file.size,
    rowGroups: footer.rowGroups.map((g) => ({ rows: g.numRows, uncompressedBytes: g.uncompressedBytes })),
    targetBytes: chunkBytes,
    maxChunks: MAX_CHUNKS,
  });
  if (plan.kind !== 'row-groups') return whole;
  const chunks: Chunk[] = plan.chunks.map((c) => ({
    index: c.index,
    step: 'convert',
    rowGroups: Array.from({ length: c.rowGroupCount }, (_, i) => c.firstRowGroup + i),
  }));
  if (chunks.length < 2) return whole;

  const planKey = chunkPlanKey(file.tenant, file.dataset, file.fileId);
  await deps.store.putJson(planKey, chunks);
  deps.logger.info('file split into chunks', {
    fileId: file.fileId,
    chunks: chunks.length,
    rowGroups: footer.rowGroups.length,
    chunkBytes,
  });
  return { chunked: true, chunkCount: chunks.length, bucket: deps.store.bucket, planKey };
}
