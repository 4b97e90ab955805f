/**
 * Stage 2 in chunks, between a text file's two passes: every chunk's true first record from the scans'
 * summaries, the merged inference settled into the file's schema, the error budget judged over all
 * records, and the convert plan written (CSV: text-chunks.ts; JSON Lines and JSON arrays: json-chunks.ts).
 * Its answer replaces the split's, so the convert Map reads the new plan where the split's would be.
 */
import type { z } from 'zod';
import type { afterSplitSchema, SplitOutput } from '../../schemas/ingestion.js';
import type { StageDeps } from './artifacts.js';
import { settleJsonChunks } from './json-chunks.js';
import { settleCsvChunks } from './text-chunks.js';

export async function settleStage(
  deps: StageDeps,
  state: z.infer<typeof afterSplitSchema>,
): Promise<SplitOutput> {
  const { file, split } = state;
  const config = (await deps.datasets.getDataset(file.tenant, file.dataset))?.config ?? {};
  if (file.format === 'csv') return settleCsvChunks(deps, file, split.chunkCount, config);
  return settleJsonChunks(deps, file, split.chunkCount, config);
}
