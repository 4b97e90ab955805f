/** Stage 3: the dataset's validation suite over the staged data; a FAILED report quarantines the file. */
import type { z } from 'zod';
import { reportKey } from '../../domain/object-key.js';
import {
  createValidator,
  suiteFromSchema,
  type ValidationSuite,
  validationSuiteSchema,
} from '../../domain/validation/index.js';
import { ValidationFailedError } from '../../errors.js';
import type { afterParseSchema, ValidateOutput } from '../../schemas/ingestion.js';
import { openStaged, type StageDeps, stagedKeysOf } from './artifacts.js';

/**
 * Stage 3: run the dataset's validation suite (or, for a dataset without one, the suite inferred from
 * this file's schema) over the staged data. The report is written either way; a FAILED report fails the
 * stage with ValidationFailedError, which the state machine turns into quarantine.
 */
export async function validateStage(
  deps: StageDeps,
  state: z.infer<typeof afterParseSchema>,
): Promise<ValidateOutput> {
  const { file, parse } = state;
  const [dataset, staged] = await Promise.all([
    deps.datasets.getDataset(file.tenant, file.dataset),
    openStaged(deps, stagedKeysOf(file, parse)),
  ]);
  const stored = dataset?.validationSuite;
  const suite: ValidationSuite = stored
    ? validationSuiteSchema.parse(stored)
    : suiteFromSchema(staged.schema);
  const validator = createValidator(suite, staged.schema, { now: deps.clock.now() });
  for await (const batch of staged.readRowGroups()) validator.add(batch);
  const report = validator.report();

  const key = reportKey(file.tenant, file.dataset, file.fileId, 'validation');
  await deps.store.putJson(key, {
    fileId: file.fileId,
    source: file.object.key,
    suiteSource: stored ? dataset?.suiteSource : 'inferred',
    ...report,
  });
  const summary = {
    status: report.status,
    reportKey: key,
    errors: report.summary.errors,
    warnings: report.summary.warnings,
  };
  await deps.datasets.updateFile(file.tenant, file.fileId, { stage: 'validate', validation: summary });
  deps.logger.info('file validated', { fileId: file.fileId, ...summary });
  deps.metrics.add(
    report.status === 'FAILED' ? 'FilesFailedValidation' : 'FilesPassedValidation',
    'Count',
    1,
  );
  if (report.status === 'FAILED') {
    const failed = report.checks.filter((c) => !c.passed && c.severity === 'ERROR');
    throw new ValidationFailedError(
      `${failed.length} check(s) failed: ${failed.map((c) => c.message).join('; ')}`.slice(0, 1500),
      failed.map((c) => c.name),
    );
  }
  return {
    status: report.status,
    reportKey: key,
    errors: summary.errors,
    warnings: summary.warnings,
    inferredSuite: !stored,
  };
}
