/**
 * Stage 5: data quality of the file on its own. Writes a JSON and a self-contained HTML report to reports/
 * and passes its verdict on, for the version stage's gates.
 */
import type { z } from 'zod';
import type { DriftSettings } from '../../domain/dataset.js';
import { createQualityAssessor } from '../../domain/quality/index.js';
import type { TableSchema } from '../../domain/table.js';
import { InvalidInputError } from '../../errors.js';
import { renderQualityHtml } from '../../reports/html.js';
import type { afterProfileSchema, QualityOutput } from '../../schemas/ingestion.js';
import {
  type FileState,
  openStaged,
  reportMeta,
  type StageDeps,
  stagedKeysOf,
  writeReport,
} from './artifacts.js';
import { assessesInChunks, mergeChunkQuality, readProfile } from './chunk-quality.js';

async function settingsOf(deps: StageDeps, file: FileState): Promise<DriftSettings> {
  return (await deps.datasets.getDataset(file.tenant, file.dataset))?.driftSettings ?? {};
}

/** A role column the settings name must exist, else the comparison would silently ignore it. */
function checkRoles(settings: DriftSettings, schema: TableSchema): void {
  for (const [role, name] of [
    ['label', settings.labelColumn],
    ['prediction', settings.predictionColumn],
    ['time', settings.timeColumn],
  ] as const) {
    if (name !== undefined && !schema.columns.some((c) => c.name === name)) {
      throw new InvalidInputError(
        `the dataset's drift settings name "${name}" as the ${role} column, but the file has no such column`,
      );
    }
  }
}

/**
 * Stage 5: quality assessment in one pass over the staged data, with the profile's moments and quartiles;
 * for a file in chunks, the merge of the chunks' assessments.
 */
export async function qualityStage(
  deps: StageDeps,
  state: z.infer<typeof afterProfileSchema>,
): Promise<QualityOutput> {
  const { file, parse, profile } = state;
  const [settings, staged] = await Promise.all([
    settingsOf(deps, file),
    openStaged(deps, stagedKeysOf(file, parse)),
  ]);
  checkRoles(settings, staged.schema);
  const profileDoc = await readProfile(deps, profile.profileKey);
  const options = { ...(settings.timeColumn && { timeColumn: settings.timeColumn }) };
  // A file in chunks was assessed in them where the merge said so (chunk-quality.ts, by the same rule):
  // their states fold into the report.
  const chunks = parse.chunkCount;
  let report =
    chunks !== undefined && assessesInChunks(staged.schema, profileDoc, settings.timeColumn)
      ? await mergeChunkQuality(deps, file, chunks, staged.schema, profileDoc, options)
      : undefined;
  const merged = report !== undefined;
  if (!report) {
    const assessor = createQualityAssessor(staged.schema, profileDoc, options);
    for await (const batch of staged.readRowGroups({ typed: true })) assessor.add(batch);
    report = assessor.result();
  }
  const keys = await writeReport(
    deps.store,
    file,
    'quality',
    report,
    renderQualityHtml(report, reportMeta(file, deps.clock.now())),
  );
  await deps.datasets.updateFile(file.tenant, file.fileId, {
    stage: 'quality',
    quality: { status: report.status, score: report.score, reportKey: keys.reportKey },
  });
  deps.metrics.add('QualityScore', 'Count', report.score);
  deps.logger.info('file quality assessed', {
    fileId: file.fileId,
    status: report.status,
    score: report.score,
    issues: report.issues.length,
    ...(chunks !== undefined && { chunks, merged }),
  });
  return { status: report.status, score: report.score, issues: report.issues.length, ...keys };
}
