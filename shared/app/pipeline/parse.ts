/**
 * Pipeline stages 2–4 (parse, validate, profile). Each reads what the previous stage left in S3 (keys
 * and counts travel through the state machine; data, schemas and reports do not), does its work
 * streaming, writes its artifact and annotates the file record. Re-running a stage rewrites the same
 * artifacts: all are derived data.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { DatasetConfig } from '../domain/dataset.js';
import type { FileFormat } from '../domain/object-key.js';
import { parseFile } from '../domain/parse/parse-file.js';
import { createProfiler } from '../domain/profile/index.js';
import {
  createValidator,
  suiteFromSchema,
  type ValidationSuite,
  validationSuiteSchema,
} from '../domain/validation/index.js';
import { reportKey, stagingKey } from '../domain/version.js';
import { ValidationFailedError } from '../errors.js';
import { numericRanges, openParquet, type ParquetFile, writeParquet } from '../formats/parquet.js';
import type { Clock, DatasetStore, Logger, MetricsRecorder, ObjectStore } from '../ports.js';
import type {
  afterParseSchema,
  afterRegisterSchema,
  afterValidateSchema,
  ParseOutput,
  ProfileOutput,
  ValidateOutput,
} from '../schemas/ingestion.js';
import { pipeThrough } from './channel.js';

export interface StageDeps {
  store: ObjectStore;
  datasets: DatasetStore;
  clock: Clock;
  logger: Logger;
  metrics: MetricsRecorder;
}

/**
 * Stage 2: read the source in its format (two streaming passes for text: infer, then convert), apply
 * the dataset's mapping, type overrides and dedup keys, and write the canonical Parquet to staging.
 */
export async function parseStage(
  deps: StageDeps,
  state: z.infer<typeof afterRegisterSchema>,
): Promise<ParseOutput> {
  const { file } = state;
  const dataset = await deps.datasets.getDataset(file.tenant, file.dataset);
  const config: DatasetConfig = dataset?.config ?? {};
  const source = { bucket: file.object.bucket, key: file.object.key, versionId: file.object.versionId };
  const format = file.format as FileFormat;
  const parsed = await parseFile(
    format === 'parquet'
      ? { format, source: await deps.store.openRange(source) }
      : { format, open: () => deps.store.read(source) },
    {
      ...(config.columnMapping && { columnMapping: config.columnMapping }),
      ...(config.typeOverrides && { typeOverrides: config.typeOverrides }),
      ...(config.dedupKeys && { dedupKeys: config.dedupKeys }),
      ...(config.maxErrorRate !== undefined && { maxErrorRate: config.maxErrorRate }),
      ...(config.encoding && { encoding: config.encoding }),
      ...(config.allowEmptyBatches !== undefined && { allowEmptyBatches: config.allowEmptyBatches }),
      ...(config.maxColumns !== undefined && { maxColumns: config.maxColumns }),
      ...(config.maxColumnNameLength !== undefined && { maxColumnNameLength: config.maxColumnNameLength }),
    },
  );

  const stagedKey = stagingKey(file.tenant, file.dataset, file.fileId);
  const hash = createHash('sha256');
  const written = await pipeThrough<Uint8Array, { rowCount: number }>(
    async (push) => {
      await writeParquet(parsed.schema, parsed.batches, async (chunk) => {
        hash.update(chunk);
        await push(chunk);
      });
    },
    async (chunks) => {
      await deps.store.write(stagedKey, chunks, { contentType: 'application/vnd.apache.parquet' });
      return { rowCount: parsed.metrics().recordsWritten };
    },
  );
  const metrics = parsed.metrics();
  deps.metrics.add('RecordsRead', 'Count', metrics.recordsRead);
  deps.metrics.add('RecordsWritten', 'Count', metrics.recordsWritten);
  deps.metrics.add('RecordsFailed', 'Count', metrics.recordsFailed);
  deps.metrics.add('DuplicatesDropped', 'Count', metrics.duplicatesDropped);
  deps.metrics.add('BytesRead', 'Bytes', metrics.bytesRead);
  deps.metrics.add('ParseDuration', 'Milliseconds', metrics.durationMs);
  deps.metrics.add('ParseErrorRate', 'Percent', metrics.errorRate * 100);
  const renamed = parsed.renamedColumns;
  // Renames are bounded on the record (a DynamoDB item holds 400 KB); the count says when some are left out.
  const renames =
    renamed.length > 0
      ? { renamedColumns: renamed.slice(0, RENAMES_RECORDED), renamedColumnCount: renamed.length }
      : {};
  await deps.datasets.updateFile(file.tenant, file.fileId, {
    stage: 'parse',
    parse: {
      stagedKey,
      rowCount: written.rowCount,
      columns: parsed.schema.columns.length,
      recordsFailed: metrics.recordsFailed,
      durationMs: metrics.durationMs,
      ...(parsed.encoding && { encoding: parsed.encoding }),
      ...renames,
    },
  });
  deps.logger.info('file parsed', {
    fileId: file.fileId,
    format,
    ...metrics,
    columns: parsed.schema.columns.length,
    ...(parsed.encoding && { encoding: parsed.encoding }),
    ...renames,
  });
  return {
    stagedKey,
    columnCount: parsed.schema.columns.length,
    rowCount: written.rowCount,
    contentHash: hash.digest('hex'),
    metrics,
    ...(parsed.encoding && { encoding: parsed.encoding }),
    ...(renamed.length > 0 && { renamedColumnCount: renamed.length }),
  };
}

/** Header renames kept on a file record; the rest are counted. */
export const RENAMES_RECORDED = 100;

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
    openStaged(deps, parse.stagedKey),
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

/** Stage 4: the per-column profile of the staged data, written to reports/. */
export async function profileStage(
  deps: StageDeps,
  state: z.infer<typeof afterValidateSchema>,
): Promise<ProfileOutput> {
  const { file, parse } = state;
  const staged = await openStaged(deps, parse.stagedKey);
  const profiler = createProfiler(staged.schema, {
    ranges: numericRanges(staged.schema, staged.rowGroups),
  });
  for await (const batch of staged.readRowGroups()) profiler.add(batch);
  const profile = profiler.result();
  const key = reportKey(file.tenant, file.dataset, file.fileId, 'profile');
  await deps.store.putJson(key, profile);
  await deps.datasets.updateFile(file.tenant, file.fileId, { stage: 'profile', profileKey: key });
  deps.metrics.add('RowsProfiled', 'Count', profile.rowCount);
  deps.logger.info('file profiled', { fileId: file.fileId, rows: profile.rowCount });
  return { profileKey: key, rowCount: profile.rowCount };
}

/**
 * The staged Parquet file: its footer is where the stages after parse take the schema from (the state
 * carries only keys and counts), and it holds exactly what parse wrote (names, types, nullability).
 */
export async function openStaged(deps: Pick<StageDeps, 'store'>, key: string): Promise<ParquetFile> {
  return openParquet(await deps.store.openRange({ bucket: deps.store.bucket, key }));
}
