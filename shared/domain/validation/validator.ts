/**
 * Runs a validation suite over a file, one batch at a time, and writes the report the validate stage
 * stores in reports/ (and summarises on the file record). Memory is bounded by the number of checks
 * (counters and at most `sampleLimit` samples each), except for uniqueness checks, which keep one 64-bit
 * hash per distinct key (~13-26 bytes a key, see key-set.ts).
 */
import { InternalError } from '../../errors.js';
import type { CellValue, ReadBatch, TableSchema } from '../table.js';
import { columnsRead, type Evaluator, evaluatorFor, type Observed } from './checks.js';
import { VALIDATION_PARTIAL_FORMAT, type ValidationPartial } from './partial.js';
import { type Check, type CheckType, checkName, type Severity, type ValidationSuite } from './suite.js';

export type { Observed, ObservedValue } from './checks.js';

/** FAILED: an ERROR check failed (quarantine). WARNING: only WARNING checks failed. INFO never counts. */
export type ValidationStatus = 'PASSED' | 'WARNING' | 'FAILED';

export interface CheckResult {
  name: string;
  type: CheckType;
  severity: Severity;
  /** The column of a single-column check (a one-column uniqueness key included). */
  column?: string;
  passed: boolean;
  /**
   * Rows that break the check's row-level rule (null, out of range, repeated key, stale, ...); a check
   * with a tolerance (completeness, freshness) can pass with failed rows. For a check decided from the
   * schema that fails, every row; for a distribution check, always 0.
   */
  failedRows: number;
  /** failedRows / rowCount, 0 for an empty file. */
  failedFraction: number;
  /**
   * At most `sampleLimit` distinct violating values (NaN and Infinity as strings, long strings cut),
   * a composite key as a JSON array; for schema and required-columns checks, descriptions of what differs.
   */
  samples: CellValue[];
  /** What the check measured: nullFraction, min/max, mean/std, maxTimestamp/ageSeconds, key counts... */
  observed?: Observed;
  message: string;
}

export interface ValidationSummary {
  /** Failed ERROR checks. */
  errors: number;
  /** Failed WARNING checks. */
  warnings: number;
  /** Failed INFO checks. */
  infos: number;
  passed: number;
  failed: number;
}

export interface ValidationReport {
  status: ValidationStatus;
  rowCount: number;
  checks: CheckResult[];
  summary: ValidationSummary;
}

export interface ValidatorOptions {
  /** The instant freshness is judged at (the clock is a dependency, not read here). */
  now: Date;
  /** Distinct violating values kept per check. Default 5. */
  sampleLimit?: number;
  /**
   * The validator runs over one chunk of a file and `partial()` hands its state to `mergeValidation`
   * (partial.ts). Costs uniqueness checks 12 bytes a distinct key more. Default false.
   */
  mergeable?: boolean;
  /**
   * The batches hold only `columns` (in that order), read from a staged Parquet file, whose non-nullable
   * columns hold no null: a suite that reads few columns of a wide file reads only those, and one that
   * reads none (a suite inferred from a schema without nullable columns) reads no cells at all.
   * Default false: every batch holds the whole schema.
   */
  projected?: boolean;
}

export interface Validator {
  /**
   * The columns each batch must hold, in order: the schema's, or when `projected`, those the checks read
   * (in schema order).
   */
  readonly columns: readonly string[];
  /** Feeds one batch of `columns`. */
  add(batch: ReadBatch): void;
  /** The report over every batch added so far; may be called more than once. */
  report(): ValidationReport;
  /** The state over every batch added so far, for `mergeValidation`; only when made `mergeable`. */
  partial(): ValidationPartial;
}

export const DEFAULT_SAMPLE_LIMIT = 5;

export function createValidator(
  suite: ValidationSuite,
  schema: TableSchema,
  options: ValidatorOptions,
): Validator {
  const sampleLimit = options.sampleLimit ?? DEFAULT_SAMPLE_LIMIT;
  if (!Number.isInteger(sampleLimit) || sampleLimit < 0) {
    throw new RangeError(`sampleLimit must be a non-negative integer, got ${sampleLimit}`);
  }
  const mergeable = options.mergeable ?? false;
  const projected = options.projected ?? false;
  const read = new Set(suite.checks.flatMap((check) => columnsRead(check, schema, projected)));
  const columns = projected
    ? schema.columns.filter((c) => read.has(c.name)).map((c) => c.name)
    : schema.columns.map((c) => c.name);
  const positions = new Map(columns.map((name, i) => [name, i]));
  const batchSchema: TableSchema = projected
    ? { columns: schema.columns.filter((c) => read.has(c.name)) }
    : schema;
  const context = {
    schema,
    position: (name: string) => positions.get(name) ?? -1,
    projected,
    now: options.now,
    sampleLimit,
    mergeable,
  };
  const runs: { check: Check; name: string; evaluator: Evaluator }[] = suite.checks.map((check) => ({
    check,
    name: checkName(check),
    evaluator: evaluatorFor(check, context),
  }));
  let rowCount = 0;

  return {
    columns,
    add(batch) {
      assertShape(batch, batchSchema);
      rowCount += batch.numRows;
      for (const run of runs) run.evaluator.add(batch);
    },

    report: () => reportOf(runs, rowCount),

    partial() {
      if (!mergeable) throw new InternalError('validator: partial() needs a validator made mergeable');
      return {
        format: VALIDATION_PARTIAL_FORMAT,
        rowCount,
        sampleLimit,
        columns: schema.columns.map((c) => ({ name: c.name, type: c.type })),
        checks: runs.map(({ name, evaluator }) => ({ name, state: evaluator.partial() })),
      };
    },
  };
}

/** The report from the checks' evaluators after `rowCount` rows (one pass's, or a merge's). */
export function reportOf(
  runs: readonly { check: Check; name: string; evaluator: Evaluator }[],
  rowCount: number,
): ValidationReport {
  const checks = runs.map(({ check, name, evaluator }): CheckResult => {
    const outcome = evaluator.finish(rowCount);
    const column = columnOf(check);
    return {
      name,
      type: check.type,
      severity: check.severity,
      ...(column === undefined ? {} : { column }),
      passed: outcome.passed,
      failedRows: outcome.failedRows,
      failedFraction: rowCount > 0 ? outcome.failedRows / rowCount : 0,
      samples: outcome.samples,
      ...(outcome.observed ? { observed: outcome.observed } : {}),
      message: outcome.message,
    };
  });
  const summary = summarize(checks);
  const status: ValidationStatus =
    summary.errors > 0 ? 'FAILED' : summary.warnings > 0 ? 'WARNING' : 'PASSED';
  return { status, rowCount, checks, summary };
}

function columnOf(check: Check): string | undefined {
  switch (check.type) {
    case 'schema':
    case 'required_columns':
    case 'row_count':
      return undefined;
    case 'uniqueness':
      return check.columns.length === 1 ? check.columns[0] : undefined;
    default:
      return check.column;
  }
}

function summarize(checks: readonly CheckResult[]): ValidationSummary {
  const summary: ValidationSummary = { errors: 0, warnings: 0, infos: 0, passed: 0, failed: 0 };
  for (const result of checks) {
    if (result.passed) {
      summary.passed++;
      continue;
    }
    summary.failed++;
    if (result.severity === 'ERROR') summary.errors++;
    else if (result.severity === 'WARNING') summary.warnings++;
    else summary.infos++;
  }
  return summary;
}

/**
 * Column indexes were resolved against `schema` once; a batch of another shape would be read at the wrong
 * positions and produce a wrong report rather than an error, so it is refused (a caller bug).
 */
function assertShape(batch: ReadBatch, schema: TableSchema): void {
  const columns = schema.columns;
  let same = batch.columns.length === columns.length;
  if (same && batch.schema !== schema) {
    same =
      batch.schema.columns.length === columns.length &&
      batch.schema.columns.every((c, i) => c.name === columns[i]?.name && c.type === columns[i]?.type);
  }
  if (same) same = batch.columns.every((cells) => cells.length === batch.numRows);
  if (!same)
    throw new InternalError('validator: batch does not match the schema the validator was created with');
}
