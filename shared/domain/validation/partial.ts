/**
 * Validation of a file cut into chunks: each chunk's validator (made with `mergeable: true`) hands out a
 * partial state, `mergeValidation` folds the chunks' states in file order and reports what one validator
 * over the whole file would have, field for field: counts, verdicts, observed values and samples (the
 * first `sampleLimit` violating values in file order). Two fields are equal up to rounding rather than
 * bit for bit: a distribution check's mean and std (pairwise combination of moments, relative error
 * ~1e-15), and its median past `MEDIAN_EXACT_LIMIT` values (a merged KLL sketch, within its rank error).
 *
 * Uniqueness is exact to the same 64-bit key hashes as one pass: chunks keep their keys' hashes, and the
 * merge replays them into one set (no partitioning by hash, no second pass over the data). The only data
 * the merge may still need is the cells of a few rows: a duplicated key's sample is the key's value at
 * its second occurrence in the file, which a chunk knows only when it saw both occurrences; for a key
 * whose occurrences are in different chunks the merge asks for that row (`pendingRows`, at most
 * `sampleLimit` rows a uniqueness check, usually none) and the caller reads it from the chunk's data.
 *
 * States are large when keys are many (12 bytes a distinct key, 12 more a key repeated in its chunk):
 * `encodeValidationPartial` gives bytes for the caller to store as a blob, not to pass inline.
 */
import { InvalidInputError } from '../../errors.js';
import type { SerializedKll } from '../profile/quantiles.js';
import type { CellValue, ColumnType, TableSchema } from '../table.js';
import { evaluatorFor } from './checks.js';
import { decodeState, encodeState } from './state-codec.js';
import { checkName, type ValidationSuite } from './suite.js';
import { DEFAULT_SAMPLE_LIMIT, reportOf, type ValidationReport, type ValidatorOptions } from './validator.js';

/** A duplicated key's sampled value and the chunk row of its first repeat. */
export interface KeyedSample {
  row: number;
  value: CellValue;
}

export type MedianPartial = { values: Float64Array } | { sketch: SerializedKll };

/** One check's state over a chunk. Samples are the chunk's first distinct violating values, in order. */
export type CheckPartial =
  | { kind: 'none' }
  | { kind: 'nulls'; nulls: number }
  | {
      kind: 'unique';
      /** (hash high, hash low, chunk row) of each distinct key, in first-occurrence order. */
      keys: Uint32Array;
      /** (hash high, hash low, chunk row) of each key's first repeat inside the chunk, in row order. */
      repeats: Uint32Array;
      samples: KeyedSample[];
      nullKeys: number;
      keyedRows: number;
    }
  | { kind: 'range'; failed: number; judged: number; min: number; max: number; samples: CellValue[] }
  | { kind: 'values'; failed: number; judged: number; samples: CellValue[] }
  | { kind: 'fresh'; newest: number; count: number; stale: number; samples: CellValue[] }
  | { kind: 'moments'; n: number; mean: number; m2: number; nonFinite: number; median?: MedianPartial };

export const VALIDATION_PARTIAL_FORMAT = 'strata.validation-partial/1';

export interface ValidationPartial {
  format: typeof VALIDATION_PARTIAL_FORMAT;
  /** Rows of the chunk; a chunk's first row in the file is the sum of the earlier chunks' counts. */
  rowCount: number;
  sampleLimit: number;
  /** The chunk's schema: every chunk of a file must have the same one. */
  columns: { name: string; type: ColumnType }[];
  /** One state per suite check, in the suite's order. */
  checks: { name: string; state: CheckPartial }[];
}

export function encodeValidationPartial(partial: ValidationPartial): Uint8Array {
  return encodeState(partial);
}

export function decodeValidationPartial(bytes: Uint8Array): ValidationPartial {
  const state = decodeState(bytes) as Partial<ValidationPartial> | null;
  if (state?.format !== VALIDATION_PARTIAL_FORMAT || !Array.isArray(state.checks)) {
    throw new InvalidInputError(`not a ${VALIDATION_PARTIAL_FORMAT} state`);
  }
  return state as ValidationPartial;
}

/**
 * Where a file row (as `pendingRows` names it) is: the chunk (index into the states, in file order) and
 * the row within that chunk's data.
 */
export function chunkRowOf(
  partials: readonly Pick<ValidationPartial, 'rowCount'>[],
  fileRow: number,
): { chunk: number; row: number } {
  let offset = 0;
  for (const [chunk, partial] of partials.entries()) {
    if (fileRow < offset + partial.rowCount) return { chunk, row: fileRow - offset };
    offset += partial.rowCount;
  }
  throw new RangeError(`row ${fileRow} is past the file's ${offset} rows`);
}

export interface ValidationMerge {
  /**
   * File rows (0-based, ascending) whose cells the report still needs; empty when none. Supply them and
   * ask again: a supplied value equal to an earlier sample can make a further row needed.
   */
  pendingRows(): number[];
  /** The cells of rows asked for, in schema order, keyed by file row. */
  supply(rows: ReadonlyMap<number, readonly CellValue[]>): void;
  /** The file's report; throws while rows are pending. */
  report(): ValidationReport;
}

/**
 * Folds chunk states (in file order) into the report of one validator over the whole file. `options`
 * are the single pass's: the same clock and sample limit the chunks were made with.
 */
export function mergeValidation(
  suite: ValidationSuite,
  schema: TableSchema,
  options: ValidatorOptions,
  partials: readonly ValidationPartial[],
): ValidationMerge {
  const sampleLimit = options.sampleLimit ?? DEFAULT_SAMPLE_LIMIT;
  // The merge's evaluators absorb the chunks' states and read no batch: positions are the schema's.
  const context = {
    schema,
    position: (name: string) => schema.columns.findIndex((c) => c.name === name),
    projected: false,
    now: options.now,
    sampleLimit,
    mergeable: false,
  };
  const runs = suite.checks.map((check) => ({
    check,
    name: checkName(check),
    evaluator: evaluatorFor(check, context),
  }));
  let rowCount = 0;
  for (const [i, partial] of partials.entries()) {
    if (partial.format !== VALIDATION_PARTIAL_FORMAT) {
      throw new InvalidInputError(`chunk ${i}: not a ${VALIDATION_PARTIAL_FORMAT} state`);
    }
    if (partial.sampleLimit !== sampleLimit) {
      throw new InvalidInputError(`chunk ${i} kept ${partial.sampleLimit} samples, the merge ${sampleLimit}`);
    }
    const sameSchema =
      partial.columns.length === schema.columns.length &&
      partial.columns.every(
        (c, j) => c.name === schema.columns[j]?.name && c.type === schema.columns[j]?.type,
      );
    if (!sameSchema) throw new InvalidInputError(`chunk ${i} has another schema than the file`);
    if (partial.checks.length !== runs.length || partial.checks.some((c, j) => c.name !== runs[j]?.name)) {
      throw new InvalidInputError(`chunk ${i} was validated with another suite`);
    }
    for (const [j, run] of runs.entries()) {
      const state = partial.checks[j]?.state ?? { kind: 'none' };
      run.evaluator.absorb(state, rowCount);
    }
    rowCount += partial.rowCount;
  }
  return {
    pendingRows() {
      const rows = new Set<number>();
      for (const run of runs) for (const row of run.evaluator.pendingRows?.() ?? []) rows.add(row);
      return [...rows].sort((a, b) => a - b);
    },
    supply(rows) {
      for (const run of runs) run.evaluator.supply?.(rows);
    },
    report: () => reportOf(runs, rowCount),
  };
}
