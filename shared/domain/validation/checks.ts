/**
 * One evaluator per check: it sees every batch once (column-major, one tight loop over its column) and
 * keeps only counters, a few samples and, for uniqueness, the key hashes. Every accumulation is sequential
 * over rows, so the outcome does not depend on how the file was cut into batches.
 *
 * Checks that can be decided from the schema (schema, required columns, a column that does not exist, a
 * check that does not fit the column's type) are decided when the evaluator is built; they never throw,
 * since a suite written for an earlier shape of the data is exactly what validation must report on.
 */

import { InternalError, InvalidInputError } from '../../errors.js';
import { FixedHashSet } from '../hash-set.js';
import { KllSketch } from '../profile/quantiles.js';
import type { CellValue, ColumnCells, ColumnSchema, ColumnType, ReadBatch, TableSchema } from '../table.js';
import {
  examples,
  interval,
  isoOf,
  listOf,
  percent,
  quote,
  rowsPhrase,
  Samples,
  sampleOf,
  showStat,
  showValue,
} from './format.js';
import { FIRST_REPEAT, KeyHasher, KeySet, NEW_KEY } from './key-set.js';
import type { CheckPartial, KeyedSample, MedianPartial } from './partial.js';
import type {
  AllowedValuesCheck,
  Check,
  ColumnTypeCheck,
  CompletenessCheck,
  DistributionCheck,
  FreshnessCheck,
  PatternCheck,
  RangeCheck,
  RequiredColumnsCheck,
  RowCountCheck,
  SchemaCheck,
  UniquenessCheck,
} from './suite.js';
import { boundValue } from './suite.js';

export type ObservedValue = number | string | boolean | null | string[];
export type Observed = Record<string, ObservedValue>;

/** What an evaluator concludes; the validator adds the check's identity and the fraction. */
export interface Outcome {
  passed: boolean;
  failedRows: number;
  samples: CellValue[];
  observed?: Observed;
  message: string;
}

export interface Evaluator {
  add(batch: ReadBatch): void;
  finish(rowCount: number): Outcome;
  /** The state over the rows added so far, for a merge with other chunks' (see partial.ts). */
  partial(): CheckPartial;
  /** Folds in a chunk's state; chunks come in file order, `rowOffset` is the chunk's first row. */
  absorb(partial: CheckPartial, rowOffset: number): void;
  /** File rows whose cells the merged outcome still needs (uniqueness samples); none by default. */
  pendingRows?(): number[];
  /** Those rows' cells, in schema order, keyed by file row. */
  supply?(rows: ReadonlyMap<number, readonly CellValue[]>): void;
}

export interface EvaluatorContext {
  schema: TableSchema;
  /**
   * Where a column's cells are in the batches the validator is given: the schema's position, or, when
   * the batches hold only the columns the checks read (`projected`), its position among those.
   */
  position: (name: string) => number;
  /**
   * The batches hold only the columns the checks read, from a file whose non-nullable columns hold no
   * null (a staged Parquet file: its writer refuses one), so a completeness check of such a column reads
   * nothing.
   */
  projected: boolean;
  now: Date;
  sampleLimit: number;
  /**
   * Keep what a merge across chunks needs beyond the report's own state: for uniqueness, each key's first
   * row and the rows of first repeats (12 bytes a distinct key more). Off for a whole file.
   */
  mergeable: boolean;
}

const NUMERIC: readonly ColumnType[] = ['int', 'float', 'timestamp'];

/**
 * The columns whose cells `check` reads (the rest it decides from the schema): what a projected validator
 * asks the file for. A completeness check of a non-nullable column reads none when `projected`.
 */
export function columnsRead(check: Check, schema: TableSchema, projected: boolean): string[] {
  const exists = (name: string) => schema.columns.some((c) => c.name === name);
  switch (check.type) {
    case 'schema':
    case 'required_columns':
    case 'row_count':
    case 'column_type':
      return [];
    case 'completeness': {
      const column = schema.columns.find((c) => c.name === check.column);
      return column && (column.nullable || !projected) ? [column.name] : [];
    }
    case 'uniqueness':
      return check.columns.every(exists) ? [...check.columns] : [];
    case 'range':
    case 'allowed_values':
    case 'freshness':
    case 'distribution':
    case 'pattern':
      return exists(check.column) ? [check.column] : [];
  }
}

export function evaluatorFor(check: Check, ctx: EvaluatorContext): Evaluator {
  switch (check.type) {
    case 'schema':
      return schemaEvaluator(check, ctx);
    case 'required_columns':
      return requiredColumnsEvaluator(check, ctx);
    case 'completeness':
      return withColumn(check.column, ctx, (c) =>
        completenessEvaluator(check, c, ctx.projected && !c.column.nullable),
      );
    case 'uniqueness':
      return uniquenessEvaluator(check, ctx);
    case 'range':
      return withColumn(check.column, ctx, (c) => rangeEvaluator(check, c, ctx));
    case 'allowed_values':
      return withColumn(check.column, ctx, (c) => allowedValuesEvaluator(check, c, ctx));
    case 'freshness':
      return withColumn(check.column, ctx, (c) => freshnessEvaluator(check, c, ctx));
    case 'distribution':
      return withColumn(check.column, ctx, (c) => distributionEvaluator(check, c));
    case 'row_count':
      return rowCountEvaluator(check);
    case 'pattern':
      return withColumn(check.column, ctx, (c) => patternEvaluator(check, c, ctx));
    case 'column_type':
      return withColumn(check.column, ctx, (c) => columnTypeEvaluator(check, c));
  }
}

/**
 * A row-level check's verdict: no failed value, or with `mostly` below 1, at least that fraction of the
 * judged (non-null) values passing. No judged value passes, as in Great Expectations.
 */
function withinMostly(failed: number, judged: number, mostly: number | undefined): boolean {
  if (mostly === undefined || mostly >= 1) return failed === 0;
  return judged === 0 || (judged - failed) / judged >= mostly;
}

/** `; at least 95% of 200 non-null values must pass` when a check has a tolerance, else nothing. */
function mostlyPhrase(mostly: number | undefined, judged: number): string {
  if (mostly === undefined || mostly >= 1) return '';
  return `; at least ${percent(mostly)} of ${judged} non-null values must pass`;
}

function partialOf<K extends CheckPartial['kind']>(
  partial: CheckPartial,
  kind: K,
): Extract<CheckPartial, { kind: K }> {
  if (partial.kind !== kind) {
    throw new InvalidInputError(`a ${partial.kind} partial state cannot merge into a ${kind} check`);
  }
  return partial as Extract<CheckPartial, { kind: K }>;
}

/**
 * Folds a chunk's samples (already `sampleOf` forms, in the chunk's order) into the file's. Each chunk
 * kept its first `limit` distinct violating values, and a value among the file's first `limit` distinct
 * ones is among the first `limit` of the chunk where it first occurs, so the concatenation in chunk order,
 * deduplicated, starts with exactly the file's samples.
 */
function absorbSamples(samples: Samples, values: readonly CellValue[], limit: number): void {
  for (const v of values) {
    if (samples.values.length >= limit) return;
    if (!samples.values.includes(v)) samples.values.push(v);
  }
}

const NONE: CheckPartial = { kind: 'none' };

interface ResolvedColumn {
  index: number;
  column: ColumnSchema;
}

/** An outcome known before any row: every row shares the file's shape, so a failure covers them all. */
function decided(
  passed: boolean,
  message: string,
  samples: CellValue[] = [],
  observed?: Observed,
): Evaluator {
  return {
    add() {},
    partial: () => NONE,
    absorb: (partial) => void partialOf(partial, 'none'),
    finish: (rowCount) => ({
      passed,
      failedRows: passed ? 0 : rowCount,
      samples,
      ...(observed ? { observed } : {}),
      message,
    }),
  };
}

function withColumn(
  name: string,
  ctx: EvaluatorContext,
  build: (column: ResolvedColumn) => Evaluator,
): Evaluator {
  const column = ctx.schema.columns.find((c) => c.name === name);
  if (!column) return decided(false, `column ${quote(name)} does not exist in the file`);
  return build({ index: ctx.position(name), column });
}

function columnOf(batch: ReadBatch, index: number): ColumnCells {
  // The validator checked the batch's shape against the schema; this only satisfies the type checker.
  return batch.columns[index] ?? [];
}

function typeMismatch(check: Check, column: ColumnSchema, expected: string): Evaluator {
  return decided(
    false,
    `column ${quote(column.name)} is ${column.type}, but a ${check.type} check needs ${expected} column`,
  );
}

function schemaEvaluator(check: SchemaCheck, ctx: EvaluatorContext): Evaluator {
  const actual = new Map(ctx.schema.columns.map((c) => [c.name, c]));
  const expectedNames = new Set(check.columns.map((c) => c.name));
  const missing: string[] = [];
  const changed: string[] = [];
  const nullable: string[] = [];
  const problems: string[] = [];
  for (const expected of check.columns) {
    const found = actual.get(expected.name);
    if (!found) {
      missing.push(expected.name);
      problems.push(`missing column ${quote(expected.name)} (${expected.type})`);
    } else if (found.type !== expected.type && !(expected.type === 'float' && found.type === 'int')) {
      // An int column is a valid float column: inference reads "2.0" in a text format as an int.
      changed.push(expected.name);
      problems.push(`column ${quote(expected.name)} is ${found.type}, expected ${expected.type}`);
    } else if (expected.nullable === false && found.nullable) {
      nullable.push(expected.name);
      problems.push(`column ${quote(expected.name)} is nullable, expected not nullable`);
    }
  }
  const extra = check.allowExtraColumns
    ? []
    : ctx.schema.columns.filter((c) => !expectedNames.has(c.name)).map((c) => c.name);
  for (const name of extra) problems.push(`unexpected column ${quote(name)} (${actual.get(name)?.type})`);

  const observed: Observed = {
    missingColumns: missing,
    changedColumns: changed,
    nullableColumns: nullable,
    extraColumns: extra,
  };
  if (problems.length === 0) {
    const others = check.allowExtraColumns ? '' : ', and no other columns';
    return decided(
      true,
      `all ${check.columns.length} expected columns present with their types${others}`,
      [],
      observed,
    );
  }
  return decided(
    false,
    `schema differs: ${listOf(problems, ctx.sampleLimit)}`,
    problems.slice(0, ctx.sampleLimit),
    observed,
  );
}

function requiredColumnsEvaluator(check: RequiredColumnsCheck, ctx: EvaluatorContext): Evaluator {
  const present = new Set(ctx.schema.columns.map((c) => c.name));
  const missing = check.columns.filter((name) => !present.has(name));
  const observed: Observed = { missingColumns: missing };
  if (missing.length === 0) {
    return decided(true, `all ${check.columns.length} required columns present`, [], observed);
  }
  return decided(
    false,
    `missing ${missing.length} of ${check.columns.length} required columns: ` +
      listOf(missing.map(quote), ctx.sampleLimit),
    missing.slice(0, ctx.sampleLimit),
    observed,
  );
}

function completenessEvaluator(
  check: CompletenessCheck,
  { index, column }: ResolvedColumn,
  noNulls: boolean,
): Evaluator {
  let nulls = 0;
  return {
    add(batch) {
      if (noNulls) return;
      const cells = columnOf(batch, index);
      for (let r = 0; r < batch.numRows; r++) if (cells[r] === null) nulls++;
    },
    partial: () => ({ kind: 'nulls', nulls }),
    absorb(partial) {
      nulls += partialOf(partial, 'nulls').nulls;
    },
    finish(rowCount) {
      const nullFraction = rowCount > 0 ? nulls / rowCount : 0;
      const passed = nullFraction <= check.maxNullFraction;
      const verdict = passed ? 'within' : 'above';
      return {
        passed,
        failedRows: nulls,
        samples: [],
        observed: { nullCount: nulls, nullFraction },
        message:
          `column ${quote(column.name)}: ${rowsPhrase(nulls, rowCount)} null, ` +
          `${verdict} the limit of ${percent(check.maxNullFraction)}`,
      };
    },
  };
}

/**
 * Rows whose key repeats an earlier row's key are the failed rows (removing them makes the key unique);
 * rows with a null in the key are not compared. Memory: see key-set.ts.
 *
 * Across chunks (`ctx.mergeable`), a chunk also keeps, per distinct key in first-occurrence order, its hash
 * and first row, and per key repeated inside the chunk its hash and second row: the merge replays those
 * into one key set in chunk order, which gives the file's counts exactly (to the same 64-bit hashes), and
 * each duplicated key's second occurrence in the file, which orders the samples. A sample's value is known
 * when a chunk sampled that very row; otherwise the merge asks for the row (`pendingRows`), since keeping
 * every key's value would cost more than the file's own column.
 *
 * Keys in ascending order (an id column, the common case) are distinct by their order alone: while every
 * key of a one-column check is greater than the one before, the keys' hashes are only appended to a list
 * (sequential writes) instead of being inserted in the set (a random memory access a key, most of the
 * check's time on a million keys). The first key out of order puts the list into a set made big enough
 * for it, and from then on every key goes through the set. The outcome is the same, except that ascending
 * keys are known to be distinct even if two of their 64-bit hashes collided (odds ~n²/2⁶⁵).
 */
function uniquenessEvaluator(check: UniquenessCheck, ctx: EvaluatorContext): Evaluator {
  const indexes: number[] = [];
  const missing: string[] = [];
  for (const name of check.columns) {
    if (!ctx.schema.columns.some((c) => c.name === name)) missing.push(name);
    indexes.push(ctx.position(name));
  }
  const single = check.columns.length === 1;
  if (missing.length > 0) {
    const what = missing.length === 1 ? 'column' : 'columns';
    return decided(false, `key ${what} ${missing.map(quote).join(', ')} not in the file`);
  }
  const keyType = single ? ctx.schema.columns.find((c) => c.name === check.columns[0])?.type : undefined;
  const hasher = new KeyHasher();
  let keys = new KeySet();
  const samples = new Samples(ctx.sampleLimit);
  let repeats = 0;
  let duplicatedKeys = 0;
  let nullKeys = 0;
  let keyedRows = 0;
  let distinct = 0;
  // Chunk side (mergeable): rows seen, keys in first-occurrence order, first repeats, sampled rows.
  let rowsSeen = 0;
  const firsts = ctx.mergeable ? new WordList() : null;
  const seconds = ctx.mergeable ? new WordList() : null;
  const sampled: KeyedSample[] = [];
  // Ascending keys so far (see above): their hashes (with their rows: `firsts` when mergeable).
  let ascending = single && keyType !== undefined && keyType !== 'bool';
  let last: number | string = keyType === 'string' ? '' : Number.NEGATIVE_INFINITY;
  const ascendingHashes = ascending ? (firsts ?? new WordList()) : null;
  const stride = firsts ? 3 : 2;
  /** The ascending keys' hashes into a set sized for them; from here on every key goes through it. */
  const leaveAscending = (): void => {
    ascending = false;
    const words = ascendingHashes?.view() ?? new Uint32Array(0);
    keys = new KeySet(words.length / stride);
    for (let i = 0; i < words.length; i += stride) {
      const seen = keys.insert(words[i] ?? 0, words[i + 1] ?? 0);
      // Only two ascending keys whose hashes collide: counted as the set would have, without a sample.
      if (seen === NEW_KEY) continue;
      repeats++;
      if (seen === FIRST_REPEAT) duplicatedKeys++;
    }
  };
  // Merge side: every chunk's keys, the file rows of duplicated keys' second occurrences (ascending), and
  // the values known for some of those rows.
  let merged: FixedHashSet | null = null;
  const candidates: number[] = [];
  const known = new Map<number, CellValue>();
  const keyOf = (row: readonly CellValue[]): CellValue =>
    sampleOf(single ? (row[indexes[0] ?? 0] ?? null) : JSON.stringify(indexes.map((i) => row[i] ?? null)));

  /** Walks the candidates in file order as the single pass would sample them; calls `missing` per gap. */
  const walk = (missingRow: (row: number) => void): CellValue[] => {
    const out: CellValue[] = [];
    let pending = 0;
    for (const row of candidates) {
      if (out.length + pending >= ctx.sampleLimit) break;
      const v = known.get(row);
      if (v === undefined) {
        pending++;
        missingRow(row);
      } else if (!out.includes(v)) {
        out.push(v);
      }
    }
    return out;
  };

  return {
    add(batch) {
      const cols = indexes.map((i) => columnOf(batch, i));
      let start = 0;
      if (ascending && ascendingHashes) {
        const cells = cols[0] ?? [];
        const n = batch.numRows;
        for (; start < n; start++) {
          const v = cells[start];
          if (v === null || v === undefined) {
            nullKeys++;
            continue;
          }
          // NaN, an equal key or a smaller one ends the ascending run (NaN compares false).
          if (!((v as number | string) > last)) break;
          last = v as number | string;
          hasher.reset();
          hasher.cell(v);
          hasher.finish();
          keyedRows++;
          if (stride === 3) ascendingHashes.push3(hasher.h1, hasher.h2, rowsSeen + start);
          else ascendingHashes.push2(hasher.h1, hasher.h2);
        }
        if (start < n) leaveAscending();
      }
      rows: for (let r = start; r < batch.numRows; r++) {
        hasher.reset();
        for (const cells of cols) {
          const v = cells[r];
          if (v === null || v === undefined) {
            nullKeys++;
            continue rows;
          }
          hasher.cell(v);
        }
        hasher.finish();
        keyedRows++;
        const seen = keys.insert(hasher.h1, hasher.h2);
        if (seen === NEW_KEY) {
          firsts?.push3(hasher.h1, hasher.h2, rowsSeen + r);
          continue;
        }
        repeats++;
        if (seen !== FIRST_REPEAT) continue;
        duplicatedKeys++;
        seconds?.push3(hasher.h1, hasher.h2, rowsSeen + r);
        // Sampled on a key's first repeat only, so each duplicated key is offered once, not per repeat.
        if (samples.values.length < ctx.sampleLimit) {
          const raw = single ? (cols[0]?.[r] ?? null) : JSON.stringify(cols.map((c) => c[r] ?? null));
          samples.offer(raw);
          if (firsts) sampled.push({ row: rowsSeen + r, value: sampleOf(raw) });
        }
      }
      rowsSeen += batch.numRows;
      distinct = ascending ? (ascendingHashes?.length ?? 0) / stride : keys.size;
    },
    partial() {
      if (!firsts || !seconds) {
        throw new InternalError('a uniqueness check keeps its partial state only when made mergeable');
      }
      return {
        kind: 'unique',
        keys: firsts.words(),
        repeats: seconds.words(),
        samples: [...sampled],
        nullKeys,
        keyedRows,
      };
    },
    absorb(partial, rowOffset) {
      const p = partialOf(partial, 'unique');
      if (p.keys.length % 3 !== 0 || p.repeats.length % 3 !== 0) {
        throw new InvalidInputError('a uniqueness partial state holds whole (hash, row) triples');
      }
      merged ??= new FixedHashSet(2, p.keys.length / 3);
      nullKeys += p.nullKeys;
      keyedRows += p.keyedRows;
      // Keys new to the file whose second occurrence is here: a key seen in an earlier chunk repeats at
      // its first row in this one; a key new to the file repeats at its second row in this chunk.
      const later: number[] = [];
      for (let i = 0; i < p.keys.length; i += 3) {
        if (merged.addCounted(p.keys[i] ?? 0, p.keys[i + 1] ?? 0) !== FIRST_REPEAT) continue;
        duplicatedKeys++;
        later.push(rowOffset + (p.keys[i + 2] ?? 0));
      }
      const within: number[] = [];
      for (let i = 0; i < p.repeats.length; i += 3) {
        if (merged.addCounted(p.repeats[i] ?? 0, p.repeats[i + 1] ?? 0) !== FIRST_REPEAT) continue;
        duplicatedKeys++;
        within.push(rowOffset + (p.repeats[i + 2] ?? 0));
      }
      // Both lists ascend (first-occurrence order, repeat order): merged, they stay in file order.
      let a = 0;
      let b = 0;
      while (a < later.length || b < within.length) {
        const x = later[a] ?? Number.POSITIVE_INFINITY;
        const y = within[b] ?? Number.POSITIVE_INFINITY;
        if (x < y) {
          candidates.push(x);
          a++;
        } else {
          candidates.push(y);
          b++;
        }
      }
      for (const { row, value } of p.samples) known.set(rowOffset + row, value);
      distinct = merged.size;
      repeats = keyedRows - distinct;
    },
    pendingRows() {
      const rows: number[] = [];
      walk((row) => rows.push(row));
      return rows;
    },
    supply(rows) {
      for (const [row, cells] of rows) if (!known.has(row)) known.set(row, keyOf(cells));
    },
    finish(rowCount) {
      let values = samples.values;
      if (merged !== null) {
        values = walk((row) => {
          throw new InternalError(`uniqueness samples need file row ${row}, which was not supplied`);
        });
      }
      const subject = single
        ? `column ${quote(check.columns[0] ?? '')}`
        : `columns (${check.columns.map(quote).join(', ')})`;
      const show = single ? (v: CellValue) => showValue(v, keyType) : String;
      // Every row of a duplicated key (its first one included) is unexpected to `mostly`.
      const sharing = repeats + duplicatedKeys;
      return {
        passed: withinMostly(sharing, keyedRows, check.mostly),
        failedRows: repeats,
        samples: values,
        observed: { distinctKeys: distinct, duplicatedKeys, rowsWithNullKey: nullKeys },
        message:
          `${subject}: ${rowsPhrase(repeats, rowCount)} repeat an earlier ${single ? 'value' : 'key'}` +
          examples(values, show) +
          mostlyPhrase(check.mostly, keyedRows),
      };
    },
  };
}

/** A growable list of 32-bit words, appended two (hash high, hash low) or three (and a row) at a time. */
class WordList {
  #words = new Uint32Array(48);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push2(a: number, b: number): void {
    if (this.#length + 2 > this.#words.length) this.#grow();
    this.#words[this.#length++] = a;
    this.#words[this.#length++] = b;
  }

  push3(a: number, b: number, c: number): void {
    if (this.#length + 3 > this.#words.length) this.#grow();
    this.#words[this.#length++] = a;
    this.#words[this.#length++] = b;
    this.#words[this.#length++] = c;
  }

  #grow(): void {
    const next = new Uint32Array(this.#words.length * 2);
    next.set(this.#words);
    this.#words = next;
  }

  /** A copy of the words. */
  words(): Uint32Array {
    return this.#words.slice(0, this.#length);
  }

  /** The words without a copy, valid until the next push. */
  view(): Uint32Array {
    return this.#words.subarray(0, this.#length);
  }
}

/** Nulls are not out of range (completeness's job); NaN, and anything that is not a number, is. */
function rangeEvaluator(
  check: RangeCheck,
  { index, column }: ResolvedColumn,
  ctx: EvaluatorContext,
): Evaluator {
  if (!NUMERIC.includes(column.type)) return typeMismatch(check, column, 'a numeric or timestamp');
  for (const bound of [check.min, check.max]) {
    if (typeof bound === 'string' && column.type !== 'timestamp') {
      return decided(
        false,
        `column ${quote(column.name)} is ${column.type}, but the range bound ${quote(bound)} is a date`,
      );
    }
  }
  const inclusive = check.inclusive ?? true;
  const min = check.min === undefined ? undefined : boundValue(check.min);
  const max = check.max === undefined ? undefined : boundValue(check.max);
  // An absent bound never rejects: -Infinity and Infinity stand in and compare inclusively.
  const lo = min ?? Number.NEGATIVE_INFINITY;
  const hi = max ?? Number.POSITIVE_INFINITY;
  const loInclusive = (check.minInclusive ?? inclusive) || min === undefined;
  const hiInclusive = (check.maxInclusive ?? inclusive) || max === undefined;
  const samples = new Samples(ctx.sampleLimit);
  let failed = 0;
  let judged = 0;
  let seenMin = Number.POSITIVE_INFINITY;
  let seenMax = Number.NEGATIVE_INFINITY;
  const show = (v: number) => (column.type === 'timestamp' ? isoOf(v) : String(v));
  return {
    add(batch) {
      const cells = columnOf(batch, index);
      for (let r = 0; r < batch.numRows; r++) {
        const v = cells[r];
        if (v === null || v === undefined) continue;
        judged++;
        if (typeof v === 'number') {
          if (v < seenMin) seenMin = v;
          if (v > seenMax) seenMax = v;
          // Written so that NaN, for which every comparison is false, lands on the failing side.
          if ((loInclusive ? v >= lo : v > lo) && (hiInclusive ? v <= hi : v < hi)) continue;
        }
        failed++;
        samples.offer(v);
      }
    },
    partial: () => ({
      kind: 'range',
      failed,
      judged,
      min: seenMin,
      max: seenMax,
      samples: [...samples.values],
    }),
    absorb(partial) {
      const p = partialOf(partial, 'range');
      failed += p.failed;
      judged += p.judged;
      if (p.min < seenMin) seenMin = p.min;
      if (p.max > seenMax) seenMax = p.max;
      absorbSamples(samples, p.samples, ctx.sampleLimit);
    },
    finish(rowCount) {
      const any = seenMin <= seenMax;
      return {
        passed: withinMostly(failed, judged, check.mostly),
        failedRows: failed,
        samples: samples.values,
        observed: {
          min: any ? observedNumber(seenMin, column.type) : null,
          max: any ? observedNumber(seenMax, column.type) : null,
        },
        message:
          `column ${quote(column.name)}: ${rowsPhrase(failed, rowCount)} outside ` +
          interval(min, max, [loInclusive, hiInclusive], show) +
          examples(samples.values, (v) => showValue(v, column.type)) +
          mostlyPhrase(check.mostly, judged),
      };
    },
  };
}

function observedNumber(v: number, type: ColumnType): number | string {
  return type === 'timestamp' ? isoOf(v) : v;
}

const JS_TYPE: Record<ColumnType, string> = {
  int: 'number',
  float: 'number',
  timestamp: 'number',
  bool: 'boolean',
  string: 'string',
};

function allowedValuesEvaluator(
  check: AllowedValuesCheck,
  { index, column }: ResolvedColumn,
  ctx: EvaluatorContext,
): Evaluator {
  // A value of another type can never match (typed comparison: 1 is not '1'); that is a suite mistake.
  const unmatchable = check.values.filter((v) => typeof v !== JS_TYPE[column.type]);
  if (unmatchable.length > 0) {
    return decided(
      false,
      `column ${quote(column.name)} is ${column.type}, so allowed values ${listOf(
        unmatchable.map((v) => showValue(v)),
        ctx.sampleLimit,
      )} can never match`,
    );
  }
  const allowed = new Set<CellValue>(check.values);
  const samples = new Samples(ctx.sampleLimit);
  let failed = 0;
  let judged = 0;
  return {
    add(batch) {
      const cells = columnOf(batch, index);
      for (let r = 0; r < batch.numRows; r++) {
        const v = cells[r];
        if (v === null || v === undefined) continue;
        judged++;
        if (allowed.has(v)) continue;
        failed++;
        samples.offer(v);
      }
    },
    partial: () => ({ kind: 'values', failed, judged, samples: [...samples.values] }),
    absorb(partial) {
      const p = partialOf(partial, 'values');
      failed += p.failed;
      judged += p.judged;
      absorbSamples(samples, p.samples, ctx.sampleLimit);
    },
    finish(rowCount) {
      const show = (v: CellValue) => showValue(v, column.type);
      const list = listOf(check.values.map(show), 10);
      return {
        passed: withinMostly(failed, judged, check.mostly),
        failedRows: failed,
        samples: samples.values,
        message:
          `column ${quote(column.name)}: ${rowsPhrase(failed, rowCount)} not in (${list})` +
          examples(samples.values, show) +
          mostlyPhrase(check.mostly, judged),
      };
    },
  };
}

/** Judged on the newest timestamp; the failed rows are those older than the limit, whatever the verdict. */
function freshnessEvaluator(
  check: FreshnessCheck,
  { index, column }: ResolvedColumn,
  ctx: EvaluatorContext,
): Evaluator {
  if (column.type !== 'timestamp') return typeMismatch(check, column, 'a timestamp');
  const now = ctx.now.getTime();
  const cutoff = now - check.maxAgeSeconds * 1000;
  const samples = new Samples(ctx.sampleLimit);
  let newest = Number.NEGATIVE_INFINITY;
  let count = 0;
  let stale = 0;
  return {
    add(batch) {
      const cells = columnOf(batch, index);
      for (let r = 0; r < batch.numRows; r++) {
        const v = cells[r];
        if (typeof v !== 'number' || Number.isNaN(v)) continue;
        count++;
        if (v > newest) newest = v;
        if (v < cutoff) {
          stale++;
          samples.offer(v);
        }
      }
    },
    partial: () => ({ kind: 'fresh', newest, count, stale, samples: [...samples.values] }),
    absorb(partial) {
      const p = partialOf(partial, 'fresh');
      if (p.newest > newest) newest = p.newest;
      count += p.count;
      stale += p.stale;
      absorbSamples(samples, p.samples, ctx.sampleLimit);
    },
    finish(rowCount) {
      const name = quote(column.name);
      if (count === 0) {
        return {
          passed: false,
          failedRows: 0,
          samples: [],
          observed: { maxTimestamp: null, ageSeconds: null },
          message: `column ${name}: no timestamps in ${rowCount} rows to judge freshness by`,
        };
      }
      const ageSeconds = (now - newest) / 1000;
      const passed = ageSeconds <= check.maxAgeSeconds;
      const verdict = passed ? 'within' : 'above';
      return {
        passed,
        failedRows: stale,
        samples: samples.values,
        observed: { maxTimestamp: isoOf(newest), ageSeconds },
        message:
          `column ${name}: newest value ${isoOf(newest)} is ${showStat(ageSeconds)} s old, ` +
          `${verdict} the limit of ${check.maxAgeSeconds} s; ${rowsPhrase(stale, rowCount)} older than that`,
      };
    },
  };
}

/**
 * Mean and sample standard deviation (n - 1) by Welford's update: one pass, numerically stable, and the
 * same floating-point result for any batching since values are folded in row order. NaN and ±Infinity
 * are left out of the statistics (they would make both NaN) and counted in `observed.nonFiniteCount`.
 * The check judges the column as a whole, so it reports no failed rows.
 */
function distributionEvaluator(check: DistributionCheck, { index, column }: ResolvedColumn): Evaluator {
  if (!NUMERIC.includes(column.type)) return typeMismatch(check, column, 'a numeric or timestamp');
  let n = 0;
  let mean = 0;
  let m2 = 0;
  let nonFinite = 0;
  const median = check.median ? new MedianAccumulator() : undefined;
  return {
    add(batch) {
      const cells = columnOf(batch, index);
      for (let r = 0; r < batch.numRows; r++) {
        const v = cells[r];
        if (typeof v !== 'number') continue;
        if (v - v !== 0) {
          // v - v is NaN exactly for NaN and ±Infinity: a finiteness test without a call.
          nonFinite++;
          continue;
        }
        n++;
        const delta = v - mean;
        mean += delta / n;
        m2 += delta * (v - mean);
        median?.add(v);
      }
    },
    partial: () => ({
      kind: 'moments',
      n,
      mean,
      m2,
      nonFinite,
      ...(median && { median: median.partial() }),
    }),
    absorb(partial) {
      const p = partialOf(partial, 'moments');
      // Chan, Golub & LeVeque's pairwise combination of (n, mean, M2): equal to the single pass up to
      // rounding (a few ulps of the mean, relative 1e-15-ish of M2 for data without a huge offset).
      if (p.n > 0) {
        const total = n + p.n;
        const delta = p.mean - mean;
        mean = n === 0 ? p.mean : mean + (delta * p.n) / total;
        m2 = m2 + p.m2 + (delta * delta * n * p.n) / total;
        n = total;
      }
      nonFinite += p.nonFinite;
      if (median && p.median) median.absorb(p.median);
    },
    finish() {
      const std = n >= 2 ? Math.sqrt(m2 / (n - 1)) : null;
      const parts: string[] = [];
      let passed = true;
      const judge = (
        what: string,
        value: number | null,
        bounds: { min?: number; max?: number },
        needed: number,
      ) => {
        const range = interval(bounds.min, bounds.max, true, showStat);
        if (value === null) {
          passed = false;
          parts.push(`${what} needs at least ${needed} finite value${needed > 1 ? 's' : ''}, found ${n}`);
          return;
        }
        const inside =
          (bounds.min === undefined || value >= bounds.min) &&
          (bounds.max === undefined || value <= bounds.max);
        if (!inside) passed = false;
        parts.push(`${what} ${showStat(value)} ${inside ? 'within' : 'outside'} ${range}`);
      };
      if (check.mean) judge('mean', n >= 1 ? mean : null, check.mean, 1);
      if (check.std) judge('std', std, check.std, 2);
      const middle = median?.result();
      if (check.median)
        judge(
          middle?.exact === false ? 'median (estimated)' : 'median',
          middle?.value ?? null,
          check.median,
          1,
        );
      return {
        passed,
        failedRows: 0,
        samples: [],
        observed: {
          count: n,
          mean: n >= 1 ? mean : null,
          std,
          nonFiniteCount: nonFinite,
          ...(middle && { median: middle.value, medianExact: middle.exact }),
        },
        message: `column ${quote(column.name)}: ${parts.join('; ')}`,
      };
    },
  };
}

/** Finite values a median is computed from exactly (8 bytes each); beyond it a KLL sketch estimates it. */
export const MEDIAN_EXACT_LIMIT = 1_000_000;

/** The median of the values added: exact (mean of the two middle values) up to the limit, then a sketch's. */
class MedianAccumulator {
  #values: number[] | null = [];
  #sketch: KllSketch | null = null;

  add(v: number): void {
    if (this.#values) {
      this.#values.push(v);
      if (this.#values.length <= MEDIAN_EXACT_LIMIT) return;
      // Values arrive in row order, so the sketch (deterministic) is the same for any batching.
      this.#sketch = new KllSketch();
      for (const x of this.#values) this.#sketch.add(x);
      this.#values = null;
      return;
    }
    this.#sketch?.add(v);
  }

  /** The values while exact (8 bytes each, at most the limit), else the sketch. */
  partial(): MedianPartial {
    if (this.#sketch) return { sketch: this.#sketch.serialize() };
    return { values: Float64Array.from(this.#values ?? []) };
  }

  /**
   * A chunk's values are added as if read here (exact while the file's total stays within the limit,
   * as in one pass); past it, sketches merge, within the KLL rank error of one pass's sketch.
   */
  absorb(partial: MedianPartial): void {
    if ('values' in partial) {
      for (const v of partial.values) this.add(v);
      return;
    }
    if (!this.#sketch) {
      this.#sketch = new KllSketch();
      for (const x of this.#values ?? []) this.#sketch.add(x);
      this.#values = null;
    }
    this.#sketch.merge(KllSketch.deserialize(partial.sketch));
  }

  result(): { value: number | null; exact: boolean } {
    if (this.#sketch) return { value: this.#sketch.quantile(0.5), exact: false };
    const values = this.#values ?? [];
    if (values.length === 0) return { value: null, exact: true };
    const sorted = Float64Array.from(values).sort();
    const half = sorted.length >> 1;
    const value =
      sorted.length % 2 === 1
        ? (sorted[half] ?? Number.NaN)
        : ((sorted[half - 1] ?? Number.NaN) + (sorted[half] ?? Number.NaN)) / 2;
    // -0 + 0 is 0: a report says 0, as JSON would.
    return { value: value + 0, exact: true };
  }
}

/** The file's row count within [min, max]; a check on the whole file, so no row fails it. */
function rowCountEvaluator(check: RowCountCheck): Evaluator {
  return {
    add() {},
    partial: () => NONE,
    absorb: (partial) => void partialOf(partial, 'none'),
    finish(rowCount) {
      const inside =
        (check.min === undefined || rowCount >= check.min) &&
        (check.max === undefined || rowCount <= check.max);
      return {
        passed: inside,
        failedRows: 0,
        samples: [],
        observed: { rowCount },
        message: `${rowCount} rows, ${inside ? 'within' : 'outside'} ${interval(check.min, check.max, true, String)}`,
      };
    },
  };
}

/** Values of a string column searched for the regex; nulls are not judged (completeness's job). */
function patternEvaluator(
  check: PatternCheck,
  { index, column }: ResolvedColumn,
  ctx: EvaluatorContext,
): Evaluator {
  if (column.type !== 'string') return typeMismatch(check, column, 'a string');
  const regex = new RegExp(check.regex, check.flags);
  const samples = new Samples(ctx.sampleLimit);
  let failed = 0;
  let judged = 0;
  return {
    add(batch) {
      const cells = columnOf(batch, index);
      for (let r = 0; r < batch.numRows; r++) {
        const v = cells[r];
        if (typeof v !== 'string') continue;
        judged++;
        if (regex.test(v)) continue;
        failed++;
        samples.offer(v);
      }
    },
    partial: () => ({ kind: 'values', failed, judged, samples: [...samples.values] }),
    absorb(partial) {
      const p = partialOf(partial, 'values');
      failed += p.failed;
      judged += p.judged;
      absorbSamples(samples, p.samples, ctx.sampleLimit);
    },
    finish(rowCount) {
      return {
        passed: withinMostly(failed, judged, check.mostly),
        failedRows: failed,
        samples: samples.values,
        message:
          `column ${quote(column.name)}: ${rowsPhrase(failed, rowCount)} do not match /${check.regex}/${check.flags ?? ''}` +
          examples(samples.values, (v) => showValue(v, 'string')) +
          mostlyPhrase(check.mostly, judged),
      };
    },
  };
}

/** Decided from the schema: the column's type is one of the listed ones (an int column is a float one). */
function columnTypeEvaluator(check: ColumnTypeCheck, { column }: ResolvedColumn): Evaluator {
  const ok = check.types.includes(column.type) || (column.type === 'int' && check.types.includes('float'));
  const expected = check.types.join(' or ');
  return decided(
    ok,
    `column ${quote(column.name)} is ${column.type}${ok ? '' : `, expected ${expected}`}`,
    [],
    { type: column.type },
  );
}
