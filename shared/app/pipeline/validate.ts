/**
 * Stage 3: the dataset's validation suite over the staged data; a FAILED report quarantines the file.
 *
 * A file parsed in chunks is validated inside the chunks: the split stage fixes the suite and the clock
 * once (`pinChunkValidation`, at chunkSuiteKey), each chunk function runs that suite over the rows it
 * staged with a mergeable validator and stores the partial state (`chunkValidation`, at
 * chunkValidationKey), and this stage folds the states in chunk order (`mergeValidation`) into the report
 * one validator over the whole file gives, reading only the few rows a uniqueness sample needs from the
 * chunk files. Uniqueness stays exact across chunks without partitioning or a second pass: the chunks keep
 * their keys' 64-bit hashes and the merge replays them into one set (domain/validation/partial.ts).
 *
 * The suite and clock: the single path judges a file by the suite stored when its parse stage runs and at
 * that instant, over the rows as they are written (`validationAlong`; this stage then judges the saved
 * report), or, when the parse left it (a suite that does not parse, uniqueness sets too big for the parse
 * function), by the suite stored when this stage runs and at its instant. A chunked file is judged by the
 * suite stored when it was split and at the split's instant, for every chunk alike: chunks run minutes
 * apart and must not see a suite replaced meanwhile, nor judge freshness at different instants. A chunk
 * whose state is missing or stale (made under another split, or before the merge rewrote the chunk without
 * rows its dedup keys dropped) is validated again here from its file alone; a file split by code that
 * pinned no suite is validated as before, in one pass over the chunk files.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { DatasetRecord } from '../../domain/dataset.js';
import { chunkSuiteKey, chunkValidationKey, reportKey } from '../../domain/object-key.js';
import type { CellValue, ReadBatch, TableSchema } from '../../domain/table.js';
import {
  checkName,
  createValidator,
  decodeValidationPartial,
  encodeValidationPartial,
  mergeValidation,
  suiteFromSchema,
  type ValidationPartial,
  type ValidationReport,
  type ValidationSuite,
  type Validator,
  validationSuiteSchema,
} from '../../domain/validation/index.js';
import { InternalError, isStrataError, ValidationFailedError } from '../../errors.js';
import type { ParquetFile } from '../../formats/parquet.js';
import type { afterParseSchema, ParseOutput, ValidateOutput } from '../../schemas/ingestion.js';
import { concatParquetFiles } from '../io/parquet-files.js';
import { mapLimit } from '../lifecycle/moves.js';
import { openStaged, readBlob, type StageDeps, stagedKeysOf, writeBlob } from './artifacts.js';

type FileRef = { tenant: string; dataset: string; fileId: string };

/** What split fixes for a file's chunks and the merge: the suite as stored (null: inferred) and the clock. */
const suitePinSchema = z.object({
  /** Names this split: a chunk's state made under another split of the file is not merged. */
  id: z.string(),
  suite: z.unknown().nullable(),
  suiteSource: z.enum(['api', 'inferred']).optional(),
  now: z.iso.datetime(),
});
export type SuitePin = z.infer<typeof suitePinSchema>;

/** A chunk's encoded state carries the pin it was made under. */
export type PinnedPartial = ValidationPartial & { suitePin?: string };

/** Chunk states read at once by the merge (each a GET of up to ~12 bytes a distinct key). */
const READ_CONCURRENCY = 8;

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
  if (parse.validation !== undefined) {
    // The parse validated the rows as it wrote them (validationAlong): its report is judged here.
    const { reportKey: key, inferredSuite } = parse.validation;
    const saved = (await deps.store.getJson(key)) as SavedReport | undefined;
    if (!saved) throw new InternalError(`the parse's validation report ${key} is missing`);
    return judge(deps, state, saved, key, !inferredSuite);
  }
  // A chunked file's parts are opened one by one: a part whose state is stale is validated here alone.
  const [dataset, parts, pin] = await Promise.all([
    deps.datasets.getDataset(file.tenant, file.dataset),
    mapLimit(stagedKeysOf(file, parse), READ_CONCURRENCY, (key) => openStaged(deps, [key])),
    parse.chunkCount === undefined ? undefined : readPin(deps, file),
  ]);
  const staged = concatParquetFiles(parts);
  const stored = pin ? pin.suite : dataset?.validationSuite;
  const suiteSource = pin ? pin.suiteSource : dataset?.suiteSource;
  const suite: ValidationSuite = stored
    ? validationSuiteSchema.parse(stored)
    : suiteFromSchema(staged.schema);
  const now = pin ? new Date(pin.now) : deps.clock.now();

  const merged =
    pin && parse.chunkCount !== undefined
      ? await mergeChunks(deps, file, pin, suite, parts, staged, now)
      : undefined;
  let report: ValidationReport;
  if (merged) {
    report = merged;
  } else {
    // Only the columns the checks read are fetched and decoded (none for a suite the schema decides).
    const validator = createValidator(suite, staged.schema, { now, projected: true });
    for await (const batch of staged.readRowGroups({ columns: [...validator.columns], typed: true }))
      validator.add(batch);
    report = validator.report();
  }

  const key = reportKey(file.tenant, file.dataset, file.fileId, 'validation');
  const saved = savedReport(file, report, stored ? suiteSource : 'inferred');
  await deps.store.putJson(key, saved);
  return judge(deps, state, saved, key, Boolean(stored), merged !== undefined);
}

/** The validation report as stored in reports/: the report, and which file and suite it is of. */
type SavedReport = ValidationReport & { fileId: string; source: string; suiteSource?: 'api' | 'inferred' };

function savedReport(
  file: { fileId: string; object: { key: string } },
  report: ValidationReport,
  suiteSource: 'api' | 'inferred' | undefined,
): SavedReport {
  return { fileId: file.fileId, source: file.object.key, ...(suiteSource && { suiteSource }), ...report };
}

/** Records the report's verdict on the file; a FAILED one fails the stage (quarantine). */
async function judge(
  deps: StageDeps,
  state: z.infer<typeof afterParseSchema>,
  report: ValidationReport,
  key: string,
  storedSuite: boolean,
  merged?: boolean,
): Promise<ValidateOutput> {
  const { file, parse } = state;
  const summary = {
    status: report.status,
    reportKey: key,
    errors: report.summary.errors,
    warnings: report.summary.warnings,
  };
  await deps.datasets.updateFile(file.tenant, file.fileId, { stage: 'validate', validation: summary });
  deps.logger.info('file validated', {
    fileId: file.fileId,
    ...summary,
    ...(parse.chunkCount !== undefined && { chunks: parse.chunkCount, merged }),
    ...(parse.validation !== undefined && { by: 'parse' }),
  });
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
    inferredSuite: !storedSuite,
  };
}

/** Keys a parse may hold in its uniqueness checks' sets (rows × checks; ~21 bytes each: ~0.5 GB). */
export const PARSE_VALIDATION_MAX_KEYS = 24_000_000;

export interface ValidationAlong {
  /** Feeds one batch as it is written. */
  add(batch: ReadBatch): void;
  /**
   * Once every batch was added: stores the report where the validate stage's goes and answers its key
   * (and whether the suite was inferred); undefined when the rows outgrew `maxKeys` (the validate
   * stage, with more memory, reads them).
   */
  save(): Promise<ParseOutput['validation']>;
}

/**
 * Parse stage: the validation of the rows as they are written, judged by the suite stored at this
 * instant (or the one inferred from the written schema), so that the validate stage need not read the
 * staged file again; undefined when the stored suite does not parse (the validate stage reports that).
 */
export function validationAlong(
  deps: Pick<StageDeps, 'store' | 'clock'>,
  file: { tenant: string; dataset: string; fileId: string; object: { key: string } },
  dataset: Pick<DatasetRecord, 'validationSuite' | 'suiteSource'> | undefined,
  schema: TableSchema,
  maxKeys = PARSE_VALIDATION_MAX_KEYS,
): ValidationAlong | undefined {
  const stored = dataset?.validationSuite;
  const parsed = stored ? validationSuiteSchema.safeParse(stored) : undefined;
  if (parsed && !parsed.success) return undefined;
  const suite = parsed?.data ?? suiteFromSchema(schema);
  const validator = createValidator(suite, schema, { now: deps.clock.now() });
  const keysPerRow = suite.checks.filter((c) => c.type === 'uniqueness').length;
  let rows = 0;
  let outgrown = false;
  return {
    add(batch) {
      if (outgrown) return;
      rows += batch.numRows;
      if (rows * keysPerRow > maxKeys) {
        outgrown = true;
        return;
      }
      validator.add(batch);
    },
    async save() {
      if (outgrown) return undefined;
      const key = reportKey(file.tenant, file.dataset, file.fileId, 'validation');
      const suiteSource = stored ? dataset?.suiteSource : 'inferred';
      await deps.store.putJson(key, savedReport(file, validator.report(), suiteSource));
      return { reportKey: key, inferredSuite: !stored };
    },
  };
}

/**
 * Split stage: fixes the suite and clock a file's chunks are validated by (module comment). Written
 * for every file big enough to be chunked, before its chunks are planned; a retried split writes a new
 * pin before any chunk of its own has run.
 */
export async function pinChunkValidation(
  deps: Pick<StageDeps, 'store' | 'clock'>,
  file: FileRef,
  dataset: Pick<DatasetRecord, 'validationSuite' | 'suiteSource'> | undefined,
): Promise<void> {
  const pin: SuitePin = {
    id: randomUUID(),
    suite: dataset?.validationSuite ?? null,
    ...(dataset?.suiteSource && { suiteSource: dataset.suiteSource }),
    now: deps.clock.now().toISOString(),
  };
  await deps.store.putJson(chunkSuiteKey(file.tenant, file.dataset, file.fileId), pin);
}

export interface ChunkValidation {
  add(batch: ReadBatch): void;
  /** Stores the state over the batches added, for the validate stage's merge. */
  save(): Promise<void>;
}

/**
 * Chunk function: a mergeable validator over the chunk's staged rows, by the pinned suite and clock;
 * undefined when nothing was pinned or the pinned suite does not parse (the validate stage then judges
 * the file in one pass, and reports the suite's error as the single path does).
 */
export async function chunkValidation(
  deps: Pick<StageDeps, 'store' | 'logger'>,
  file: FileRef,
  index: number,
  schema: TableSchema,
): Promise<ChunkValidation | undefined> {
  const pin = await readPin(deps, file);
  if (!pin) return undefined;
  const parsed = pin.suite === null ? undefined : validationSuiteSchema.safeParse(pin.suite);
  if (parsed && !parsed.success) {
    deps.logger.warn('chunk not validated: the pinned suite does not parse', { fileId: file.fileId });
    return undefined;
  }
  const validator = chunkValidator(parsed?.data, schema, new Date(pin.now));
  return {
    add: (batch) => validator.add(batch),
    async save() {
      const partial: PinnedPartial = { ...validator.partial(), suitePin: pin.id };
      const bytes = encodeValidationPartial(partial);
      await writeBlob(deps, chunkValidationKey(file.tenant, file.dataset, file.fileId, index), bytes);
    },
  };
}

/**
 * A chunk's mergeable validator: by the dataset's suite, or (undefined) by `chunkInferredSuite`;
 * `projected` when it reads the chunk's staged file for its checks alone (see ValidatorOptions).
 */
export function chunkValidator(
  suite: ValidationSuite | undefined,
  schema: TableSchema,
  now: Date,
  projected = false,
): Validator {
  return createValidator(suite ?? chunkInferredSuite(schema), schema, { now, mergeable: true, projected });
}

/**
 * The inferred suite a chunk runs: the whole file's columns are nullable where any chunk's is, which a
 * chunk cannot know, and the inferred suite checks completeness of the columns that are not. So a chunk
 * checks completeness of every column, and the merge keeps the checks of the file's suite
 * (`projectPartial`).
 */
export function chunkInferredSuite(schema: TableSchema): ValidationSuite {
  return suiteFromSchema({ columns: schema.columns.map((c) => ({ ...c, nullable: false })) });
}

/**
 * A chunk's state for the checks of `suite`, in its order, picked by name from a state of a suite that
 * holds them in the same order (the chunk's inferred superset, or the very suite); undefined when a check
 * has no state there.
 */
export function projectPartial(
  partial: ValidationPartial,
  suite: ValidationSuite,
): ValidationPartial | undefined {
  const checks: ValidationPartial['checks'] = [];
  let from = 0;
  for (const check of suite.checks) {
    const name = checkName(check);
    while (from < partial.checks.length && partial.checks[from]?.name !== name) from++;
    const found = partial.checks[from];
    if (!found) return undefined;
    checks.push(found);
    from++;
  }
  return { ...partial, checks };
}

/**
 * The report from the chunks' states, or undefined when they cannot give it (they are for other columns
 * than the file's): the caller then reads the chunk files in one pass.
 */
async function mergeChunks(
  deps: StageDeps,
  file: FileRef,
  pin: SuitePin,
  suite: ValidationSuite,
  parts: readonly ParquetFile[],
  staged: ParquetFile,
  now: Date,
): Promise<ValidationReport | undefined> {
  const indexes = parts.map((_, i) => i);
  const states = await mapLimit(indexes, READ_CONCURRENCY, (i) =>
    readPartial(deps, chunkValidationKey(file.tenant, file.dataset, file.fileId, i)),
  );
  const chunkSuite = pin.suite === null ? undefined : suite;
  const merged = await mergeChunkStates(suite, chunkSuite, parts, staged, now, states, pin.id);
  if (typeof merged === 'string') {
    deps.logger.warn('chunk validation states not merged: one pass over the chunks', {
      fileId: file.fileId,
      reason: merged,
    });
    return undefined;
  }
  if (merged.revalidated.length > 0) {
    deps.logger.info('chunks validated again: their states were missing or stale', {
      fileId: file.fileId,
      chunks: merged.revalidated.slice(0, 20),
      count: merged.revalidated.length,
    });
  }
  return merged.report;
}

/**
 * The file's report from its chunks' states (in chunk order) and its chunk files (`parts`, and `staged`
 * for them read as one, for the rows a uniqueness sample needs), or why the states cannot give it. A
 * chunk whose state is missing, was made under another split, or holds another row count than its file
 * (the merge rewrote it without the rows its dedup keys dropped) is validated again from its file, by
 * the suite the chunks ran (`chunkSuite`; undefined: inferred), and `revalidated` lists it.
 */
export async function mergeChunkStates(
  suite: ValidationSuite,
  chunkSuite: ValidationSuite | undefined,
  parts: readonly ParquetFile[],
  staged: ParquetFile,
  now: Date,
  states: readonly (PinnedPartial | undefined)[],
  pinId: string,
): Promise<{ report: ValidationReport; revalidated: number[] } | string> {
  const partials: ValidationPartial[] = [];
  const revalidated: number[] = [];
  for (const [i, part] of parts.entries()) {
    const state = states[i];
    let projected =
      state && state.suitePin === pinId && state.rowCount === part.numRows
        ? projectPartial(state, suite)
        : undefined;
    if (!projected) {
      const validator = chunkValidator(chunkSuite, part.schema, now, true);
      for await (const batch of part.readRowGroups({ columns: [...validator.columns], typed: true }))
        validator.add(batch);
      projected = projectPartial(validator.partial(), suite);
      revalidated.push(i);
    }
    if (!projected) return `chunk ${i}: its suite does not hold the file’s checks`;
    partials.push(projected);
  }

  let merge: ReturnType<typeof mergeValidation>;
  try {
    merge = mergeValidation(suite, staged.schema, { now }, partials);
  } catch (error) {
    if (isStrataError(error) && error.name === 'InvalidInputError') return error.message;
    throw error;
  }
  partials.length = 0;
  for (let asked = merge.pendingRows(); asked.length > 0; asked = merge.pendingRows()) {
    merge.supply(await readRows(staged, suite, asked));
  }
  return { report: merge.report(), revalidated };
}

/**
 * The cells of file rows (in the chunk files read as one) that a merge asked for, in schema order. Only
 * uniqueness checks ask for rows, and only for their key's cells: just the key columns are read, of just
 * the row groups holding the rows; the other cells are null.
 */
export async function readRows(
  staged: ParquetFile,
  suite: ValidationSuite,
  fileRows: readonly number[],
): Promise<Map<number, CellValue[]>> {
  const keyColumns = new Set(suite.checks.flatMap((c) => (c.type === 'uniqueness' ? c.columns : [])));
  const columns = staged.schema.columns.map((c) => c.name).filter((name) => keyColumns.has(name));
  const wanted = new Map<number, number[]>();
  let start = 0;
  const starts = staged.rowGroups.map((g) => {
    const at = start;
    start += g.numRows;
    return at;
  });
  for (const row of fileRows) {
    let group = starts.length - 1;
    while (group > 0 && (starts[group] as number) > row) group--;
    const rows = wanted.get(group) ?? [];
    rows.push(row);
    wanted.set(group, rows);
  }
  const out = new Map<number, CellValue[]>();
  for (const [group, rows] of wanted) {
    const first = starts[group] as number;
    for await (const batch of staged.readRowGroups({ rowGroups: [group], columns })) {
      for (const row of rows) {
        const at = row - first;
        out.set(
          row,
          staged.schema.columns.map((c) => {
            const i = columns.indexOf(c.name);
            return i < 0 ? null : (batch.columns[i]?.[at] ?? null);
          }),
        );
      }
    }
  }
  return out;
}

async function readPin(deps: Pick<StageDeps, 'store'>, file: FileRef): Promise<SuitePin | undefined> {
  const json = await deps.store.getJson(chunkSuiteKey(file.tenant, file.dataset, file.fileId));
  const parsed = suitePinSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

async function readPartial(deps: Pick<StageDeps, 'store'>, key: string): Promise<PinnedPartial | undefined> {
  const bytes = await readBlob(deps, key);
  return bytes && (decodeValidationPartial(bytes) as PinnedPartial);
}
