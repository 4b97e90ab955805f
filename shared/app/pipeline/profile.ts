import type { z } from 'zod';
import { reportKey } from '../../domain/object-key.js';
import { createProfiler } from '../../domain/profile/index.js';
import { numericRanges } from '../../formats/parquet.js';
import type { afterValidateSchema, ProfileOutput } from '../../schemas/ingestion.js';
import { openStaged, type StageDeps, stagedKeysOf } from './artifacts.js';

/** Stage 4: the per-column profile of the staged data, written to reports/. */
export async function profileStage(
  deps: StageDeps,
  state: z.infer<typeof afterValidateSchema>,
): Promise<ProfileOutput> {
  const { file, parse } = state;
  const staged = await openStaged(deps, stagedKeysOf(file, parse));
  const profiler = createProfiler(staged.schema, {
    ranges: numericRanges(staged.schema, staged.rowGroups),
  });
  for await (const batch of staged.readRowGroups({ typed: true })) profiler.add(batch);
  const profile = profiler.result();
  const key = reportKey(file.tenant, file.dataset, file.fileId, 'profile');
  await deps.store.putJson(key, profile);
  await deps.datasets.updateFile(file.tenant, file.fileId, { stage: 'profile', profileKey: key });
  deps.metrics.add('RowsProfiled', 'Count', profile.rowCount);
  deps.logger.info('file profiled', { fileId: file.fileId, rows: profile.rowCount });
  return { profileKey: key, rowCount: profile.rowCount };
}
