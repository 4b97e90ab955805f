/**
 * Stage 2 in chunks, last step: what the parse and profile stages answer for a whole file, made from its
 * chunks' results. The counts are summed and the error budget judged over the whole file; the partial
 * profiles are merged (domain/profile/merge.ts: exact counts, nulls, min and max, moments combined,
 * sketches merged) into the file's profile, written where the profile stage writes one. The validate
 * stage then merges the chunks' validation states (uniqueness exact across chunks by their key hashes).
 * Quality is assessed in the chunks and folded where that gives one pass's report — the merge answers
 * `assess` for the machine's Assess Map (chunk-quality.ts) — else in one pass over the chunk files in
 * order, as drift reads them: exact by construction. The version stage commits all chunk files in one
 * table commit.
 *
 * Dedup keys: a second pass over the chunks' key columns keeps the first row of each key in file order
 * (chunk-dedup.ts), before the profiles are merged.
 *
 * A chunk that hit bad input left its error in its result: the merge fails the file with it, under the
 * error's own name (the first chunk's in file order), so it is quarantined as the single path would.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { chunkProfileKey, chunkResultKey, reportKey, stagedChunkKey } from '../../domain/object-key.js';
import { type DatasetProfile, mergeProfiles } from '../../domain/profile/index.js';
import type { TableSchema } from '../../domain/table.js';
import { ChunkFailedError, InternalError, ParseError } from '../../errors.js';
import {
  type afterSplitSchema,
  type ChunkResult,
  chunkResultSchema,
  type MergeOutput,
  type ParseOutput,
} from '../../schemas/ingestion.js';
import type { StageDeps } from './artifacts.js';
import { dropDuplicateKeys } from './chunk-dedup.js';
import { assessesInChunks } from './chunk-quality.js';

export async function mergeStage(
  deps: StageDeps,
  state: z.infer<typeof afterSplitSchema>,
): Promise<MergeOutput> {
  const { file, split } = state;
  const { tenant, dataset, fileId } = file;
  const indexes = Array.from({ length: split.chunkCount }, (_, i) => i);
  const parsed = await Promise.all(
    indexes.map((i) => readResult(deps, chunkResultKey(tenant, dataset, fileId, i))),
  );
  const failed = parsed.find((r) => r.error !== undefined);
  if (failed?.error) throw new ChunkFailedError(failed.error.name, failed.error.message, failed.index);

  const record = await deps.datasets.getDataset(tenant, dataset);
  const config = record?.config ?? {};
  const keys = config.dedupKeys ?? [];
  const results = keys.length > 0 ? await dropDuplicateKeys(deps, file, keys, parsed) : parsed;
  const metrics = sumMetrics(results);
  const maxErrorRate = config.maxErrorRate ?? 0;
  if (metrics.recordsFailed > 0 && metrics.recordsFailed > maxErrorRate * metrics.recordsRead) {
    throw new ParseError(
      `${metrics.recordsFailed} of ${metrics.recordsRead} records failed across ${results.length} chunks, ` +
        `above the allowed error rate ${maxErrorRate}`,
    );
  }
  const columnCounts = new Set(results.map((r) => r.columnCount));
  if (columnCounts.size !== 1) {
    throw new InternalError(`chunks of file ${fileId} have different column counts: ${[...columnCounts]}`);
  }

  // Merged in chunk order, a pair at a time: the sketches' merges are associative, so the order only
  // decides rounding, and a fixed order makes a rerun write the same profile.
  let profile: DatasetProfile | undefined;
  for (const i of indexes) {
    const part = (await deps.store.getJson(chunkProfileKey(tenant, dataset, fileId, i))) as
      | DatasetProfile
      | undefined;
    if (!part) throw new InternalError(`chunk ${i} of file ${fileId} left no profile`);
    profile = profile ? mergeProfiles(profile, part) : part;
  }
  const profileKey = reportKey(tenant, dataset, fileId, 'profile');
  await deps.store.putJson(profileKey, profile);

  // The version's content hash: of the chunk files' hashes in order (the bytes differ from a single
  // staged file's, so a file parsed whole and in chunks have different hashes, each stable on reruns).
  const contentHash = createHash('sha256')
    .update(results.map((r) => r.contentHash).join('\n'))
    .digest('hex');
  const rowCount = results.reduce((sum, r) => sum + r.rowCount, 0);
  const columnCount = results[0]?.columnCount ?? 0;
  const stagedKey = stagedChunkKey(tenant, dataset, fileId, 0);
  const parse: ParseOutput = {
    stagedKey,
    chunkCount: results.length,
    columnCount,
    rowCount,
    contentHash,
    metrics,
  };
  await deps.datasets.updateFile(tenant, fileId, {
    stage: 'profile',
    parse: {
      stagedKey,
      rowCount,
      columns: columnCount,
      recordsFailed: metrics.recordsFailed,
      durationMs: metrics.durationMs,
    },
    profileKey,
  });
  deps.metrics.add('RecordsWritten', 'Count', rowCount);
  deps.metrics.add('Chunks', 'Count', results.length);
  // The profile's columns are the staged schema's, in order (what the quality decision reads of it).
  const schema: TableSchema = {
    columns: (profile?.columns ?? []).map((c) => ({ name: c.name, type: c.type, nullable: c.nulls > 0 })),
  };
  const assess =
    profile !== undefined && assessesInChunks(schema, profile, record?.driftSettings?.timeColumn);
  deps.logger.info('chunks merged', { fileId, chunks: results.length, rows: rowCount, assess });
  return { parse, profile: { profileKey, rowCount }, assess };
}

async function readResult(deps: StageDeps, key: string): Promise<ChunkResult> {
  const json = await deps.store.getJson(key);
  if (json === undefined) throw new InternalError(`chunk result ${key} is missing`);
  return chunkResultSchema.parse(json);
}

/** Sums the chunks' counts; the duration is the longest chunk's (they ran side by side). */
function sumMetrics(results: ChunkResult[]): ParseOutput['metrics'] {
  const sum = (pick: (m: ParseOutput['metrics']) => number) =>
    results.reduce((s, r) => s + pick(r.metrics), 0);
  const recordsRead = sum((m) => m.recordsRead);
  const recordsFailed = sum((m) => m.recordsFailed);
  return {
    recordsRead,
    recordsWritten: sum((m) => m.recordsWritten),
    recordsFailed,
    duplicatesDropped: sum((m) => m.duplicatesDropped),
    bytesRead: sum((m) => m.bytesRead),
    durationMs: Math.max(0, ...results.map((r) => r.metrics.durationMs)),
    errorRate: recordsRead === 0 ? 0 : recordsFailed / recordsRead,
  };
}
